"""Anomaly mode: ``with mg.autograd.detect_anomaly(): ...`` stops at the first NaN or Inf.

In forward, the first op whose output holds a NaN or Inf raises; in backward, the first op whose
gradient does. The error names the op and the line of user code that created it: while anomaly mode
is on, each op records where it was called from (the first frame outside minigrad), so a backward
error points at the forward line. Off by default; on, every op checks its outputs (one pass over
each, and a device sync on the GPU).
"""
import linecache
import os
import sys

import numpy as np

from . import _observe, backend

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_stack(limit=6):
    """(filename, line number, function) of the innermost ``limit`` frames of the caller's stack outside
    minigrad. Source lines are read only if an error is reported."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    stack = []
    while frame is not None and len(stack) < limit:
        stack.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    return stack


def _describe_site(stack):
    if not stack:
        return "from minigrad itself (no user frame on the stack)"
    filename, lineno, function = stack[0]
    lines = [f"at {filename}:{lineno}, in {function}"]
    source = linecache.getline(filename, lineno).strip()
    if source:
        lines.append(f"    {source}")
    lines.append("stack of the call (innermost first):")
    lines += [f"  {filename}:{lineno}, in {function}" for filename, lineno, function in stack]
    return "\n".join(lines)


def _non_finite_kind(array):
    """'nan', 'inf' or None for a float array (other dtypes cannot hold either)."""
    if array.dtype.kind not in "fc":
        return None
    xp = np if type(array) is np.ndarray else backend.array_module(array)
    if bool(xp.isfinite(array).all()):
        return None
    return "nan" if bool(xp.isnan(array).any()) else "inf"


class detect_anomaly:
    """Context manager: the first op whose forward output or backward gradient is non-finite raises a
    RuntimeError naming the op and the user's file:line that called it.

    ``check_nan=False`` records the call sites (for errors raised elsewhere) without checking values.

    Example::

        with mg.autograd.detect_anomaly():
            y = (x.log() * w).sum()     # RuntimeError: ... Log produced nan ... at train.py:12
            y.backward()
    """

    def __init__(self, check_nan=True):
        self.check_nan = bool(check_nan)

    def __enter__(self):
        _observe.add(self)
        return self

    def __exit__(self, *exc):
        _observe.remove(self)

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
        return wrapped

    # ---- observer interface (minigrad/_observe.py) --------------------------------------------
    def call(self, op, inputs, proceed):
        stack = _user_stack()
        result = proceed()
        outputs = _observe.as_tuple(result)
        node = outputs[0]._creator
        if node is not None:  # recorded for backward: keep the call site for a backward error
            node._anomaly_stack = stack
        if self.check_nan:
            for index, out in enumerate(outputs):
                kind = _non_finite_kind(out._data)
                if kind is not None:
                    # an in-place op's input 0 is its output now: what it held before is gone
                    overwritten = [i for i, t in enumerate(inputs) if t._data is out._data]
                    already = [i for i, t in enumerate(inputs) if i not in overwritten and _non_finite_kind(t._data)]
                    cause = (f" (its input {already[0]} was already non-finite)" if already else
                             f" written in place over its input {overwritten[0]}" if overwritten else
                             " from finite inputs")
                    raise RuntimeError(
                        f"detect_anomaly: {type(op).__name__} produced {kind} in forward, in output {index} "
                        f"of shape {tuple(out.shape)} ({out.dtype}){cause}; the op was called\n"
                        + _describe_site(stack))
        return result

    def backward(self, op, grad_outputs, proceed):
        grads = proceed()
        if self.check_nan:
            grad_outputs = _observe.arrays(grad_outputs)
            for index, (grad, needed) in enumerate(zip(_observe.arrays(_observe.as_tuple(grads)), op.needs_input_grad)):
                # a gradient nobody asked for (a constant's) is discarded by the walk, finite or not
                kind = None if grad is None or not needed else _non_finite_kind(grad)
                if kind is not None:
                    stack = op.__dict__.get("_anomaly_stack")
                    where = ("was called\n" + _describe_site(stack) if stack is not None
                             else "was created before anomaly mode was turned on, so its call site is unknown")
                    incoming = any(g is not None and _non_finite_kind(g) for g in grad_outputs)
                    cause = " (the gradient it received was already non-finite)" if incoming else ""
                    raise RuntimeError(
                        f"detect_anomaly: {type(op).__name__}.backward returned {kind} in the gradient for "
                        f"input {index}{cause}; the {type(op).__name__} op {where}")
        return grads
