"""Tensor: an array (numpy or cupy) plus its place in the autodiff graph, and creation functions."""
import numbers

import numpy as np

from . import _random, autograd, backend

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


class _HookHandle:
    """Returned by register_post_accumulate_grad_hook: ``remove()`` unregisters the hook."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Tensor:
    """An n-dimensional array that records the ops applied to it for reverse-mode autodiff.

    ``data`` is the numpy (cpu) or cupy (cuda) array; ``grad`` is a Tensor of the same shape,
    filled by ``backward``.

    Example::

        x = mg.tensor([[1.0, 2.0]], requires_grad=True)   # shape (1, 2), float32
        (x * x).sum().backward()
        x.grad                                            # tensor([[2., 4.]])
    """

    __slots__ = ("data", "grad", "requires_grad", "_creator", "_index", "__weakref__",
                 "_post_accumulate_grad_hooks")  # set only by register_post_accumulate_grad_hook
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
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._creator = None
        self._index = 0

    @classmethod
    def _wrap(cls, array, requires_grad):
        """A tensor around ``array`` without checks or copies (used by ops)."""
        t = object.__new__(cls)
        t.data, t.grad, t.requires_grad, t._creator, t._index = array, None, requires_grad, None, 0
        return t

    # ---- properties -------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    device = property(lambda self: backend.device_of(self.data))
    is_leaf = property(lambda self: self._creator is None)
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
        """A tensor sharing this data, outside the graph."""
        return Tensor._wrap(self.data, False)

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
    def backward(self, grad=None, retain_graph=False):
        """Accumulate gradients of this tensor into the ``.grad`` of the leaves it depends on.

        ``grad`` (same shape as self) is required unless the tensor has exactly one element.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad (no input of the "
                "expression was created with requires_grad=True)"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without grad works only on a tensor with one element; this one has "
                    f"shape {self.shape}: pass grad= of that shape"
                )
            grad = _like(self.data, 1.0)
        else:
            grad = grad.data if isinstance(grad, Tensor) else grad
            if grad.shape != self.shape:
                raise RuntimeError(f"grad has shape {grad.shape}, but the tensor has shape {self.shape}")
            grad = backend.to_device(grad, self.device).astype(self.dtype, copy=False)
        autograd.backward(self, grad, retain_graph)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` each time backward has added a gradient into this leaf's ``.grad``
        (as torch's hook of that name). Returns a handle whose ``remove()`` unregisters it.

        Example: ``w.register_post_accumulate_grad_hook(lambda p: print(p.grad.shape))``
        """
        if not self.requires_grad or self._creator is not None:
            raise RuntimeError("register_post_accumulate_grad_hook needs a leaf tensor that requires grad")
        if not callable(hook):
            raise TypeError(f"hook must be callable, got {type(hook).__name__}")
        hooks = getattr(self, "_post_accumulate_grad_hooks", None)
        if hooks is None:
            hooks = self._post_accumulate_grad_hooks = []
        hooks.append(hook)
        return _HookHandle(hooks, hook)

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
        return _ops.Add()(self, self._operand(other))

    def __radd__(self, other):
        return _ops.Add()(self._operand(other), self)

    def __sub__(self, other):
        return _ops.Sub()(self, self._operand(other))

    def __rsub__(self, other):
        return _ops.Sub()(self._operand(other), self)

    def __mul__(self, other):
        return _ops.Mul()(self, self._operand(other))

    def __rmul__(self, other):
        return _ops.Mul()(self._operand(other), self)

    def __truediv__(self, other):
        return _ops.Div()(self, self._operand(other))

    def __rtruediv__(self, other):
        return _ops.Div()(self._operand(other), self)

    def __pow__(self, other):
        return _ops.Pow()(self, self._operand(other))

    def __rpow__(self, other):
        return _ops.Pow()(self._operand(other), self)

    def __matmul__(self, other):
        return _ops.MatMul()(self, self._operand(other))

    def __rmatmul__(self, other):
        return _ops.MatMul()(self._operand(other), self)

    def __neg__(self):
        return _ops.Neg()(self)

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
