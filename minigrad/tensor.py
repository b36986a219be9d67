"""Tensor: an array (numpy or cupy) plus its place in the autodiff graph, and creation functions."""
import numbers

import numpy as np

from . import _random, autograd, backend
from .autograd import _mode

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
_DTYPE_NAMES = {"float32": float32, "float64": float64, "float": float32, "double": float64}


def _resolve_dtype(dtype):
    if dtype is None:
        return None
    try:
        resolved = _DTYPE_NAMES.get(dtype) if isinstance(dtype, str) else None
        resolved = resolved or np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None
    if resolved not in backend.FLOAT_DTYPES and resolved.kind not in "iub":
        raise TypeError(f"unsupported dtype {resolved}: minigrad computes in float32 or float64")
    return resolved


def _to_array(data, dtype):
    """An array for ``data`` following the dtype rules: Python numbers and lists become float32,
    arrays keep their float dtype, integer and bool arrays stay as they are (indices, targets)."""
    if isinstance(data, Tensor):
        array = data.data
    elif isinstance(data, np.ndarray) or (not isinstance(data, (numbers.Number, list, tuple))
                                          and hasattr(data, "__cuda_array_interface__")):
        array = data
    else:
        array = np.asarray(data)
        if array.dtype.kind in "iufb" and dtype is None:
            array = array.astype(float32)
    if array.dtype.kind not in "iufb":
        raise TypeError(f"cannot make a tensor from data of dtype {array.dtype}")
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if array.dtype.kind == "f" and array.dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"unsupported dtype {array.dtype}: minigrad computes in float32 or float64")
    return array


