"""The Op base class, the no_grad switch and the backward graph walk.

An Op works on raw arrays (numpy or cupy). Calling it on Tensors runs ``forward`` and, when any
input requires grad, records the op as the creator of its outputs. ``backward`` walks the recorded
ops in reverse topological order (iteratively: deep graphs never hit the recursion limit).
"""
import numpy as np

from . import _kernels, backend

_grad_enabled = True
_FLOAT32, _FLOAT64 = backend.FLOAT_DTYPES


def is_grad_enabled():
    return _grad_enabled


class no_grad:
    """Context manager (and decorator) that stops recording ops: ``with mg.no_grad(): ...``."""

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
        return wrapped


class Op:
    """Base class of every differentiable operation.

    Subclasses implement ``forward(*arrays)`` returning an array (or a tuple of arrays) and
    ``backward(*grad_outputs)`` returning one gradient array (or None) per input. ``self.xp`` is
    numpy or cupy, read from the inputs; ``self.needs_input_grad`` says which inputs want a gradient.
    Whatever forward stores on ``self`` is released after backward unless retain_graph=True.

    Example::

        class Square(mg.Op):
            def forward(self, x):
                self.x = x
                return x * x
            def backward(self, gy):
                return 2 * self.x * gy

        y = Square()(mg.randn(3, requires_grad=True))
    """

    __slots__ = ("inputs", "needs_input_grad", "xp", "_output_meta", "_released", "__dict__")

    @property
    def kernels(self):
        """The compiled kernels of this op's device (``_kernels.cpu`` or ``_kernels.cuda``)."""
        return _kernels.for_xp(self.xp)

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def __call__(self, *inputs):
        Tensor = _tensor.Tensor
        arrays, record, on_cpu = [], False, True
        for t in inputs:  # one pass: type, dtype, device and whether to record
            if not isinstance(t, Tensor):
                raise TypeError(f"{type(self).__name__} takes Tensors, got {type(t).__name__}")
            data = t.data
            dtype = data.dtype
            if dtype is not _FLOAT32 and dtype is not _FLOAT64 and dtype not in backend.FLOAT_DTYPES:
                raise TypeError(
                    f"{type(self).__name__}: unsupported dtype {dtype}; minigrad computes in float32 or float64"
                )
            on_cpu = on_cpu and type(data) is np.ndarray
            record = record or t.requires_grad
            arrays.append(data)
        xp = np if on_cpu else backend.common_array_module(arrays, type(self).__name__)
        record = record and _grad_enabled
        self.xp = xp
        self._released = False
        self.needs_input_grad = tuple([record and t.requires_grad for t in inputs])
        result = self.forward(*arrays)
        if isinstance(result, tuple):
            tensors = tuple(self._output(out, index, record, xp) for index, out in enumerate(result))
        else:
            tensors = self._output(result, 0, record, xp)
        if record:
            self.inputs = inputs
            outputs = tensors if isinstance(tensors, tuple) else (tensors,)
            self._output_meta = tuple([(t.data.shape, t.data.dtype) for t in outputs])
        return tensors

    def _output(self, array, index, record, xp):
        if type(array) is not xp.ndarray and not isinstance(array, xp.ndarray):
            array = xp.asarray(array)  # e.g. the NumPy scalar a full reduction returns
        t = _tensor.Tensor._wrap(array, record)
        if record:
            t._creator, t._index = self, index
        return t

    def _release(self):
        self.inputs = ()
        self.__dict__.clear()
        self._released = True


def _topological_order(start):
    """Ops reachable from ``start``, each before every op that produced its inputs."""
    order, seen = [], {start}
    stack = [(start, iter(start.inputs))]
    while stack:
        op, pending = stack[-1]
        for t in pending:
            creator = t._creator
            if creator is not None and creator not in seen:
                seen.add(creator)
                stack.append((creator, iter(creator.inputs)))
                break
        else:
            stack.pop()
            order.append(op)
    order.reverse()
    return order


def _accumulate_leaf(t, grad):
    # Gradients are never modified in place, so a first gradient may share memory with
    # another; it is made contiguous so optimizers and kernels can take it as is.
    if t.grad is None:
        t.grad = _tensor.Tensor._wrap(grad if grad.flags.c_contiguous else grad.copy(), False)
    else:
        t.grad.data = t.grad.data + grad
    for hook in getattr(t, "_post_accumulate_grad_hooks", None) or ():  # e.g. DDP's bucket reductions
        hook(t)


def backward(root, grad, retain_graph=False):
    """Accumulate d(root)/d(leaf) * grad into the ``.grad`` of every leaf that requires grad."""
    if root._creator is None:
        _accumulate_leaf(root, grad)
        return
    grads = {(root._creator, root._index): grad}
    for op in _topological_order(root._creator):
        if op._released:
            raise RuntimeError(
                f"trying to backward through {type(op).__name__} a second time, but its saved "
                "arrays were already freed; pass retain_graph=True to the first backward"
            )
        meta = op._output_meta
        if len(meta) == 1:  # the common case, kept short
            g = grads.pop((op, 0), None)
            grad_inputs = op.backward(op.xp.zeros(*meta[0]) if g is None else g)
        else:
            grad_outputs = [grads.pop((op, index), None) for index in range(len(meta))]
            grad_inputs = op.backward(*[op.xp.zeros(*m) if g is None else g for g, m in zip(grad_outputs, meta)])
        if not isinstance(grad_inputs, tuple):
            grad_inputs = (grad_inputs,)
        if len(grad_inputs) != len(op.inputs):
            raise RuntimeError(
                f"{type(op).__name__}.backward returned {len(grad_inputs)} gradients "
                f"for {len(op.inputs)} inputs"
            )
        for t, g, needed in zip(op.inputs, grad_inputs, op.needs_input_grad):
            if g is None or not needed:
                continue
            if g.shape != t.data.shape:
                raise RuntimeError(
                    f"{type(op).__name__}.backward returned a gradient of shape {g.shape} "
                    f"for an input of shape {t.data.shape}"
                )
            if g.dtype is not t.data.dtype and g.dtype != t.data.dtype:
                g = g.astype(t.data.dtype)
            if t._creator is None:
                _accumulate_leaf(t, g)
            else:
                key = (t._creator, t._index)
                previous = grads.get(key)
                grads[key] = g if previous is None else previous + g
        if not retain_graph:
            op._release()


# Tensor and Op refer to each other: tensor.py is imported once Op exists, and used at call time.
from . import tensor as _tensor  # noqa: E402
