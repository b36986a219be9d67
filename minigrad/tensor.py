"""Tensor: an array (numpy or cupy) plus its place in the autodiff graph; the dtype rules."""
import collections
import numbers
import weakref

import numpy as np

from . import _dims, autograd, backend
from .autograd import _mode

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
_DTYPE_NAMES = {
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "int64": int64, "long": int64, "int32": int32, "int": int32, "bool": bool_,
    "int16": np.dtype(np.int16), "short": np.dtype(np.int16), "int8": np.dtype(np.int8),
    "uint8": np.dtype(np.uint8),
}


def _resolve_dtype(dtype):
    """A numpy dtype from a dtype, its name ('float32', 'long', 'bool', ...) or a Python type;
    None stays None. Floats other than float32/float64 and non-numeric dtypes are refused."""
    if dtype is None:
        return None
    try:
        resolved = _DTYPE_NAMES.get(dtype) if isinstance(dtype, str) else None
        resolved = resolved or np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}: use mg.float32, mg.float64, mg.int64, mg.int32, mg.bool or "
                        "their names (devices are 'cpu', 'cuda' or 'cuda:0')") from None
    if resolved not in backend.FLOAT_DTYPES and resolved.kind not in "iub":
        raise TypeError(f"unsupported dtype {resolved}: minigrad computes in float32 or float64 "
                        "and keeps integer and bool tensors for indices, targets and masks")
    return resolved


def _python_dtype(array):
    """The dtype torch gives data built from Python numbers: floats float32, ints int64, bools bool."""
    kind = array.dtype.kind
    if kind == "f":
        return float32
    if kind in "iu":
        return int64
    return bool_ if kind == "b" else array.dtype


def _to_array(data, dtype):
    """An array for ``data`` following the dtype rules: Python floats become float32, ints int64,
    bools bool; arrays (and NumPy scalars) keep their dtype."""
    if isinstance(data, Tensor):
        array = data.data
    elif isinstance(data, np.ndarray) or (not isinstance(data, (numbers.Number, list, tuple))
                                          and hasattr(data, "__cuda_array_interface__")):
        array = data
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        try:
            array = np.asarray(data)
        except ValueError:  # NumPy's words for a ragged list ("inhomogeneous shape") name no fix
            raise ValueError("cannot make a tensor from nested sequences of different lengths: every row "
                             "of a (nested) list must have the same length") from None
        if dtype is None and array.dtype.kind in "iufb":
            array = array.astype(_python_dtype(array), copy=False)
    if array.dtype.kind not in "iufb":
        raise TypeError(f"cannot make a tensor from data of dtype {array.dtype}")
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if array.dtype.kind == "f" and array.dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"unsupported dtype {array.dtype}: minigrad computes in float32 or float64")
    return array


_UNARY = object()  # _without_grad's marker for an operator with no second operand


