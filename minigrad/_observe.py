"""Lets the profiler and anomaly mode watch every op call and every backward step.

An observer has two methods, each given a zero-argument ``proceed`` that does the real work:

    call(op, inputs, proceed) -> outputs           # around Op._run (forward and recording)
    backward(op, grad_outputs, proceed) -> grads   # around op.backward in the graph walk

(under create_graph the walk runs op.backward_graph, and the gradients are Tensors: ``arrays``
gives their arrays.)

While at least one observer is active, ``dispatcher`` is the dispatcher below; otherwise it is
None and ops pay one ``is not None`` check. Observers are process-wide, as torch's profiler and
anomaly mode are; they are nested in the order they were added (the first added is outermost).
"""
import threading
from functools import partial

_lock = threading.Lock()
dispatcher = None  # read by Op._run and the backward walk (minigrad/autograd/)


class _Dispatcher:
    def __init__(self, observers):
        self.observers = observers
        self._local = threading.local()

    def intercepts(self, op):
        """False for the one call that the dispatcher itself is running through Op._run."""
        local = self._local
        if getattr(local, "running", None) is op:
            local.running = None
            return False
        return True

    def call(self, op, inputs):
        def run():
            self._local.running = op  # Op._run sees it and does the real work
            return op._run(inputs)

        for observer in reversed(self.observers):
            run = partial(observer.call, op, inputs, run)
        return run()

    def backward(self, op, backward=None):
        """``backward`` (op.backward by default) run through the observers."""
        backward = op.backward if backward is None else backward

        def run_backward(*grad_outputs):
            run = partial(backward, *grad_outputs)
            for observer in reversed(self.observers):
                run = partial(observer.backward, op, grad_outputs, run)
            return run()

        return run_backward


def add(observer):
    global dispatcher
    with _lock:
        observers = dispatcher.observers if dispatcher is not None else ()
        dispatcher = _Dispatcher(observers + (observer,))


def remove(observer):
    global dispatcher
    with _lock:
        observers = tuple(o for o in dispatcher.observers if o is not observer)
        dispatcher = _Dispatcher(observers) if observers else None


def as_tuple(outputs):
    """An op's result or a backward's gradients as a tuple (backward may return a list)."""
    return tuple(outputs) if isinstance(outputs, (tuple, list)) else (outputs,)


def arrays(values):
    """The arrays of gradients that may be Tensors (create_graph) or arrays (or None)."""
    return [getattr(v, "_data", v) for v in values]
