"""Tensor: an array (numpy or cupy) plus its place in the autodiff graph. Its op methods (x.exp(),
x.sum(), x.reshape(), ...) are the functions of ops/<topic>.py, bound by ops/__init__.py."""
import numbers

import numpy as np

from . import _args, autograd, backend
from ._dtypes import (KIND_NAMES, TYPE_NAMES, alpha_factor, bool_, check_fill, check_requires_grad, float16,
                      float32, float64, int32, int64, like_value, promote, resolve_dtype, to_array)

_UNARY = object()  # _without_grad's marker for an operator with no second operand


class Tensor:
    """An n-dimensional array that records the ops applied to it for reverse-mode autodiff.

    ``_data`` is the numpy (cpu) or cupy (cuda) array (``numpy()`` gives it on the cpu; ``data`` is
    torch's: a Tensor on it outside the graph); ``grad`` is a Tensor of the same shape, filled by
    ``backward``. In-place methods (``x += y``, ``x.mul_(2)``, ``x[i] = v``) write into ``_data``
    and bump ``_version``, a counter shared with the tensor's views.

    Example::

        x = mg.tensor([[1.0, 2.0]], requires_grad=True)   # shape (1, 2), float32
        (x * x).sum().backward()
        x.grad                                            # tensor([[2., 4.]])
    """

    # _counter: the storage's version counter, shared with views (see autograd/versions.py); _base: the tensor this one is a view of, or None. Set only when needed:
    # _view_time, the write clock when this view was taken; _moves, [(time, hidden tensor holding
    # the earlier place)] for each recorded in-place op that moved this tensor in the graph.
    __slots__ = ("_data", "_grad", "_requires_grad", "_creator", "_index", "_counter", "_base", "_view_time",
                 "_moves", "__weakref__",
                 "_post_accumulate_grad_hooks",  # set only by register_post_accumulate_grad_hook
                 "_grad_hooks")  # a leaf's gradient hooks, set only by register_hook / retain_grad
    __array_ufunc__ = None  # numpy defers to Tensor's reflected operators: array + tensor -> Tensor

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        source = data._data if isinstance(data, Tensor) else data
        array = to_array(source, resolve_dtype(dtype))
        if array is source:
            array = array.copy()
        if device is not None:
            array = backend.to_device(array, device)
        check_requires_grad(array.dtype, requires_grad)
        self._data = array
        self._grad = None
        self._requires_grad = bool(requires_grad)
        self._creator = None
        self._index = 0
        self._counter = [0, 0, 0]
        self._base = None

    @classmethod
    def _wrap(cls, array, requires_grad):
        """A tensor around ``array`` without checks or copies (used by ops). NumPy ops on 0-d arrays
        return NumPy scalars (``np.array(1.0) < 2`` is a np.bool_): those become 0-d arrays here, so
        that ``data`` is always an array (a scalar has no device, ``.get()`` or in-place writes)."""
        if isinstance(array, np.generic):
            array = np.asarray(array)
        t = object.__new__(cls)
        t._data, t._grad, t._requires_grad, t._creator, t._index = array, None, requires_grad, None, 0
        t._counter, t._base = [0, 0, 0], None
        return t

    # ---- properties -------------------------------------------------------------------------
    shape = property(lambda self: self._data.shape)
    ndim = property(lambda self: self._data.ndim)
    dtype = property(lambda self: self._data.dtype)
    device = property(lambda self: backend.device_of(self._data))
    is_leaf = property(lambda self: self._creator is None)
    grad_fn = property(lambda self: self._creator, doc="The node that made this tensor (e.g. <MulBackward>), or None")
    _version = property(lambda self: self._counter[0], doc="In-place writes so far to this tensor's storage")
    T = property(lambda self: self.permute(*reversed(range(self.ndim))), doc="All dims reversed, as torch's .T.")
    mT = property(lambda self: self.transpose(-2, -1), doc="The last two dims swapped (a batch of matrices).")
    is_cuda = property(lambda self: self.device == "cuda", doc="True for a tensor on the GPU, as torch's.")
    # devices minigrad does not have: always False, so torch's `x.is_cuda or x.is_xpu` checks read as they do
    is_xpu = is_mps = is_meta = property(lambda self: False, doc="False: minigrad has no such device.")

    def __format__(self, format_spec):
        """As torch's: a 0-d tensor formats as its number (``f"{loss:.4f}"`` -> '0.6931'); any other
        tensor takes only the empty spec (its repr) and refuses a spec with TypeError."""
        if self._data.ndim == 0:
            return format(self.item(), format_spec)
        return object.__format__(self, format_spec)

    def size(self, dim=None):
        """The shape (a tuple), or the length of one dim: ``mg.zeros(2, 3).size(1)`` -> 3."""
        return self._data.shape if dim is None else self._data.shape[_args.dim_index(dim, self.ndim)]

    def dim(self):
        return self._data.ndim

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self._data)))

    def __repr__(self):
        body = np.array2string(backend.to_device(self._data, "cpu"), separator=", ", prefix="tensor(")
        # as torch: the dtypes that Python numbers produce by default are not shown
        extras = "" if self.dtype in (float32, int64, bool_) else f", dtype={self.dtype}"
        extras += "" if self.device == "cpu" else ", device='cuda'"
        extras += ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}{extras})"

    # ---- conversion -------------------------------------------------------------------------
    def numpy(self):
        """The data as a numpy array (shared on cpu, copied from the GPU). As torch, a tensor that
        requires grad (with grad mode on) is refused: the array is outside the graph, so take it from
        ``x.detach().numpy()``, which says so."""
        if self._requires_grad and autograd.is_grad_enabled():
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return backend.to_device(self._data, "cpu")

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def tolist(self):
        """The values as (nested) Python numbers: ``mg.tensor([[1, 2]]).tolist()`` -> [[1, 2]]."""
        return backend.to_device(self._data, "cpu").tolist()

    def __dlpack__(self, *, stream=None, **kwargs):
        """A DLPack capsule of the data, zero-copy (np.from_dlpack, torch.from_dlpack, cupy.from_dlpack
        take the tensor itself). Keyword arguments of newer consumers (max_version, dl_device, copy)
        pass through to the array. As in torch, a tensor that requires grad must be detached first."""
        if self.requires_grad:
            raise RuntimeError("cannot export a tensor that requires grad through DLPack: "
                               "use tensor.detach().__dlpack__() (the result shares memory but not the graph)")
        if stream is not None:
            kwargs["stream"] = stream
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        """(device type, device id) in DLPack's codes: (1, 0) for the CPU, (2, n) for CUDA device n."""
        return self._data.__dlpack_device__()

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError(f"only integer tensors of one element can be used as an index, "
                            f"got dtype {self.dtype} and shape {self.shape}")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self._data.item())

    @property
    def data(self):
        """This tensor's values as a Tensor outside the graph, as torch's ``.data``: same storage,
        requires_grad False, no grad_fn, and its own version counter, so writes through it change
        this tensor unseen by autograd (``p.data.add_(p.grad, alpha=-lr)``; a graph that saved ``p``
        backpropagates with the new values). Use ``detach()`` to have such writes checked.
        """
        return Tensor._wrap(self._data, False)

    @data.setter
    def data(self, value):
        """``x.data = t``: x takes t's storage (t's shape, dtype and device, as torch), keeping its
        graph, grad and version counter; a view stops being one."""
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self._requires_grad and value.dtype not in backend.FLOAT_DTYPES:
            raise RuntimeError(f"data set to a tensor that requires gradients must be floating point "
                               f"(float32 or float64), got {value.dtype}")
        if self._base is not None:
            self._base, self._counter = None, list(self._counter)
        self._data = value._data

    def detach(self):
        """A tensor sharing this data (and its version counter), outside the graph."""
        t = Tensor._wrap(self._data, False)
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
                result = _ops.shape.ToDevice(device)(result)
            else:
                result = Tensor._wrap(backend.to_device(result._data, device), False)
        if dtype is not None and dtype != result.dtype:
            if result.dtype in backend.FLOAT_DTYPES and dtype in backend.FLOAT_DTYPES:
                result = _ops.shape.Cast(dtype)(result)
            else:
                if result.requires_grad and dtype == float16 and autograd.is_grad_enabled():
                    raise TypeError("to(float16): float16 tensors are storage only in minigrad and cannot carry "
                                    "gradients; convert x.detach() (or under mg.no_grad())")
                result = Tensor._wrap(result._data.astype(dtype), False)
        return result

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def half(self):
        """As float16 (mg.half): storage only in minigrad; convert back with .float() to compute."""
        return self.to(float16)

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
            return f"minigrad.{TYPE_NAMES.get(self.dtype, str(self.dtype))}Tensor"
        return self.to(resolve_dtype(dtype))

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
        """Record an in-place write to ``_data`` made outside the in-place methods (optimizers call it
        after updating a parameter's array), so that backward refuses arrays saved before it."""
        autograd.bump_version(self._counter)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate gradients of this tensor into the ``.grad`` of the leaves it depends on.

        ``gradient`` (same shape as self) is required unless the tensor has exactly one element.
        ``create_graph=True`` records the backward itself, so each ``.grad`` is a Tensor in the graph
        that can be differentiated again (retain_graph defaults to it); ``inputs`` (tensors) limits
        the accumulation to their ``.grad``.
        """
        gradient = autograd.differentiate.seed_gradient(self, gradient, create_graph)
        retain_graph = create_graph if retain_graph is None else retain_graph
        if inputs is None:
            autograd.backward(self, gradient, retain_graph, create_graph)
        else:
            autograd.differentiate.backward_into(self, gradient, retain_graph, create_graph, inputs)

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
        next to this tensor (see _dtypes.like_value), an array in its own dtype, a list as mg.tensor reads it."""
        if isinstance(other, Tensor):
            return other
        data = self._data
        if isinstance(other, (int, float)) and type(data) is np.ndarray:  # the common case, kept short
            return Tensor._wrap(like_value(data, other), False)
        if isinstance(other, numbers.Number):
            array = like_value(data, other)
        else:
            try:
                array = to_array(other, None)
            except TypeError:
                raise TypeError(f"unsupported operand of type {type(other).__name__} for a Tensor") from None
        return Tensor._wrap(backend.to_device(array, self.device), False)

    def __add__(self, other):
        return _ops.math.Add.apply(self, self._operand(other))

    def __radd__(self, other):
        return _ops.math.Add.apply(self._operand(other), self)

    def __sub__(self, other):
        _refuse_bool_subtraction(self, other)
        return _ops.math.Sub.apply(self, self._operand(other))

    def __rsub__(self, other):
        _refuse_bool_subtraction(self, other)
        return _ops.math.Sub.apply(self._operand(other), self)

    def __mul__(self, other):
        return _ops.math.Mul.apply(self, self._operand(other))

    def __rmul__(self, other):
        return _ops.math.Mul.apply(self._operand(other), self)

    def __truediv__(self, other):
        return _ops.math.Div.apply(self, self._operand(other))

    def __rtruediv__(self, other):
        return _ops.math.Div.apply(self._operand(other), self)

    def __pow__(self, other):
        if self.dtype.kind in "iub" and isinstance(other, numbers.Integral) and other < 0:
            # torch's rule for a number exponent (a tensor of negative exponents is computed elementwise)
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if self.dtype.kind == "b" and isinstance(other, Tensor) and other.dtype.kind == "b":
            raise RuntimeError('"pow" not implemented for \'Bool\' (a bool tensor to a bool tensor power, as torch)')
        return _ops.math.Pow.apply(self, self._operand(other))

    def __rpow__(self, other):
        if self.dtype.kind == "b" and isinstance(other, (bool, np.bool_)):  # torch makes the base a bool tensor
            raise RuntimeError('"pow" not implemented for \'Bool\' (a bool to a bool tensor power, as torch)')
        return _ops.math.Pow.apply(self._operand(other), self)

    def __matmul__(self, other):
        return _ops.math.MatMul.apply(self, self._operand(other))

    def __rmatmul__(self, other):
        return _ops.math.MatMul.apply(self._operand(other), self)

    def __neg__(self):
        if self.dtype == bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                               "invert a mask, use the `~` or `logical_not()` operator instead.")
        return _ops.math.Neg.apply(self)

    def __pos__(self):
        return self

    def _compare(self, other, fn):
        other = other._data if isinstance(other, Tensor) else other
        return Tensor._wrap(fn(self._data, other), False)

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
        first, then = _index_steps(index, self)
        selected = _ops.shape.GetItem(first)(self)
        return selected if then is None else _ops.shape.GetItem(then)(selected)

    # ---- in place ---------------------------------------------------------------------------
    def _in_place(self, op, *operands):
        """Run in-place ``op`` on self and ``operands``; return self (see autograd/versions.py).
        An integer or bool self records nothing (it cannot require grad, as torch's): a float
        operand that requires grad is written as a value."""
        if self._data.dtype.kind in "iub":
            operands = [o.detach() if isinstance(o, Tensor) else o for o in operands]
        return autograd.in_place(self, op, *operands)

    def add_(self, other, *positional, alpha=_args.NO_ALPHA):
        """self += alpha * other, in place; returns self. torch's deprecated ``add_(Number alpha, Tensor
        other)`` works with its warning (``p.data.add_(-lr, p.grad)``)."""
        other, alpha = _args.alpha_overload("add_", other, positional, alpha, positional_alpha=True)
        return self._in_place(_ops.inplace.AddInPlace(alpha_factor(self.dtype, alpha, "add_")), other)

    def sub_(self, other, *positional, alpha=_args.NO_ALPHA):
        """self -= alpha * other, in place; returns self (torch's deprecated ``sub_(Number alpha, Tensor
        other)`` too)."""
        other, alpha = _args.alpha_overload("sub_", other, positional, alpha, positional_alpha=True)
        return self._in_place(_ops.inplace.AddInPlace(-alpha_factor(self.dtype, alpha, "sub_")), other)

    def mul_(self, other):
        return self._in_place(_ops.inplace.MulInPlace(), other)

    def div_(self, other):
        return self._in_place(_ops.inplace.DivInPlace(), other)

    def clamp_(self, min=None, max=None):
        """Limit self to [min, max] in place (either bound may be None); returns self."""
        return self._in_place(_ops.inplace.ClampInPlace(min, max))

    def copy_(self, src):
        """Copy ``src`` (broadcast to self's shape, any dtype or device) into self; returns self."""
        if isinstance(src, Tensor):
            src = src.to(self.device)
        return self._in_place(_ops.inplace.CopyInPlace(), src)

    def fill_(self, value):
        """Set every element to ``value`` (a number or a one-element tensor); returns self."""
        check_fill(value, self.dtype)
        return self._in_place(_ops.inplace.FillInPlace(), value)

    def zero_(self):
        return self._in_place(_ops.inplace.FillInPlace(), 0.0)

    def __setitem__(self, index, value):
        check_fill(value, self.dtype)
        if isinstance(value, (list, tuple)):
            # read in this tensor's dtype, as NumPy's a[i] = [...]: through mg.tensor's float32, 0.1
            # written into float64 would be 0.10000000149 (torch refuses lists here)
            value = to_array(value, self.dtype)
        self._in_place(_ops.inplace.SetItemInPlace(*_index_steps(index, self)), value)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_  # x += y is x.add_(y): returns x

    # ---- integer/bool operators (results never require grad) ------------------------------
    def _without_grad(self, other, fn, what, kinds):
        """fn on the arrays of self and other (_UNARY: self alone), for operators without gradient."""
        other = None if other is _UNARY else self._operand(other)
        for t in (self,) if other is None else (self, other):
            if t.dtype.kind not in kinds:
                raise TypeError(f"{what} is defined for {KIND_NAMES[kinds]} tensors, got dtype {t.dtype}")
            if t.requires_grad and autograd.is_grad_enabled():
                raise RuntimeError(f"{what} has no gradient; apply it to x.detach() (or under mg.no_grad())")
        if other is None:
            return Tensor._wrap(fn(self._data), False)
        backend.common_array_module([self._data, other._data], what)
        return Tensor._wrap(fn(*promote(self._data, other._data)), False)

    def __invert__(self):
        return self._without_grad(_UNARY, lambda a: ~a, "~", "iub")

    def __and__(self, other):
        return self._without_grad(other, lambda a, b: a & b, "&", "iub")

    def __or__(self, other):
        return self._without_grad(other, lambda a, b: a | b, "|", "iub")

    def __xor__(self, other):
        return self._without_grad(other, lambda a, b: a ^ b, "^", "iub")

    def __floordiv__(self, other):
        return self._without_grad(other, _integer_checked(lambda a, b: a // b, "//"), "//", "iufb")

    def __mod__(self, other):
        return self._without_grad(other, _integer_checked(lambda a, b: a % b, "%"), "%", "iufb")



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
    return (None if device is None else backend.normalize_device(device)), resolve_dtype(dtype)


def _refuse_bool_subtraction(tensor, other):
    """torch's refusal of - with a bool tensor, or a Python bool, on either side."""
    if tensor.dtype.kind == "b" or isinstance(other, (bool, np.bool_)) or \
            (isinstance(other, Tensor) and other.dtype.kind == "b"):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")


def _integer_checked(divide, symbol):
    """``divide`` (// or %) on arrays of one dtype, refusing an integer division by zero as torch
    does (NumPy gives 0 and a warning)."""
    def checked(a, b):
        if a.dtype.kind == "b":  # a bool beside a number is promoted to it (0 / 1) first, as torch's
            raise RuntimeError(f"{symbol} is not implemented for two bool operands (as torch's); convert one with .long()")
        if b.dtype.kind in "iu" and a.size and bool((b == 0).any()):  # every entry of b is used unless a is empty
            raise RuntimeError(f"ZeroDivisionError: integer division by zero in {symbol}")
        return divide(a, b)
    return checked


def _index_steps(index, tensor):
    """``index`` into ``tensor`` as two NumPy indices (first, then or None) that apply it as torch
    does (ops/indexing.torch_index_steps), with Tensors replaced by their arrays, integer or bool
    arrays checked."""
    items = index if isinstance(index, tuple) else (index,)
    converted, has_int, has_array = [], False, False  # torch's rule differs from NumPy's only with both
    for item in items:
        if isinstance(item, Tensor):
            item = item._data
        if isinstance(item, list):
            item = np.asarray(item, dtype=np.int64 if item == [] else None)  # x[[]]: no positions, as torch
        if hasattr(item, "dtype"):
            if item.dtype.kind not in "iub":
                raise IndexError(f"tensors used as indices must be integer or bool, got {item.dtype}")
            # a copy, as torch's: GetItem keeps the index for backward, and the caller's index tensor or
            # array may be changed in place before it (the gradient would go to entries never read)
            item = item.copy()
            if item.ndim == 0 and item.dtype.kind != "b":
                has_int = True
            else:
                has_array = True
        elif item is True or item is False:
            has_array = True
        elif type(item) is int:
            has_int = True
        converted.append(item)
    if not isinstance(index, tuple):
        return converted[0], None
    if has_int and has_array:
        return _ops.indexing.torch_index_steps(tuple(converted), tensor._data.ndim)
    return tuple(converted), None


# The operators above apply ops, which sit one layer up and import this module; importing them
# last lets both modules finish loading.
from . import ops as _ops  # noqa: E402  (ops/__init__.py binds the op table's methods onto Tensor)
from . import creation as _creation  # noqa: E402
