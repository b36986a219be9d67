"""The Op base class and the one body that runs every op, ``Op._run``.

Calling an op on Tensors runs ``forward`` on the arrays, on a per-call copy of the op (the node),
and, when grad mode is on and an input requires grad, records that node as its outputs' creator.
"""
import numpy as np

from .. import _kernels, _observe, backend
from .grad_mode import _mode
from .versions import REGRAPH_TIME, clock

_FLOAT32, _FLOAT64 = backend.FLOAT_DTYPES
Tensor = None  # set by autograd/__init__.py once tensor.py has loaded (tensor.py imports the ops)

# ``_index`` of a tensor computed with grad mode off from tensors that required grad (or from such
# tensors): backward on it then says that no graph was recorded, rather than that nothing required grad.
BUILT_UNDER_NO_GRAD = -1


class Op:
    """Base class of every differentiable operation.

    Subclasses implement ``forward(*arrays)`` returning an array (or a tuple of arrays) and
    ``backward(*grad_outputs)`` returning one gradient array (or None) per input. ``self.xp`` is
    numpy or cupy, read from the inputs; ``self.needs_input_grad`` says which inputs want a gradient.
    Hyperparameters go in ``__init__``. Each call runs forward on its own copy of the instance (the
    node that ``grad_fn`` returns), so one instance may be called any number of times; what forward
    stores on ``self`` is released after backward unless retain_graph=True. An op whose outputs are
    views of input 0 sets ``output_is_view = True``: they share its version counter.

    Example::

        class Square(mg.Op):
            def forward(self, x):
                self.x = x
                return x * x
            def backward(self, gy):
                return 2 * self.x * gy

        square = Square()
        y = square(square(mg.randn(3, requires_grad=True)))
    """

    # _output_hooks: {output index: [hook, ...]}, the gradient hooks of the tensors this node made (a
    # slot, set only by autograd/hooks.py: freeing the node's saved arrays keeps them)
    __slots__ = ("inputs", "needs_input_grad", "xp", "_outputs", "_write_time", "_output_hooks", "__dict__")
    output_is_view = False
    overwrites_input = False  # set by in-place ops: forward writes the result into input 0
    _released = False  # set on the node when backward frees what forward saved

    @property
    def kernels(self):
        """The compiled kernels of this op's device (``_kernels.cpu`` or ``_kernels.cuda``)."""
        return _kernels.for_xp(self.xp)

    def forward(self, *arrays):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def backward_graph(self, inputs, *grad_outputs):
        """The differentiable backward that create_graph=True runs: ``inputs`` are the node's input
        Tensors as at forward, ``grad_outputs`` Tensors (one per output); returns one Tensor or None
        per input, built only from minigrad ops on Tensors so that it is itself in the graph. Arrays
        saved on ``self`` serve only as constants (masks, indices, shapes), wrapped with
        ``Tensor._wrap(array, False)``; anything that depends differentiably on the inputs is
        recomputed from ``inputs``."""
        raise RuntimeError(f"{type(self).__name__}: double backward (create_graph=True) is not implemented "
                           "for this op")

    def name(self):
        """The node's name as torch prints grad_fn: ``"MulBackward"`` for a Mul."""
        return f"{type(self).__name__}Backward"

    def __repr__(self):
        return f"<{self.name()}>" if hasattr(self, "inputs") else f"{type(self).__name__}()"

    def __call__(self, *inputs):
        """Run the op on Tensors: ``y = Swish()(x)``, ``z = LeakyReLU(0.1)(x)``; returns a Tensor (a
        tuple of them when forward returns a tuple), recorded for backward when grad mode is on and an
        input requires grad. The call runs on its own copy of the instance (the node), so one
        instance may be called any number of times."""
        node = object.__new__(type(self))  # this call's own node: saved arrays never mix between calls
        node.__dict__.update(self.__dict__)
        return node._run(inputs)

    @classmethod
    def apply(cls, *inputs):
        """Run an op that has no hyperparameters (torch's spelling): ``Mul.apply(a, b)`` is
        ``Mul()(a, b)`` without an instance to copy, which is 6% of the engine's time per op
        (bench: engine overhead)."""
        return object.__new__(cls)._run(inputs)

    def _run(self, inputs):
        """The one body that runs every op (``self`` is this call's node); the profiler and anomaly
        mode observe every call here."""
        dispatcher = _observe.dispatcher
        if dispatcher is not None and dispatcher.intercepts(self):
            return dispatcher.call(self, inputs)  # which comes back here to run the op
        arrays, flags, on_cpu = [], [], True
        for t in inputs:  # one pass: type, dtype, device and which inputs require grad
            if not isinstance(t, Tensor):
                raise TypeError(f"{type(self).__name__} takes Tensors, got {type(t).__name__}")
            data = t._data
            dtype = data.dtype
            if dtype is not _FLOAT32 and dtype is not _FLOAT64 and dtype not in backend.FLOAT_DTYPES:
                _check_non_float_input(self, t)
            on_cpu = on_cpu and type(data) is np.ndarray
            if t._base is not None and t._counter[REGRAPH_TIME] > t._view_time:
                raise RuntimeError(
                    f"{type(self).__name__}: an input is a view taken before its base was changed by a "
                    "recorded in-place operation, so its gradient would miss that change; take the view "
                    "again after the in-place operation"
                )
            flags.append(t._requires_grad)
            arrays.append(data)
        wants_grad = True in flags
        record = wants_grad and _mode.enabled
        xp = self.xp = np if on_cpu else backend.common_array_module(arrays, type(self).__name__)
        self.needs_input_grad = tuple(flags) if record else (False,) * len(flags)
        result = self.forward(*arrays)
        view_of = inputs[0] if self.output_is_view else None
        outputs, saved_outputs = [], []
        for index, array in enumerate(result if type(result) is tuple else (result,)):
            if type(array) is not xp.ndarray and not backend.is_array(array):
                # e.g. the NumPy scalar a full reduction returns; an array stays on its device (ToDevice)
                array = xp.asarray(array)
            t = Tensor._wrap(array, record)
            if view_of is not None:
                t._counter, t._view_time = view_of._counter, clock.last_write
                t._base = view_of if view_of._base is None else view_of._base
            if record:
                t._creator, t._index = self, index
                saved_outputs.append((array, t._counter))
            outputs.append(t)
        if record:
            self.inputs, self._outputs, self._write_time = inputs, saved_outputs, clock.last_write
        elif wants_grad or any([t._index == BUILT_UNDER_NO_GRAD for t in inputs]):
            for t in outputs:
                t._index = BUILT_UNDER_NO_GRAD
        return tuple(outputs) if type(result) is tuple else outputs[0]



def _check_non_float_input(op, t):
    """Integer and bool tensors are inputs without gradients (indices, masks, counts)."""
    if t._data.dtype.kind not in "iub":
        if t._data.dtype == np.float16:
            raise TypeError(f"{type(op).__name__}: float16 (mg.half) tensors are storage only in minigrad (create, "
                            "convert, save, load); compute in float32: x.float()")
        raise TypeError(f"{type(op).__name__}: unsupported dtype {t._data.dtype}; minigrad computes in "
                        "float32 or float64 and keeps integer and bool tensors for indices and masks")
    if t.requires_grad:
        raise TypeError(f"{type(op).__name__}: a {t._data.dtype} tensor cannot require grad; "
                        "only float32 and float64 tensors can")
