"""Grad mode: whether ops called in this thread are recorded for backward (per thread, nesting)."""
import functools
import threading


class _GradMode(threading.local):
    """This thread's grad mode (on in every new thread, as torch) and the modes that the grad-mode
    blocks entered in this thread restore on exit (a stack, so blocks nest)."""

    def __init__(self):
        self.enabled = True
        self.restore = []


_mode = _GradMode()


def is_grad_enabled():
    """Whether ops called in this thread are recorded for backward."""
    return _mode.enabled


class _GradModeBlock:
    """Shared body of no_grad and enable_grad: a context manager and a decorator that runs the block
    (or function) with this thread's grad mode set to ``_enabled``."""

    _enabled = False

    def __enter__(self):
        _mode.restore.append(_mode.enabled)
        _mode.enabled = self._enabled

    def __exit__(self, *exc):
        _mode.enabled = _mode.restore.pop()

    def __call__(self, fn):
        enabled = self._enabled

        @functools.wraps(fn)
        def run_in_mode(*args, **kwargs):
            _mode.restore.append(_mode.enabled)
            _mode.enabled = enabled
            try:
                return fn(*args, **kwargs)
            finally:
                _mode.enabled = _mode.restore.pop()

        return run_in_mode


class no_grad(_GradModeBlock):
    """Stop recording ops in this thread: ``with mg.no_grad(): ...`` or ``@mg.no_grad()``."""

    _enabled = False


class enable_grad(_GradModeBlock):
    """Record ops again inside a no_grad block: ``with mg.enable_grad(): ...`` or ``@mg.enable_grad()``."""

    _enabled = True


class inference_mode(_GradModeBlock):
    """``with mg.inference_mode():`` (or ``@mg.inference_mode()``) records nothing, as torch's: here it
    is no_grad, since minigrad has no separate inference tensors; ``inference_mode(False)`` records."""

    def __init__(self, mode=True):
        self._enabled = not mode


class set_grad_enabled(_GradModeBlock):
    """Set this thread's grad mode to ``mode`` now (as torch), and restore the previous mode at the
    end of a ``with`` block; as a decorator it sets the mode only while the function runs.

    Example: ``with mg.set_grad_enabled(is_training): loss = model(x)``
    """

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode) takes a bool, got {type(mode).__name__}")
        self._enabled = mode
        self._previous = _mode.enabled
        _mode.enabled = mode

    def __enter__(self):
        _mode.restore.append(self._previous)

    def __call__(self, fn):
        _mode.enabled = self._previous  # decorating a function must not switch the mode now
        return super().__call__(fn)