def _check_requires_grad(dtype, requires_grad):
    if requires_grad and dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"only float32 and float64 tensors can require grad, got {dtype} "
                        "(integer and bool tensors hold indices, targets and masks)")


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

    # _counter: the storage's version counter, shared with views (see autograd/versions.py); _base: the tensor this one is a view of, or None. Set only when needed:
    # _view_time, the write clock when this view was taken; _moves, [(time, hidden tensor holding
    # the earlier place)] for each recorded in-place op that moved this tensor in the graph.
    __slots__ = ("data", "_grad", "_requires_grad", "_creator", "_index", "_counter", "_base", "_view_time",
                 "_moves", "__weakref__",
                 "_post_accumulate_grad_hooks",  # set only by register_post_accumulate_grad_hook
                 "_grad_hooks")  # a leaf's gradient hooks, set only by register_hook / retain_grad
    __array_ufunc__ = None  # numpy defers to Tensor's reflected operators: array + tensor -> Tensor

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        array = _to_array(data, _resolve_dtype(dtype))
        if array is (data.data if isinstance(data, Tensor) else data):
            array = array.copy()
        if device is not None:
            array = backend.to_device(array, device)
        _check_requires_grad(array.dtype, requires_grad)
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
    device = property(lambda self: backend.device_of(self.data))
    is_leaf = property(lambda self: self._creator is None)
    grad_fn = property(lambda self: self._creator, doc="The node that made this tensor (e.g. <MulBackward>), or None")
    _version = property(lambda self: self._counter[0], doc="In-place writes so far to this tensor's storage")
    T = property(lambda self: self.permute(*reversed(range(self.ndim))), doc="All dims reversed, as torch's .T.")
    mT = property(lambda self: self.transpose(-2, -1), doc="The last two dims swapped (a batch of matrices).")

    def size(self, dim=None):
        """The shape (a tuple), or the length of one dim: ``mg.zeros(2, 3).size(1)`` -> 3."""
        return self.data.shape if dim is None else self.data.shape[_dims.dim_index(dim, self.ndim)]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return self.data.size

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        # as torch: the dtypes that Python numbers produce by default are not shown
        extras = "" if self.dtype in (float32, int64, bool_) else f", dtype={self.dtype}"
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

    def tolist(self):
        """The values as (nested) Python numbers: ``mg.tensor([[1, 2]]).tolist()`` -> [[1, 2]]."""
        return self.numpy().tolist()

    def __dlpack__(self, *, stream=None, **kwargs):
        """A DLPack capsule of the data, zero-copy (np.from_dlpack, torch.from_dlpack, cupy.from_dlpack
        take the tensor itself). Keyword arguments of newer consumers (max_version, dl_device, copy)
        pass through to the array. As in torch, a tensor that requires grad must be detached first."""
        if self.requires_grad:
            raise RuntimeError("cannot export a tensor that requires grad through DLPack: "
                               "use tensor.detach().__dlpack__() (the result shares memory but not the graph)")
        if stream is not None:
            kwargs["stream"] = stream
        return self.data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        """(device type, device id) in DLPack's codes: (1, 0) for the CPU, (2, n) for CUDA device n."""
        return self.data.__dlpack_device__()

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only integer tensors of one element can be used as an index, "
                            f"got dtype {self.dtype} and shape {self.shape}")
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data.item())

    def detach(self):
        """A tensor sharing this data (and its version counter), outside the graph."""
        t = Tensor._wrap(self.data, False)
        t._counter = self._counter
        return t

    def to(self, *args, **kwargs):
        """This tensor on another device and/or in another dtype, as torch's ``Tensor.to``:
        ``t.to("cuda")``, ``t.to(mg.float64)``, ``t.to("cpu", mg.float32)``, ``t.to(other)`` (other's
        device and dtype), ``t.to(device=..., dtype=...)``. Returns self when nothing changes;
        differentiable between float dtypes and devices.
        """
        device, dtype = _to_arguments(args, kwargs)
        result = self
        if device is not None and device != result.device:
            if result.dtype in backend.FLOAT_DTYPES:
                result = _ops.ToDevice(device)._call_once(result)
            else:
                result = Tensor._wrap(backend.to_device(result.data, device), False)
        if dtype is not None and dtype != result.dtype:
            if result.dtype in backend.FLOAT_DTYPES and dtype in backend.FLOAT_DTYPES:
                result = _ops.Cast(dtype)._call_once(result)
            else:
                result = Tensor._wrap(result.data.astype(dtype), False)
        return result

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def long(self):
        return self.to(int64)

    def int(self):
        return self.to(int32)

    def bool(self):
        return self.to(bool_)

    def type_as(self, other):
        """This tensor in ``other``'s dtype and on its device (``self.to(other)``, as torch's
        ``self.to(other.options())``); self when both already match; differentiable between float dtypes."""
        if not isinstance(other, Tensor):
            raise TypeError(f"type_as expects a Tensor, got {type(other).__name__}")
        return self.to(other)

    def type(self, dtype=None):
        """Without an argument, the type's name ('minigrad.FloatTensor'); with one, ``self.to(dtype)``."""
        if dtype is None:
            return f"minigrad.{_TYPE_NAMES.get(self.dtype, str(self.dtype))}Tensor"
        return self.to(_resolve_dtype(dtype))

    # ---- new tensors with this one's dtype and device (unless dtype=/device= say otherwise) ----
    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of shape ``size`` (``t.new_zeros(2, 3)`` or ``t.new_zeros((2, 3))``) in this tensor's
        dtype and on its device. Example: ``mg.tensor([1, 2]).new_zeros(3)`` -> tensor([0, 0, 0])"""
        return _creation.zeros(*size, **self._new_options(dtype, device, requires_grad))

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation.ones(*size, **self._new_options(dtype, device, requires_grad))

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return _creation.empty(*size, **self._new_options(dtype, device, requires_grad))

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """``fill_value`` everywhere, cast to this tensor's dtype (unless ``dtype``), as torch:
        ``mg.tensor([1, 2]).new_full((2,), 2.7)`` -> tensor([2, 2])"""
        return _creation.full(size, fill_value, **self._new_options(dtype, device, requires_grad))

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A copy of ``data`` (numbers, lists, arrays, tensors) in this tensor's dtype and on its device."""
        return _creation.tensor(data, **self._new_options(dtype, device, requires_grad))

    def _new_options(self, dtype, device, requires_grad):
        return {"dtype": self.dtype if dtype is None else dtype, "device": self.device if device is None else device,
                "requires_grad": requires_grad}

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

    def register_hook(self, hook):
        """Call ``hook(grad)`` with the gradient of this tensor each time backward computes it; a
        Tensor it returns (of the gradient's shape) replaces the gradient, None keeps it (torch's
        rule). On a leaf the hook sees the gradient before it is added into ``.grad``, summed over
        every use of the leaf in the graph. Returns a handle whose ``remove()`` unregisters it.

        Example: ``h = y.register_hook(lambda g: g.clamp(-1, 1))``
        """
        return autograd.hooks.register_hook(self, hook)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` when backward computes it (summed over
        backward calls, as a leaf's); a no-op on a leaf. Example: ``h = x @ w; h.retain_grad()``"""
        autograd.hooks.retain_grad(self)

    @property
    def retains_grad(self):
        """Whether retain_grad() was called on this non-leaf tensor."""
        return autograd.hooks.retains_grad(self)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` each time backward has added a gradient into this leaf's ``.grad``
        (as torch's hook of that name). Returns a handle whose ``remove()`` unregisters it.

        Example: ``w.register_post_accumulate_grad_hook(lambda p: print(p.grad.shape))``
        """
        return autograd.hooks.register_post_accumulate_grad_hook(self, hook)

    # ---- operators --------------------------------------------------------------------------
    def _operand(self, other):
        """``other`` as a Tensor on this tensor's device: a Python number in the dtype torch gives it
        next to this tensor (see _like_value), an array in its own dtype, a list as mg.tensor reads it."""
        if isinstance(other, Tensor):
            return other
        data = self.data
        if isinstance(other, (int, float)) and type(data) is np.ndarray:  # the common case, kept short
            return Tensor._wrap(_like_value(data, other), False)
        if isinstance(other, numbers.Number):
            array = _like_value(data, other)
        else:
            try:
                array = _to_array(other, None)
            except TypeError:
                raise TypeError(f"unsupported operand of type {type(other).__name__} for a Tensor") from None
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
        return _ops.GetItem(_index_arrays(index))._call_once(self)

    # ---- in place ---------------------------------------------------------------------------
    def _in_place(self, op, *operands):
        """Run in-place ``op`` on self and ``operands``; return self (see autograd/versions.py)."""
        return autograd.in_place(self, op, *operands)

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

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_  # x += y is x.add_(y): returns x

    # ---- elementwise ------------------------------------------------------------------------
    def exp(self):
        return _ops.Exp.apply(self)

    def log(self):
        return _ops.Log.apply(self)

    def sqrt(self):
        return _ops.Sqrt.apply(self)

    def abs(self):
        return _ops.Abs.apply(self)

    def sin(self):
        return _ops.Sin.apply(self)

    def cos(self):
        return _ops.Cos.apply(self)

    def tanh(self):
        return _ops.Tanh.apply(self)

    def sigmoid(self):
        return _ops.Sigmoid.apply(self)

    def relu(self):
        return _ops.ReLU.apply(self)

    def log1p(self):
        """log(1 + x), accurate near 0."""
        return _ops.Log1p.apply(self)

    def expm1(self):
        """exp(x) - 1, accurate near 0."""
        return _ops.Expm1.apply(self)

    def rsqrt(self):
        """1 / sqrt(x)."""
        return _ops.Rsqrt.apply(self)

    def reciprocal(self):
        """1 / x (integers give float32, as torch)."""
        return _ops.Reciprocal.apply(self)

    def square(self):
        """x * x (integers stay integers, bools become int64, as torch)."""
        return _ops.Square.apply(self)

    def log2(self):
        return _ops.Log2.apply(self)

    def log10(self):
        return _ops.Log10.apply(self)

    def exp2(self):
        """2 ** x."""
        return _ops.Exp2.apply(self)

    def sinh(self):
        return _ops.Sinh.apply(self)

    def cosh(self):
        return _ops.Cosh.apply(self)

    # piecewise constant: a gradient of 0, as torch's; integer tensors come back unchanged
    def sign(self):
        """-1, 0 or 1 in this tensor's dtype (NaN gives 0, as torch)."""
        return _ops.Sign.apply(self)

    def floor(self):
        return _ops.Floor.apply(self)

    def ceil(self):
        return _ops.Ceil.apply(self)

    def trunc(self):
        """Rounded toward zero."""
        return _ops.Trunc.apply(self)

    def round(self, *, decimals=0):
        """Rounded half to even (``mg.tensor([0.5, 1.5, 2.5]).round()`` -> [0., 2., 2.]), to ``decimals``
        decimal places (negative: to tens, hundreds, ...), as torch. Example: ``x.round(decimals=2)``"""
        if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral):
            raise TypeError(f"round's decimals must be an int, got {decimals!r}")
        return _ops.Round(int(decimals))._call_once(self)

    def frac(self):
        """x - trunc(x), with x's sign (float tensors only); the gradient is 1."""
        return _ops.Frac.apply(self)

    def pow(self, exponent):
        return self ** exponent

    def clamp(self, min=None, max=None):
        """Values limited to [min, max] (either may be None); ``clip`` is the same."""
        if min is None and max is None:
            raise ValueError("clamp needs at least one of min and max")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, numbers.Real)):
                raise TypeError(f"clamp's {name} must be a number or None, got {type(bound).__name__}")
        if self.data.dtype.kind != "f" and any(isinstance(b, float) for b in (min, max)):
            return _ops.Clamp(min, max)._call_once(self.float())  # a float bound makes the result float32, as torch
        return _ops.Clamp(min, max)._call_once(self)

    clip = clamp

    def maximum(self, other):
        """Elementwise max with ``other`` (a tensor or number, broadcast); NaN wins, ties share the
        gradient equally, as torch. Example: ``mg.tensor([1.0, 5.0]).maximum(mg.tensor([3.0, 2.0]))`` -> [3., 5.]"""
        return _ops.Maximum(True)._call_once(self, self._operand(other))

    def minimum(self, other):
        return _ops.Maximum(False)._call_once(self, self._operand(other))

    def masked_fill(self, mask, value):
        """A copy with ``value`` (a number or one-element tensor) wherever the bool ``mask``
        (broadcastable to this shape) is True. Example: ``x.masked_fill(x < 0, 0.0)``"""
        if isinstance(value, Tensor):
            if value.numel() != 1:
                raise ValueError(f"masked_fill's value must be a number or a one-element tensor, got shape {value.shape}")
            value = value.item()
        mask = _condition(mask, "masked_fill's mask")
        if _broadcast_shape(mask.shape, self.shape) != self.shape:
            raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to the tensor's shape {self.shape}")
        fill = backend.to_device(np.asarray(value, dtype=self.dtype), self.device)
        return _ops.Where.apply(mask, Tensor._wrap(fill, False), self)

    def softmax(self, dim):
        return _ops.Softmax(_dims.dim_index(dim, self.ndim))._call_once(self)

    def log_softmax(self, dim):
        return _ops.LogSoftmax(_dims.dim_index(dim, self.ndim))._call_once(self)

    # named forms of the arithmetic operators, as torch's
    def add(self, other, *, alpha=1):
        """self + alpha * other."""
        return self + (other if alpha == 1 else self._operand(other) * alpha)

    def sub(self, other, *, alpha=1):
        """self - alpha * other."""
        return self - (other if alpha == 1 else self._operand(other) * alpha)

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def neg(self):
        return -self

    def matmul(self, other):
        return self @ other

    # ---- comparisons and integer/bool operators (results never require grad) ---------------
    def isnan(self):
        return Tensor._wrap(backend.array_module(self.data).isnan(self.data), False)

    def isinf(self):
        return Tensor._wrap(backend.array_module(self.data).isinf(self.data), False)

    def isfinite(self):
        return Tensor._wrap(backend.array_module(self.data).isfinite(self.data), False)

    def eq(self, other):
        return self.__eq__(other)

    def ne(self, other):
        return self.__ne__(other)

    def lt(self, other):
        return self.__lt__(other)

    def le(self, other):
        return self.__le__(other)

    def gt(self, other):
        return self.__gt__(other)

    def ge(self, other):
        return self.__ge__(other)

    def _without_grad(self, other, fn, what, kinds):
        """fn on the arrays of self and other (_UNARY: self alone), for operators without gradient."""
        other = None if other is _UNARY else self._operand(other)
        for t in (self,) if other is None else (self, other):
            if t.dtype.kind not in kinds:
                raise TypeError(f"{what} is defined for {_KIND_NAMES[kinds]} tensors, got dtype {t.dtype}")
            if t.requires_grad and autograd.is_grad_enabled():
                raise RuntimeError(f"{what} has no gradient; apply it to x.detach() (or under mg.no_grad())")
        if other is None:
            return Tensor._wrap(fn(self.data), False)
        backend.common_array_module([self.data, other.data], what)
        return Tensor._wrap(fn(*_ops._dtypes.promote(self.data, other.data)), False)

    def __invert__(self):
        return self._without_grad(_UNARY, lambda a: ~a, "~", "iub")

    def __and__(self, other):
        return self._without_grad(other, lambda a, b: a & b, "&", "iub")

    def __or__(self, other):
        return self._without_grad(other, lambda a, b: a | b, "|", "iub")

    def __xor__(self, other):
        return self._without_grad(other, lambda a, b: a ^ b, "^", "iub")

    def __floordiv__(self, other):
        return self._without_grad(other, lambda a, b: a // b, "//", "iuf")

    def __mod__(self, other):
        return self._without_grad(other, lambda a, b: a % b, "%", "iuf")

    # ---- reductions -------------------------------------------------------------------------
    # dim= and keepdim= as torch; axis= and keepdims= are accepted as aliases, as torch does.
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        """Sum over ``dim`` (None: all, an int or a tuple); integer and bool tensors sum as int64.
        With ``dtype``, the tensor is cast to it first, as torch: ``ints.sum(dtype=mg.float32)``, or
        ``x.sum(dtype=mg.float64)`` to accumulate float32 values in float64 (the gradient comes back as float32)."""
        dtype = self._reduction_dtype(dtype, "sum")
        return _ops.Sum(*_reduction_args(dim, keepdim, axis, keepdims), dtype)._call_once(self)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
        """Mean over ``dim`` of a float tensor; with ``dtype`` (a float dtype) the tensor is cast to it
        first, as torch: ``ints.mean(dtype=mg.float32)``."""
        dtype = self._reduction_dtype(dtype, "mean")
        return _ops.Mean(*_reduction_args(dim, keepdim, axis, keepdims), dtype)._call_once(self)

    def _reduction_dtype(self, dtype, name):
        """sum's and mean's ``dtype``, resolved; a float tensor that requires grad cannot reduce into
        an integer or bool dtype while grad is recorded (torch refuses it too)."""
        dtype = _resolve_dtype(dtype)
        if dtype is not None and dtype.kind != "f" and self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(f"{name}(dtype={dtype}) of a tensor that requires grad has no gradient: "
                               f"apply it to x.detach() (or under mg.no_grad())")
        return dtype

    def prod(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _ops.Prod(*_reduction_args(dim, keepdim, axis, keepdims))._call_once(self)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        """Variance over ``dim``, unbiased by default (correction=1; ``unbiased=False`` or
        ``correction=0`` gives the biased one). Example: ``mg.tensor([1.0, 3.0]).var()`` -> tensor(2.)"""
        return _ops.Var(*_reduction_args(dim, keepdim, axis, keepdims), _correction(unbiased, correction))._call_once(self)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        """Standard deviation: the square root of ``var(...)`` with the same arguments; its gradient
        is 0 where it is 0 (a constant input), as torch's."""
        return _ops.Std(*_reduction_args(dim, keepdim, axis, keepdims), _correction(unbiased, correction))._call_once(self)

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Largest values over ``dim`` (None or (): all); ties share the gradient equally."""
        return _ops.Extremum(*_reduction_args(dim, keepdim, axis, keepdims), largest=True)._call_once(self)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return _ops.Extremum(*_reduction_args(dim, keepdim, axis, keepdims), largest=False)._call_once(self)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Without dim, the largest value (0-d; ties share the gradient). With an int dim, a
        namedtuple (values, indices) as torch; the gradient goes to the index chosen. With a
        tensor, the elementwise maximum (as torch.max(input, other)).

        Example: ``values, indices = mg.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)`` -> [5., 7.], [1, 0]
        """
        return self._extremum_with_indices(dim, keepdim, axis, keepdims, True)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """As max, for the smallest values."""
        return self._extremum_with_indices(dim, keepdim, axis, keepdims, False)

    def _extremum_with_indices(self, dim, keepdim, axis, keepdims, largest):
        if isinstance(dim, Tensor):  # torch's max(input, other): elementwise
            return self.maximum(dim) if largest else self.minimum(dim)
        dim, keepdim = _reduction_args(dim, keepdim, axis, keepdims)
        if dim is None:
            return _ops.Extremum(None, keepdim, largest)._call_once(self)
        result = _MaxResult if largest else _MinResult
        if self.ndim == 0:  # as torch: the value itself at index 0
            _dims.dim_index(dim, 0)
            return result(self.reshape(()), Tensor._wrap(backend.array_module(self.data).zeros((), int64), False))
        indices = self._arg_extremum(dim, True, largest)
        values = _ops.TakeAlongDim(_dims.dim_index(dim, self.ndim), keepdim)._call_once(self, indices)
        return result(values, indices if keepdim else indices.squeeze(dim))

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Index (int64) of the largest value: over the flattened tensor when dim is None."""
        return self._arg_extremum(*_reduction_args(dim, keepdim, axis, keepdims), largest=True)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return self._arg_extremum(*_reduction_args(dim, keepdim, axis, keepdims), largest=False)

    def _arg_extremum(self, dim, keepdim, largest):
        if isinstance(dim, tuple):
            raise TypeError(f"argmax, argmin, max(dim) and min(dim) take one int dim, got {dim}")
        data, name = self.data, "argmax" if largest else "argmin"
        if data.size == 0:
            raise ValueError(f"{name} of an empty tensor (shape {self.shape}) is undefined")
        if dim is None or data.ndim == 0:
            _dims.dim_tuple(dim, data.ndim)  # checks the dim of a 0-d tensor
            flat = data.reshape(-1)
            index = flat.argmax() if largest else flat.argmin()
            shape = (1,) * data.ndim if keepdim else ()
        else:
            dim = _dims.dim_index(dim, data.ndim)
            index = data.argmax(axis=dim) if largest else data.argmin(axis=dim)
            shape = data.shape[:dim] + ((1,) if keepdim else ()) + data.shape[dim + 1:]
        xp = backend.array_module(data)
        return Tensor._wrap(xp.asarray(index, dtype=int64).reshape(shape), False)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Whether every value is nonzero (True), over ``dim``; a bool tensor without grad."""
        return self._truth_reduction("all", *_reduction_args(dim, keepdim, axis, keepdims))

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Whether some value is nonzero (True), over ``dim``; a bool tensor without grad."""
        return self._truth_reduction("any", *_reduction_args(dim, keepdim, axis, keepdims))

    def _truth_reduction(self, name, dim, keepdim):
        nonzero = self.data != 0
        reduced = getattr(nonzero, name)(axis=_dims.dim_tuple(dim, self.ndim), keepdims=keepdim)
        return Tensor._wrap(backend.array_module(self.data).asarray(reduced), False)

    def norm(self, p="fro", dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The p-norm over ``dim`` (None: all entries): p a number > 0, 'fro' (2), inf or -inf
        (largest or smallest absolute value). Example: ``mg.tensor([3.0, 4.0]).norm()`` -> tensor(5.)"""
        dim, keepdim = _reduction_args(dim, keepdim, axis, keepdims)
        if p == "fro":
            p = 2
        if p == float("inf"):
            return self.abs().amax(dim, keepdim)
        if p == float("-inf"):
            return self.abs().amin(dim, keepdim)
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not p > 0:
            raise ValueError(f"norm's p must be a number > 0, 'fro', inf or -inf, got {p!r}")
        return _ops.Norm(p, dim, keepdim)._call_once(self)

    # ---- shape ------------------------------------------------------------------------------
    def reshape(self, *shape):
        return _ops.Reshape(_shape_argument(shape))._call_once(self)

    def view(self, *shape):
        """The same data seen in another shape, without copying (torch's view): a RuntimeError that
        says to use reshape when the strides do not allow it (e.g. after transpose)."""
        return _ops.Reshape(_shape_argument(shape), view=True)._call_once(self)

    def view_as(self, other):
        return self.view(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Dims start_dim..end_dim merged into one: ``mg.zeros(2, 3, 4).flatten(1).shape`` -> (2, 12)"""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _dims.dim_index(start_dim, self.ndim), _dims.dim_index(end_dim, self.ndim)
        if start > end:
            raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
        shape = self.shape
        return self.reshape(shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:])

    def unsqueeze(self, dim):
        """A new dim of size 1 at ``dim`` (in [-ndim-1, ndim])."""
        dim = _dims.dim_index(dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim=None):
        """Dims of size 1 removed: all of them, or those among ``dim`` (an int or tuple)."""
        dims = _dims.dim_tuple(dim, self.ndim)
        return self.reshape(tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1)))

    def permute(self, *dims):
        """The dims reordered: ``mg.zeros(2, 3, 4).permute(2, 0, 1).shape`` -> (4, 2, 3)"""
        dims = _shape_argument(dims)
        if len(dims) != self.ndim:
            raise ValueError(f"permute needs {self.ndim} dims for a tensor of shape {self.shape}, got {dims}")
        normalized = tuple(_dims.dim_index(d, self.ndim) for d in dims)
        if len(set(normalized)) != len(normalized):
            raise ValueError(f"permute's dims {dims} name a dimension more than once")
        return _ops.Transpose(normalized)._call_once(self)

    def transpose(self, dim0, dim1):
        """dim0 and dim1 swapped, as torch (not NumPy's axes order)."""
        order = list(range(self.ndim))
        dim0, dim1 = _dims.dim_index(dim0, self.ndim), _dims.dim_index(dim1, self.ndim)
        if self.ndim < 2:
            return self
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return _ops.Transpose(tuple(order))._call_once(self)

    def t(self):
        """The transpose of a matrix (a 0-d or 1-d tensor as it is)."""
        if self.ndim > 2:
            raise ValueError(f"t() expects a tensor with at most 2 dims, got shape {self.shape}; use transpose(dim0, dim1)")
        return self.transpose(0, -1)

    def expand(self, *sizes):
        """A broadcast view of new sizes (-1 keeps a dim, new dims go first):
        ``mg.zeros(3, 1).expand(2, -1, 4).shape`` -> (2, 3, 4)"""
        sizes = _shape_argument(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(f"expand needs at least {self.ndim} sizes for a tensor of shape {self.shape}, got {sizes}")
        shape = []
        for i, size in enumerate(sizes):
            old = self.shape[i - lead] if i >= lead else None
            if size == -1:
                if old is None:
                    raise ValueError(f"expand: -1 is not allowed for a new leading dim ({i}) in {sizes}")
                size = old
            if size < 0 or (old is not None and old != 1 and old != size):
                raise ValueError(f"expand: size {size} at dim {i} does not match the tensor's size {old} there "
                                 f"(only dims of size 1 can grow); shape {self.shape}, sizes {sizes}")
            shape.append(size)
        return _ops.Expand(tuple(shape))._call_once(self)

    def expand_as(self, other):
        return self.expand(other.shape)

    def repeat(self, *sizes):
        """The tensor tiled ``sizes[i]`` times along each dim (extra sizes add leading dims)."""
        sizes = _shape_argument(sizes)
        if len(sizes) < self.ndim or any(s < 0 for s in sizes):
            raise ValueError(f"repeat needs at least {self.ndim} non-negative sizes for a tensor of shape "
                             f"{self.shape}, got {sizes}")
        return _ops.Repeat(sizes)._call_once(self)

    def split(self, split_size_or_sections, dim=0):
        """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the listed sizes.
        Example: ``mg.arange(5).split([2, 3])`` -> (tensor([0, 1]), tensor([2, 3, 4]))"""
        dim = _dims.dim_index(dim, self.ndim)
        length = self.shape[dim]
        if isinstance(split_size_or_sections, numbers.Integral):
            size = int(split_size_or_sections)
            if size <= 0:
                raise ValueError(f"split_size must be a positive int, got {size}")
            sizes = [min(size, length - start) for start in range(0, length, size)] or [0]
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != length or any(s < 0 for s in sizes):
                raise ValueError(f"split sizes {sizes} must be non-negative and add up to {length}, "
                                 f"the size of dim {dim}")
        starts = np.cumsum([0] + sizes).tolist()
        prefix = (slice(None),) * dim
        return tuple(self[prefix + (slice(a, b),)] for a, b in zip(starts[:-1], starts[1:]))

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` pieces of equal size (the last may be smaller) along ``dim``."""
        if isinstance(chunks, bool) or not isinstance(chunks, numbers.Integral) or chunks <= 0:
            raise ValueError(f"chunks must be a positive int, got {chunks!r}")
        length = self.shape[_dims.dim_index(dim, self.ndim)]
        return self.split(max(-(-length // chunks), 1), dim)

    def contiguous(self):
        """Self when its data is C-contiguous, else a differentiable contiguous copy."""
        return self if self.data.flags.c_contiguous else _ops.Clone.apply(self)

    def clone(self):
        """A differentiable copy: ``y = x.clone()`` has its own memory, and gradients flow to x."""
        return _ops.Clone.apply(self)

    # ---- indexing by index tensors ----------------------------------------------------------
    def gather(self, dim, index):
        """Entries along ``dim`` at ``index`` (int64, as many dims as self, no larger than self on the
        other dims): ``out[i][j] = self[i][index[i][j]]`` for dim 1; the result has index's shape.
        Differentiable in self (repeated indices add). Example:
        ``mg.tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, mg.tensor([[1, 1], [0, 1]]))`` -> [[2., 2.], [3., 4.]]"""
        return _ops.Gather(_dims.dim_index(dim, self.ndim))._call_once(self, _index_tensor(index, "gather"))

    def scatter(self, dim, index, src=None, *, value=None):
        """A copy with ``src``'s entries (a tensor of self's dtype, or a number ``value``) written at
        ``index`` along ``dim``: ``out[index[i][j]][j] = src[i][j]`` for dim 0 (out of place, as
        torch's scatter). Where index repeats a position the last write in C order wins on cpu
        (unspecified on cuda, as torch). Differentiable in self and src."""
        if src is not None and value is not None:
            raise TypeError("scatter(): pass src or value, not both")
        src = value if src is None else src
        if src is None:
            raise TypeError("scatter() needs src (a tensor) or value (a number)")
        index = _index_tensor(index, "scatter")
        dim = _dims.dim_index(dim, self.ndim)
        if isinstance(src, Tensor):
            return _ops.Scatter(dim)._call_once(self, index, src)
        if not isinstance(src, numbers.Number):
            raise TypeError(f"scatter(): src must be a Tensor or a number, got {type(src).__name__}")
        return _ops.Scatter(dim, value=np.asarray(src).astype(self.dtype).item())._call_once(self, index)

    def scatter_add(self, dim, index, src):
        """A copy with ``src``'s entries added at ``index`` along ``dim`` (repeated positions sum):
        ``out[index[i][j]][j] += src[i][j]`` for dim 0. Differentiable in self and src."""
        if not isinstance(src, Tensor):
            raise TypeError(f"scatter_add(): src must be a Tensor, got {type(src).__name__}")
        index = _index_tensor(index, "scatter_add")
        return _ops.Scatter(_dims.dim_index(dim, self.ndim), accumulate=True)._call_once(self, index, src)

    def index_select(self, dim, index):
        """The slices at the positions of a 1-D integer ``index`` along ``dim`` (repeats allowed;
        their gradients add): ``mg.arange(6.0).reshape(2, 3).index_select(1, mg.tensor([2, 0]))``."""
        index = _index_tensor(index, "index_select")
        if index.ndim > 1:
            raise IndexError(f"index_select(): index must be 1-D (or 0-d), got shape {index.shape}")
        _ops.indexing.check_index_dtype(index.data, "index_select")
        backend.common_array_module([self.data, index.data], "index_select")
        dim = _dims.dim_index(dim, self.ndim)
        if self.ndim == 0 and index.numel() != 1:
            raise IndexError(f"index_select(): a 0-d tensor takes an index of one value, got {index.numel()}")
        source = self.reshape(1) if self.ndim == 0 else self
        _ops.indexing.check_index_range(index.data, source.shape[dim], dim, "index_select", IndexError)
        selected = source[(slice(None),) * dim + (index.data.reshape(-1),)]  # indexing copies the index
        return selected.reshape(()) if self.ndim == 0 else selected

    def take_along_dim(self, indices, dim=None):
        """Entries at ``indices`` along ``dim``, self and indices broadcast on the other dims (as
        torch.take_along_dim; negative indices count from the end). With dim None, both are
        flattened. Differentiable in self. Example: ``x.take_along_dim(x.argmax(1, keepdim=True), 1)``"""
        indices = _index_tensor(indices, "take_along_dim")
        if dim is None:
            return self.reshape(-1).take_along_dim(indices.reshape(-1), 0)
        if indices.ndim != self.ndim:
            raise RuntimeError(f"take_along_dim(): input of shape {self.shape} and indices of shape "
                               f"{indices.shape} must have the same number of dims")
        _ops.indexing.check_index_dtype(indices.data, "take_along_dim")
        dim = _dims.dim_index(dim, self.ndim)
        size = self.shape[dim] if self.ndim else 1
        data = indices.data
        low, high = (int(data.min()), int(data.max())) if data.size else (0, 0)
        if low < -size or high >= size:
            bad = low if low < -size else high
            raise RuntimeError(f"take_along_dim(): index {bad} is out of bounds for dimension {dim} with size {size}")
        wrapped = data % size if size else data
        if self.ndim == 0:
            return self.gather(0, Tensor._wrap(wrapped, False))
        shape = _broadcast_shape(*(s[:dim] + (1,) + s[dim + 1:] for s in (self.shape, indices.shape)))
        if shape is None:
            raise RuntimeError(f"take_along_dim(): input of shape {self.shape} and indices of shape "
                               f"{indices.shape} do not broadcast on the dims other than {dim}")
        target = shape[:dim] + (size,) + shape[dim + 1:]
        source = self if target == self.shape else self.expand(target)
        wrapped = backend.array_module(data).broadcast_to(wrapped, shape[:dim] + (indices.shape[dim],) + shape[dim + 1:])
        return source.gather(dim, Tensor._wrap(wrapped, False))

    def masked_select(self, mask):
        """The entries where the bool ``mask`` is True, as a 1-D tensor (self and mask broadcast
        together first). Differentiable. Example: ``x.masked_select(x > 0)``"""
        if not isinstance(mask, Tensor) or mask.dtype != bool_:
            raise RuntimeError(f"masked_select(): mask must be a bool tensor, got "
                               f"{mask.dtype if isinstance(mask, Tensor) else type(mask).__name__}")
        shape = _broadcast_shape(self.shape, mask.shape)
        if shape is None:
            raise RuntimeError(f"masked_select(): mask of shape {mask.shape} and the tensor's shape "
                               f"{self.shape} do not broadcast together")
        xp = backend.common_array_module([self.data, mask.data], "masked_select")
        source = self if self.shape == shape else self.expand(shape)
        return source[mask.data if mask.shape == shape else xp.broadcast_to(mask.data, shape)]

    def nonzero(self, *, as_tuple=False):
        """Indices of the nonzero entries (NaN counts as nonzero), in C order: an int64 tensor of shape
        (n, ndim), or with ``as_tuple=True`` a tuple of ndim 1-D tensors (one for a 0-d tensor)."""
        xp, data = backend.array_module(self.data), self.data
        if as_tuple:
            found = xp.nonzero(data.reshape(1) if data.ndim == 0 else data)
            return tuple(Tensor._wrap(i.astype(int64, copy=False), False) for i in found)
        if data.ndim == 0:
            return Tensor._wrap(xp.zeros((int(data != 0), 0), dtype=int64), False)
        return Tensor._wrap(xp.argwhere(data).astype(int64, copy=False), False)

    def unbind(self, dim=0):
        """The slices along ``dim`` as a tuple of views (each without that dim), differentiable:
        ``a, b = mg.zeros(2, 3).unbind()``"""
        if self.ndim == 0:
            raise IndexError("unbind(): a 0-d tensor has no dimension to unbind")
        dim = _dims.dim_index(dim, self.ndim)
        return tuple(self[(slice(None),) * dim + (i,)] for i in range(self.shape[dim]))
    # ---- ordering ---------------------------------------------------------------------------
    def sort(self, dim=-1, descending=False, stable=False):
        """The values sorted along ``dim`` and their int64 indices, a namedtuple (values, indices) as
        torch's; gradients flow back to the entries the values came from.

        The sort is always stable (``stable`` is accepted for torch's signature): equal values keep
        their order of appearance, ascending and descending, so results are deterministic. NaN counts
        as the largest value: last ascending, first descending, as torch.

        Example: ``mg.tensor([3.0, 1.0, 3.0]).sort(descending=True)`` -> values [3., 3., 1.], indices [0, 2, 1]
        """
        _check_flags("sort", descending=descending, stable=stable)
        return _SortResult(*self._sorted(dim, descending, None))

    def argsort(self, dim=-1, descending=False, stable=False):
        """The int64 indices that sort the tensor along ``dim`` (no gradient): ``sort(...).indices``,
        from the same stable sort (ties in order of appearance; NaN the largest)."""
        _check_flags("argsort", descending=descending, stable=stable)
        return self._sort_index(_dims.dim_index(dim, self.ndim), descending, None)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (``largest=False``: smallest) values along ``dim`` and their int64 indices,
        a namedtuple (values, indices) as torch's; gradients flow back to the chosen entries. k must be
        in [0, size of dim] (a RuntimeError otherwise, as torch).

        Values always come sorted (largest first, or smallest first), also with ``sorted=False``,
        where torch leaves the order unspecified. Ties are taken in order of appearance (a stable
        sort), so results are deterministic; NaN counts as the largest value, as torch.

        Example: ``mg.tensor([1.0, 5.0, 3.0]).topk(2)`` -> values [5., 3.], indices [1, 2]
        """
        k = _int_argument(k, "topk's k")
        _check_flags("topk", largest=largest, sorted=sorted)
        size = self.shape[_dims.dim_index(dim, self.ndim)] if self.ndim else 1
        if not 0 <= k <= size:
            raise RuntimeError(f"topk: k={k} is out of range for dim {dim} of size {size} "
                               f"(shape {self.shape}); expected 0 <= k <= {size}")
        return _TopkResult(*self._sorted(dim, largest, k))

    def _sorted(self, dim, descending, k):
        """(values, indices) of the first ``k`` (None: all) entries of the stable sort along dim."""
        dim = _dims.dim_index(dim, self.ndim)
        indices = self._sort_index(dim, descending, k)
        if self.ndim == 0:  # as torch: the value itself at index 0
            return self.reshape(()), indices
        return _ops.Gather(dim)._call_once(self, indices), indices

    def _sort_index(self, dim, descending, k):
        """The int64 indices (a Tensor without grad) of the first ``k`` (None: all) entries of the
        stable sort along ``dim`` (checked); 0 for a 0-d tensor."""
        if self.ndim == 0:
            return Tensor._wrap(backend.array_module(self.data).zeros((), int64), False)
        index = _ops.sort_indices(self.data, dim, descending)
        if k is not None:
            index = index[(slice(None),) * dim + (slice(0, k),)]
        return Tensor._wrap(index, False)

    def cumsum(self, dim, dtype=None):
        """Running sums along ``dim`` (integer and bool tensors sum as int64, as torch; ``dtype``
        converts the input first). Example: ``mg.tensor([1.0, 2.0, 3.0]).cumsum(0)`` -> [1., 3., 6.]"""
        return self._running(_ops.Cumsum, dim, dtype)

    def cumprod(self, dim, dtype=None):
        """Running products along ``dim`` (integer and bool tensors multiply as int64, as torch). The
        gradient is exact where the input holds zeros, as torch's.
        Example: ``mg.tensor([2.0, 3.0, 4.0]).cumprod(0)`` -> [2., 6., 24.]"""
        return self._running(_ops.Cumprod, dim, dtype)

    def _running(self, op, dim, dtype):
        source = self if dtype is None else self.to(_resolve_dtype(dtype))
        dim = _dims.dim_index(dim, source.ndim)
        if source.ndim == 0:
            return op(0)._call_once(source.reshape(1)).reshape(())
        return op(dim)._call_once(source)

    def flip(self, *dims, **kwargs):
        """A copy reversed along each of ``dims``: ``x.flip(0)``, ``x.flip(0, 1)``, ``x.flip((0, 1))``
        or ``x.flip(dims=[0, 1])``; a dim named twice is a RuntimeError, as torch."""
        if set(kwargs) - {"dims"} or (dims and kwargs):
            raise TypeError(f"flip takes dims (ints, or one tuple or list of them), got {dims} {kwargs}")
        dims = kwargs["dims"] if kwargs else dims[0] if len(dims) == 1 else dims
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        normalized = [_dims.dim_index(d, self.ndim) for d in dims]
        for d, original in zip(normalized, dims):
            if normalized.count(d) > 1:
                raise RuntimeError(f"flip: dim {original} appears more than once in dims {dims}")
        return _ops.Flip(tuple(d for d in normalized if d < self.ndim))._call_once(self)

    def roll(self, shifts, dims=None):
        """The entries moved ``shifts`` places along ``dims`` (those pushed past the end come back at
        the start); shifts and dims are ints or tuples of the same length. Without dims, the flattened
        tensor is rolled by one shift and the shape restored, as torch.
        Example: ``mg.tensor([1, 2, 3]).roll(1)`` -> [3, 1, 2]"""
        shifts = tuple(_int_argument(s, "roll's shifts") for s in
                       (shifts if isinstance(shifts, (tuple, list)) else (shifts,)))
        if dims is None:
            if len(shifts) != 1:
                raise RuntimeError(f"roll: without dims the flattened tensor is rolled by one shift, got shifts "
                                   f"{shifts}; pass as many dims as shifts")
            return _ops.Roll(shifts[0], None)._call_once(self)
        dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if len(shifts) != len(dims) or not dims:
            raise RuntimeError(f"roll: shifts and dims must align, got {len(shifts)} shifts {shifts} "
                               f"and {len(dims)} dims {dims}")
        dims = tuple(_dims.dim_index(d, self.ndim) for d in dims)
        if self.ndim == 0:  # one entry: rolling changes nothing
            return _ops.Roll(0, None)._call_once(self)
        return _ops.Roll(shifts, dims)._call_once(self)

    def tril(self, diagonal=0):
        """The lower triangle of the matrices in the last two dims (batched), from ``diagonal`` down
        (0: the main diagonal, > 0 above it, < 0 below); the other entries are 0."""
        return self._triangle(diagonal, False, "tril")

    def triu(self, diagonal=0):
        """The upper triangle of the matrices in the last two dims (batched), from ``diagonal`` up;
        the other entries are 0."""
        return self._triangle(diagonal, True, "triu")

    def _triangle(self, diagonal, upper, name):
        diagonal = _int_argument(diagonal, f"{name}'s diagonal")
        if self.ndim < 2:
            raise RuntimeError(f"{name}: expects a tensor with at least 2 dims (a matrix or a batch of them), "
                               f"got shape {self.shape}")
        return _ops.Triangle(diagonal, upper)._call_once(self)

    # ---- more math: logsumexp, erf, lerp, products, diagonals, logical ops ----------------
    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) over ``dim`` (an int or a tuple), computed stably (shifted by the max);
        a slice of all -inf gives -inf, as torch. The gradient is softmax over dim; integers give
        float32. Example: ``mg.tensor([[0.0, 0.0]]).logsumexp(1)`` -> tensor([0.6931])"""
        dim, keepdim = _reduction_args(dim, keepdim, None, None)
        return _ops.LogSumExp(dim, keepdim)._call_once(self)

    def erf(self):
        """The error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt (integers give float32)."""
        return _ops.Erf.apply(self)

    def lerp(self, end, weight):
        """Linear interpolation ``self + weight * (end - self)``; end a tensor of self's dtype,
        weight a number or a tensor (of self's dtype, or 0-d); the three broadcast together, and all
        three get gradients. Example: ``mg.tensor([0.0, 2.0]).lerp(mg.tensor([4.0, 4.0]), 0.25)`` -> [1., 2.5]"""
        if not isinstance(end, Tensor):
            raise TypeError(f"lerp(): end must be a Tensor, got {type(end).__name__}")
        if self.dtype.kind != "f":
            raise TypeError(f"lerp() needs float tensors, got dtype {self.dtype}: convert with .float() first")
        if end.dtype != self.dtype:
            raise RuntimeError(f"lerp(): expected dtype {self.dtype} for end but got dtype {end.dtype}")
        if isinstance(weight, Tensor):
            if weight.dtype.kind != "f" or (weight.dtype != self.dtype and weight.ndim > 0):
                raise RuntimeError(f"lerp(): expected dtype {self.dtype} for weight but got dtype {weight.dtype}")
            weight = weight.to(self.dtype)
        elif isinstance(weight, numbers.Real):
            weight = Tensor._wrap(backend.to_device(np.asarray(weight, dtype=self.dtype), self.device), False)
        else:
            raise TypeError(f"lerp(): weight must be a number or a Tensor, got {type(weight).__name__}")
        if _broadcast_shape(self.shape, end.shape, weight.shape) is None:
            raise RuntimeError(f"lerp(): self {self.shape}, end {end.shape} and weight {weight.shape} do not "
                               "broadcast to one shape")
        backend.common_array_module([self.data, end.data, weight.data], "lerp")
        return _ops.Lerp.apply(self, end, weight)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """``beta * self + alpha * (mat1 @ mat2)`` (torch.addmm, self the input): mat1 (n, m) and mat2
        (m, p) matrices, self broadcastable to (n, p), all of one dtype; with beta=0 self is ignored
        (NaN in it does not propagate). Example: ``mg.addmm(bias, x, w.t())`` is a linear layer."""
        for label, t in (("mat1", mat1), ("mat2", mat2)):
            if not isinstance(t, Tensor):
                raise TypeError(f"addmm(): {label} must be a Tensor, got {type(t).__name__}")
            if t.ndim != 2:
                raise RuntimeError(f"addmm(): {label} must be a matrix, got a {t.ndim}-D tensor of shape {t.shape}")
        if mat1.shape[1] != mat2.shape[0]:
            raise RuntimeError(f"addmm(): mat1 and mat2 shapes cannot be multiplied "
                               f"({mat1.shape[0]}x{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
        if not self.dtype == mat1.dtype == mat2.dtype:
            raise RuntimeError(f"addmm(): self, mat1 and mat2 must have the same dtype, got {self.dtype}, "
                               f"{mat1.dtype} and {mat2.dtype}")
        shape = (mat1.shape[0], mat2.shape[1])
        if _broadcast_shape(self.shape, shape) != shape:
            raise RuntimeError(f"addmm(): self of shape {self.shape} does not broadcast to the product's shape {shape}")
        for name, value in (("beta", beta), ("alpha", alpha)):
            if not isinstance(value, numbers.Real):
                raise TypeError(f"addmm(): {name} must be a number, got {type(value).__name__}")
            if self.dtype.kind != "f" and not isinstance(value, numbers.Integral):
                raise TypeError(f"addmm(): {name}={value!r} must be an int for integer tensors (dtype {self.dtype})")
        backend.common_array_module([self.data, mat1.data, mat2.data], "addmm")
        return _ops.AddMM(beta, alpha)._call_once(self, mat1, mat2)

    def outer(self, vec2):
        """The outer product of two 1-D tensors: ``out[i, j] = self[i] * vec2[j]`` (dtypes promote
        as for *). Example: ``mg.tensor([1.0, 2.0]).outer(mg.tensor([1.0, 10.0]))`` -> [[1., 10.], [2., 20.]]"""
        for label, t in (("self", self), ("vec2", vec2)):
            if not isinstance(t, Tensor):
                raise TypeError(f"outer(): {label} must be a Tensor, got {type(t).__name__}")
            if t.ndim != 1:
                raise RuntimeError(f"outer(): expected a 1-D argument {label}, but got {t.ndim}-D (shape {t.shape})")
        return self.reshape(-1, 1) * vec2

    def dot(self, other):
        """The inner product of two 1-D tensors of one dtype and size, a 0-d tensor (torch.dot:
        no broadcasting, no promotion). Example: ``mg.tensor([1.0, 2.0]).dot(mg.tensor([3.0, 4.0]))`` -> 11."""
        if not isinstance(other, Tensor):
            raise TypeError(f"dot(): other must be a Tensor, got {type(other).__name__}")
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"dot(): 1-D tensors expected, but got {self.ndim}-D and {other.ndim}-D tensors")
        if self.shape != other.shape:
            raise RuntimeError(f"dot(): inconsistent tensor size: {self.shape[0]} and {other.shape[0]} elements")
        if self.dtype != other.dtype:
            raise RuntimeError(f"dot(): expected both vectors to have the same dtype, but found {self.dtype} "
                               f"and {other.dtype}")
        return _ops.MatMul.apply(self, other)

    def broadcast_to(self, size):
        """This tensor broadcast to ``size`` (a tuple; -1 keeps a dim), a view as ``expand(*size)``."""
        return self.expand(size)

    def narrow(self, dim, start, length):
        """The ``length`` entries from ``start`` along ``dim`` (start may be negative, or a 0-d integer
        tensor), a view. Example: ``mg.arange(5).narrow(0, 1, 3)`` -> tensor([1, 2, 3])"""
        if self.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor")
        dim = _dims.dim_index(dim, self.ndim)
        if isinstance(start, Tensor):
            if start.dtype.kind not in "iu" or start.numel() != 1:
                raise TypeError(f"narrow(): a tensor start must be a one-element integer tensor, got dtype "
                                f"{start.dtype} and shape {start.shape}")
            start = start.item()
        start, length = _int_argument(start, "narrow's start"), _int_argument(length, "narrow's length")
        size = self.shape[dim]
        if not -size <= start <= size:
            raise IndexError(f"narrow(): start out of range (expected to be in range of [{-size}, {size}], "
                             f"but got {start})")
        start = start + size if start < 0 else start
        if length < 0:
            raise RuntimeError(f"narrow(): length must be non-negative, got {length}")
        if start + length > size:
            raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}) "
                               f"of dim {dim}")
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def movedim(self, source, destination):
        """The dims at ``source`` moved to positions ``destination`` (ints or tuples of the same length),
        the others keeping their order: ``mg.zeros(2, 3, 4).movedim(0, -1).shape`` -> (3, 4, 2)"""
        def dims(value, what):
            value = tuple(value) if isinstance(value, (tuple, list)) else (value,)
            normalized = [_dims.dim_index(d, self.ndim) for d in value]
            if len(set(normalized)) != len(normalized):
                raise RuntimeError(f"movedim(): repeated dim in {what} {value}")
            return normalized
        source, destination = dims(source, "source"), dims(destination, "destination")
        if len(source) != len(destination):
            raise RuntimeError(f"movedim(): source ({len(source)} dims) and destination ({len(destination)} dims) "
                               "must name as many dims")
        if self.ndim == 0:
            return self.reshape(())
        order = [None] * self.ndim
        for s, d in zip(source, destination):
            order[d] = s
        rest = iter(i for i in range(self.ndim) if i not in source)
        return _ops.Transpose(tuple(next(rest) if o is None else o for o in order))._call_once(self)

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        """``transpose(axis0, axis1)`` (torch's alias)."""
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0, dim1):
        """``transpose(dim0, dim1)`` (torch's alias)."""
        return self.transpose(dim0, dim1)

    def diag(self, diagonal=0):
        """1-D: the square matrix with this tensor on diagonal ``diagonal`` (0 main, > 0 above, < 0
        below); 2-D: that diagonal as a 1-D tensor. Differentiable.
        Example: ``mg.tensor([1.0, 2.0]).diag()`` -> [[1., 0.], [0., 2.]]"""
        diagonal = _int_argument(diagonal, "diag's diagonal")
        if self.ndim not in (1, 2):
            raise RuntimeError(f"diag(): supports 1-D or 2-D tensors, got {self.ndim}-D (shape {self.shape})")
        return _ops.Diag(diagonal)._call_once(self)

    def trace(self):
        """The sum of the main diagonal of a matrix (integers sum as int64, as torch)."""
        if self.ndim != 2:
            raise RuntimeError(f"trace(): expected a matrix, but got a tensor with {self.ndim} dims "
                               f"(shape {self.shape})")
        if self.dtype == bool_:
            raise TypeError("trace() is not defined for bool tensors (as torch): convert with .long() first")
        return self.diag().sum()

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +Inf and -Inf replaced by ``nan``, ``posinf`` and ``neginf`` (None: the dtype's largest
        and smallest finite values); integer tensors come back unchanged. The gradient is 0 where a
        value was replaced. Example: ``mg.tensor([float("nan"), 1.0]).nan_to_num()`` -> [0., 1.]"""
        for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
                raise TypeError(f"nan_to_num(): {name} must be a number or None, got {type(value).__name__}")
        if nan is None:
            nan = 0.0
        return _ops.NanToNum(nan, posinf, neginf)._call_once(self)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each entry repeated along ``dim`` (None: of the flattened tensor) ``repeats`` times: an int
        for all, or a 1-D integer tensor with one count per entry. Differentiable (the gradients of
        the copies add). Example: ``mg.tensor([1, 2]).repeat_interleave(mg.tensor([1, 3]))`` -> [1, 2, 2, 2]"""
        if isinstance(repeats, Tensor):
            if repeats.dtype.kind not in "iu":
                raise TypeError(f"repeat_interleave(): repeats must be an integer tensor, got dtype {repeats.dtype}")
            if repeats.ndim > 1:
                raise RuntimeError(f"repeat_interleave(): repeats must be a 0-dim or 1-dim tensor, "
                                   f"got shape {repeats.shape}")
            counts = repeats.numpy().astype(int64, copy=False)
        else:
            counts = np.asarray(_int_argument(repeats, "repeat_interleave's repeats"), dtype=int64)
        source = self.reshape(-1) if dim is None or self.ndim == 0 else self
        dim = 0 if dim is None else _dims.dim_index(dim, source.ndim)
        size = source.shape[dim]
        if counts.ndim == 1 and counts.size != 1 and counts.size != size:
            raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input along dim {dim}, "
                               f"but got {counts.size} repeats and size {size}")
        if (counts < 0).any():
            raise RuntimeError(f"repeat_interleave(): repeats can not be negative, got {counts.tolist()}")
        index = np.repeat(np.arange(size, dtype=int64), np.broadcast_to(counts.reshape(-1), (size,)))
        if output_size is not None and _int_argument(output_size, "output_size") != index.size:
            raise RuntimeError(f"repeat_interleave(): output_size={output_size} but the repeats give {index.size}")
        return source.index_select(dim, Tensor._wrap(backend.to_device(index, self.device), False))

    def logical_and(self, other):
        """Elementwise ``self != 0 and other != 0`` as a bool tensor (any dtypes; broadcast; no grad)."""
        return self._logical(other, "logical_and")

    def logical_or(self, other):
        return self._logical(other, "logical_or")

    def logical_xor(self, other):
        return self._logical(other, "logical_xor")

    def logical_not(self):
        """Elementwise ``self == 0`` as a bool tensor (NaN counts as nonzero, so gives False)."""
        return Tensor._wrap(backend.array_module(self.data).logical_not(self.data), False)

    def _logical(self, other, name):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): other must be a Tensor, got {type(other).__name__}")
        if _broadcast_shape(self.shape, other.shape) is None:
            raise RuntimeError(f"{name}(): shapes {self.shape} and {other.shape} do not broadcast together")
        xp = backend.common_array_module([self.data, other.data], name)
        return Tensor._wrap(getattr(xp, name)(self.data, other.data), False)

    def count_nonzero(self, dim=None):
        """The number of nonzero entries (NaN counts) over ``dim`` (None: all; an int or a tuple), as
        int64. Example: ``mg.tensor([[0, 1], [2, 3]]).count_nonzero(1)`` -> tensor([1, 2])"""
        names = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
        normalized = [_dims.dim_index(d, self.ndim) for d in names if d is not None]
        if len(set(normalized)) != len(normalized):
            raise RuntimeError(f"count_nonzero(): dim {dim} names a dimension more than once")
        xp = backend.array_module(self.data)
        counts = (self.data != 0).sum(axis=_dims.dim_tuple(dim, self.ndim), dtype=int64)
        return Tensor._wrap(xp.asarray(counts), False)



_MaxResult = collections.namedtuple("max", ["values", "indices"])
_MinResult = collections.namedtuple("min", ["values", "indices"])
_SortResult = collections.namedtuple("sort", ["values", "indices"])
_TopkResult = collections.namedtuple("topk", ["values", "indices"])
_KIND_NAMES = {"iub": "integer and bool", "iuf": "integer and float"}
_TYPE_NAMES = {float32: "Float", float64: "Double", int64: "Long", int32: "Int", bool_: "Bool",
               np.dtype(np.int16): "Short", np.dtype(np.int8): "Char", np.dtype(np.uint8): "Byte"}


def _reduction_args(dim, keepdim, axis, keepdims):
    """(dim, keepdim) from torch's names and their NumPy aliases axis and keepdims."""
    if axis is not None:
        if dim is not None:
            raise TypeError("pass dim or its alias axis, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return (tuple(dim) if isinstance(dim, list) else dim), bool(keepdim)


def _correction(unbiased, correction):
    """var/std's correction from torch's two spellings (default 1: unbiased)."""
    if unbiased is not None and correction is not None:
        raise TypeError("pass unbiased or correction, not both")
    return correction if correction is not None else (0 if unbiased is False else 1)


def _int_argument(value, what):
    """``value`` as an int; a TypeError naming ``what`` for anything else (bools and floats included)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


def _check_flags(method, **flags):
    """A TypeError unless each of ``method``'s ``flags`` is a bool, as torch's arguments must be."""
    for name, value in flags.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{method}'s {name} must be a bool, got {type(value).__name__} {value!r}")


def _shape_argument(sizes):
    """A tuple of ints from ``f(2, 3)`` or ``f((2, 3))`` style arguments."""
    sizes = sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    for size in sizes:
        if type(size) is not int and (isinstance(size, bool) or not isinstance(size, numbers.Integral)):
            raise TypeError(f"sizes must be ints, got {sizes!r}")
    return tuple(map(int, sizes))


def _to_arguments(args, kwargs):
    """(device or None, dtype or None) from Tensor.to's arguments."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking"}
    if unknown or len(args) > 2:
        raise TypeError(f"to() takes a device and/or a dtype (or a tensor), got {args} {kwargs}")
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda"):
            device = arg
        else:
            dtype = arg
    return (None if device is None else backend.normalize_device(device)), _resolve_dtype(dtype)


def _broadcast_shape(*shapes):
    """The shape that ``shapes`` broadcast to, or None when they do not."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


def _condition(cond, what):
    """``cond`` (a bool Tensor or array) as a bool Tensor."""
    cond = cond if isinstance(cond, Tensor) else Tensor._wrap(_to_array(cond, None), False)
    if cond.dtype != bool_:
        raise TypeError(f"{what} must be a bool tensor, got dtype {cond.dtype} (compare, e.g. x > 0, to get one)")
    return cond


def _like(array, value):
    return backend.array_module(array).full(array.shape, value, dtype=array.dtype)


def _like_value(array, value):
    """A Python number ``value`` as a 0-d array in the dtype torch gives it next to ``array``: a float
    array's own dtype; next to integers and bools, floats become float32 and ints keep the integer
    dtype (int64 next to bools). Example: int64 tensor * 2.5 -> float32, int64 tensor + 1 -> int64."""
    dtype = array.dtype
    if dtype.kind != "f":
        if isinstance(value, (bool, np.bool_)):
            pass
        elif isinstance(value, numbers.Integral):
            dtype = dtype if dtype.kind in "iu" else int64
        else:
            dtype = float32
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"unsupported operand {value!r} for a tensor of dtype {array.dtype}") from None


def _index_tensor(index, what):
    """An index argument as a Tensor (Tensors as they are, NumPy/CuPy arrays wrapped)."""
    if isinstance(index, Tensor):
        return index
    if isinstance(index, np.ndarray) or hasattr(index, "__cuda_array_interface__"):
        return Tensor._wrap(index, False)
    raise TypeError(f"{what}(): index must be an integer Tensor, got {type(index).__name__}")


def _index_arrays(index):
    """An index with Tensors replaced by their arrays, integer or boolean arrays checked."""
    items = index if isinstance(index, tuple) else (index,)
    converted = []
    for item in items:
        if isinstance(item, Tensor):
            item = item.data
        if isinstance(item, list):
            item = np.asarray(item)
        if hasattr(item, "dtype"):
            if item.dtype.kind not in "iub":
                raise IndexError(f"tensors used as indices must be integer or bool, got {item.dtype}")
            # a copy, as torch's: GetItem keeps the index for backward, and the caller's index tensor or
            # array may be changed in place before it (the gradient would go to entries never read)
            item = item.copy()
        converted.append(item)
    return tuple(converted) if isinstance(index, tuple) else converted[0]


# The operators above apply ops, which sit one layer up and import this module; importing them
# last lets both modules finish loading.
from . import ops as _ops  # noqa: E402
from . import creation as _creation  # noqa: E402