class Tensor:
    """An n-dimensional array that records the ops applied to it for reverse-mode autodiff.

    ``data`` is the numpy (cpu) or cupy (cuda) array; ``grad`` is a Tensor of the same shape,
    filled by ``backward``. In-place methods (``x += y``, ``x.mul_(2)``, ``x[i] = v``) write into
    ``data`` and bump ``_version``, a counter shared with the tensor's views.

    Example::

        x = mg.tensor([[1.0, 2.0]], requires_grad=True)   # shape (1, 2), float32
        (x * x).sum().backward()
        x.grad                                            # tensor([[2., 4.]])
    """

    # _counter: [version, write time, regraph time] of the storage, shared with views (see
    # autograd.bump_version); _base: the tensor this one is a view of, or None. Set only when needed:
    # _view_time, the write clock when this view was taken; _moves, [(time, hidden tensor holding
    # the earlier place)] for each recorded in-place op that moved this tensor in the graph.
    __slots__ = ("data", "_grad", "_requires_grad", "_creator", "_index", "_counter", "_base", "_view_time",
                 "_moves", "__weakref__")
    __array_ufunc__ = None  # numpy defers to Tensor's reflected operators: array + tensor -> Tensor

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        array = _to_array(data, _resolve_dtype(dtype))
        if array is (data.data if isinstance(data, Tensor) else data):
            array = array.copy()
        if device is not None:
            array = backend.to_device(array, device)
        if requires_grad and array.dtype not in backend.FLOAT_DTYPES:
            raise TypeError(f"only float32 and float64 tensors can require grad, got {array.dtype}")
        self.data = array
        self._grad = None
        self._requires_grad = bool(requires_grad)
        self._creator = None
        self._index = 0
        self._counter = [0, 0, 0]
        self._base = None

    @classmethod
    def _wrap(cls, array, requires_grad):
        """A tensor around ``array`` without checks or copies (used by ops)."""
        t = object.__new__(cls)
        t.data, t._grad, t._requires_grad, t._creator, t._index = array, None, requires_grad, None, 0
        t._counter, t._base = [0, 0, 0], None
        return t

    # ---- properties -------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    device = property(lambda self: backend.device_of(self.data))
    is_leaf = property(lambda self: self._creator is None, doc="True unless an op recorded this tensor")
    grad_fn = property(lambda self: self._creator, doc="The node that made this tensor (e.g. <MulBackward>), or None")
    _version = property(lambda self: self._counter[0], doc="In-place writes so far to this tensor's storage")
    T = property(lambda self: self.transpose())

    def numel(self):
        return self.data.size

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extras = "" if self.dtype == float32 else f", dtype={self.dtype}"
        extras += "" if self.device == "cpu" else ", device='cuda'"
        extras += ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}{extras})"

    # ---- conversion -------------------------------------------------------------------------
    def numpy(self):
        """The data as a numpy array (shared on cpu, copied from the GPU)."""
        return backend.to_device(self.data, "cpu")

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def __float__(self):
        return float(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data.item())

    def detach(self):
        """A tensor sharing this data (and its version counter), outside the graph."""
        t = Tensor._wrap(self.data, False)
        t._counter = self._counter
        return t

    def to(self, target):
        """A copy on a device ('cpu', 'cuda') or in a dtype ('float32', 'float64'); self when
        nothing changes. Differentiable."""
        if isinstance(target, str) and target.split(":")[0] in ("cpu", "cuda"):
            device = backend.normalize_device(target)
            if device == self.device:
                return self
            if self.dtype not in backend.FLOAT_DTYPES:
                return Tensor._wrap(backend.to_device(self.data, device), False)
            return _ops.ToDevice(device)(self)
        dtype = _resolve_dtype(target)
        if dtype == self.dtype:
            return self
        if self.dtype not in backend.FLOAT_DTYPES or dtype not in backend.FLOAT_DTYPES:
            return Tensor._wrap(self.data.astype(dtype), False)
        return _ops.Cast(dtype)(self)

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    # ---- autodiff ---------------------------------------------------------------------------
    @property
    def grad(self):
        """The accumulated gradient (a Tensor of this shape, dtype and device), or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad must be a Tensor or None, got {type(value).__name__}")
            for what, got, expected in (("shape", value.shape, self.shape), ("dtype", value.dtype, self.dtype),
                                        ("device", value.device, self.device)):
                if got != expected:
                    raise RuntimeError(f"assigned grad has {what} {got}, but the tensor has {what} {expected}")
        self._grad = value

    @property
    def requires_grad(self):
        """Whether ops on this tensor are recorded so that backward reaches it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if flag and self.dtype not in backend.FLOAT_DTYPES:
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients, got {self.dtype}")
        if self._creator is not None and not flag:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
            )
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self. Example: ``w = mg.zeros(3).requires_grad_()``"""
        self.requires_grad = requires_grad
        return self

    def _bump_version(self):
        """Record an in-place write to ``data`` made outside the in-place methods (optimizers call it
        after updating a parameter's array), so that backward refuses arrays saved before it."""
        autograd.bump_version(self._counter)

    def backward(self, gradient=None, retain_graph=False):
        """Accumulate gradients of this tensor into the ``.grad`` of the leaves it depends on.

        ``gradient`` (same shape as self) is required unless the tensor has exactly one element.
        """
        if not self._requires_grad:
            if self._index == autograd.BUILT_UNDER_NO_GRAD:
                raise RuntimeError(
                    "backward() called on a tensor computed with grad mode off (inside mg.no_grad() or "
                    "set_grad_enabled(False)), so no graph was recorded for it; compute it outside no_grad"
                )
            raise RuntimeError(
                "backward() called on a tensor that does not require grad (no input of the "
                "expression was created with requires_grad=True)"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without gradient works only on a tensor with one element; this one has "
                    f"shape {self.shape}: pass gradient= of that shape"
                )
            gradient = _like(self.data, 1.0)
        else:
            gradient = gradient.data if isinstance(gradient, Tensor) else gradient
            if gradient.shape != self.shape:
                raise RuntimeError(f"gradient has shape {gradient.shape}, but the tensor has shape {self.shape}")
            gradient = backend.to_device(gradient, self.device).astype(self.dtype, copy=False)
        autograd.backward(self, gradient, retain_graph)

    # ---- operators --------------------------------------------------------------------------
    def _operand(self, other):
        """``other`` as a Tensor in this tensor's dtype and device when it is a number or array."""
        if isinstance(other, Tensor):
            return other
        data = self.data
        if isinstance(other, (int, float)) and type(data) is np.ndarray:  # the common case, kept short
            return Tensor._wrap(_like_value(data, other), False)
        array = other if hasattr(other, "dtype") and hasattr(other, "shape") else None
        if array is None or array.dtype not in backend.FLOAT_DTYPES:
            array = _like_value(data, other)
        return Tensor._wrap(backend.to_device(array, self.device), False)

    def __add__(self, other):
        return _ops.Add.apply(self, self._operand(other))

    def __radd__(self, other):
        return _ops.Add.apply(self._operand(other), self)

    def __sub__(self, other):
        return _ops.Sub.apply(self, self._operand(other))

    def __rsub__(self, other):
        return _ops.Sub.apply(self._operand(other), self)

    def __mul__(self, other):
        return _ops.Mul.apply(self, self._operand(other))

    def __rmul__(self, other):
        return _ops.Mul.apply(self._operand(other), self)

    def __truediv__(self, other):
        return _ops.Div.apply(self, self._operand(other))

    def __rtruediv__(self, other):
        return _ops.Div.apply(self._operand(other), self)

    def __pow__(self, other):
        return _ops.Pow.apply(self, self._operand(other))

    def __rpow__(self, other):
        return _ops.Pow.apply(self._operand(other), self)

    def __matmul__(self, other):
        return _ops.MatMul.apply(self, self._operand(other))

    def __rmatmul__(self, other):
        return _ops.MatMul.apply(self._operand(other), self)

    def __neg__(self):
        return _ops.Neg.apply(self)

    def __pos__(self):
        return self

    def _compare(self, other, fn):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(fn(self.data, other), False)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    __hash__ = object.__hash__  # tensors are dictionary keys by identity (optimizer state)

    def __getitem__(self, index):
        return _ops.GetItem(_index_arrays(index))(self)

    # ---- in place ---------------------------------------------------------------------------
    def _in_place(self, op, *operands):
        """Run in-place ``op`` (its forward writes into input 0 and returns it) on self and
        ``operands``; return self.

        Without recording it writes straight into ``data``. When recording, self takes a new place in
        the graph: its previous one moves to a hidden tensor that is the op's input 0.
        """
        others = [self._operand(o) for o in operands]
        recording = _mode.enabled and (self._requires_grad or any([o._requires_grad for o in others]))
        if recording:
            if self._creator is None and self._requires_grad:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
            if self._base is not None:
                raise RuntimeError(
                    f"{type(op).__name__}: in-place change of a view (a slice, reshape or transpose of another "
                    "tensor) while recording for backward is not supported; change the base tensor, or use "
                    "the out-of-place form (y = x + ...) or x.clone() first"
                )
            previous = Tensor._wrap(self.data, self._requires_grad)
            previous._creator, previous._index, previous._counter = self._creator, self._index, self._counter
            others = [previous if o is self else o for o in others]  # x *= x: the old x on both sides
            self._creator = op(previous, *others)._creator
            self._index, self._requires_grad = 0, True
            moves = getattr(self, "_moves", None)
            if moves is None:
                moves = self._moves = []
            # nodes that took self as an input before now must keep seeing its earlier place
            moves.append((autograd.bump_version(self._counter, regraph=True), previous))
        else:
            arrays = [self.data] + [o.data for o in others]
            op.xp = backend.common_array_module(arrays, type(op).__name__)
            op.needs_input_grad = (False,) * len(arrays)
            op.forward(*arrays)
            autograd.bump_version(self._counter)
        return self

    def add_(self, other, alpha=1):
        """self += alpha * other, in place; returns self."""
        return self._in_place(_ops.AddInPlace(alpha), other)

    def sub_(self, other, alpha=1):
        """self -= alpha * other, in place; returns self."""
        return self._in_place(_ops.AddInPlace(-alpha), other)

    def mul_(self, other):
        return self._in_place(_ops.MulInPlace(), other)

    def div_(self, other):
        return self._in_place(_ops.DivInPlace(), other)

    def clamp_(self, min=None, max=None):
        """Limit self to [min, max] in place (either bound may be None); returns self."""
        return self._in_place(_ops.ClampInPlace(min, max))

    def copy_(self, src):
        """Copy ``src`` (broadcast to self's shape, any dtype or device) into self; returns self."""
        if isinstance(src, Tensor):
            src = src.to(self.device)
        return self._in_place(_ops.CopyInPlace(), src)

    def fill_(self, value):
        """Set every element to ``value`` (a number or a one-element tensor); returns self."""
        return self._in_place(_ops.FillInPlace(), value)

    def zero_(self):
        return self._in_place(_ops.FillInPlace(), 0.0)

    def __setitem__(self, index, value):
        self._in_place(_ops.SetItemInPlace(_index_arrays(index)), value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # ---- math ------------------------------------------------------------------------------
    def exp(self):
        return _ops.Exp()(self)

    def log(self):
        return _ops.Log()(self)

    def tanh(self):
        return _ops.Tanh()(self)

    def sigmoid(self):
        return _ops.Sigmoid()(self)

    def relu(self):
        return _ops.ReLU()(self)

    def sum(self, axis=None, keepdims=False):
        return _ops.Sum(axis, keepdims)(self)

    def mean(self, axis=None, keepdims=False):
        return _ops.Mean(axis, keepdims)(self)

    def max(self, axis=None, keepdims=False):
        return _ops.Max(axis, keepdims)(self)

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return _ops.Reshape(tuple(shape))(self)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        return _ops.Transpose(tuple(axes) if axes else None)(self)


def _like(array, value):
    return backend.array_module(array).full(array.shape, value, dtype=array.dtype)


def _like_value(array, value):
    """``value`` (number or array-like) as an array in ``array``'s float dtype."""
    try:
        return np.asarray(value, dtype=array.dtype if array.dtype in backend.FLOAT_DTYPES else float32)
    except (TypeError, ValueError):
        raise TypeError(f"unsupported operand of type {type(value).__name__} for a Tensor") from None


def _index_arrays(index):
    """An index with Tensors replaced by their arrays, integer or boolean arrays checked."""
    items = index if isinstance(index, tuple) else (index,)
    converted = []
    for item in items:
        if isinstance(item, Tensor):
            item = item.data
        if isinstance(item, list):
            item = np.asarray(item)
        if hasattr(item, "dtype") and item.dtype.kind not in "iub":
            raise IndexError(f"tensors used as indices must be integer or bool, got {item.dtype}")
        converted.append(item)
    return tuple(converted) if isinstance(index, tuple) else converted[0]


# ---- creation functions -------------------------------------------------------------------
def tensor(data, dtype=None, requires_grad=False, device="cpu"):
    """A new tensor from a number, nested list, numpy/cupy array or Tensor (always a copy)."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def _shape(shape):
    shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
    return tuple(int(s) for s in shape)


def _create(array, dtype, requires_grad, device):
    dtype = _resolve_dtype(dtype) or float32
    if dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"creation functions make float32 or float64 tensors, not {dtype}")
    return Tensor._wrap(backend.to_device(array.astype(dtype, copy=False), device), bool(requires_grad))


def zeros(*shape, dtype=None, requires_grad=False, device="cpu"):
    return _create(np.zeros(_shape(shape)), dtype, requires_grad, device)


def ones(*shape, dtype=None, requires_grad=False, device="cpu"):
    return _create(np.ones(_shape(shape)), dtype, requires_grad, device)


def randn(*shape, dtype=None, requires_grad=False, device="cpu"):
    """Standard normal samples from the generator that mg.manual_seed seeds."""
    return _create(_random.generator().standard_normal(_shape(shape)), dtype, requires_grad, device)


def rand(*shape, dtype=None, requires_grad=False, device="cpu"):
    """Uniform samples in [0, 1) from the generator that mg.manual_seed seeds."""
    return _create(_random.generator().random(_shape(shape)), dtype, requires_grad, device)


# The operators above apply ops, which sit one layer up and import this module; importing them
# last lets both modules finish loading.
from . import ops as _ops  # noqa: E402
