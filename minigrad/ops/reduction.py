"""Reductions over dims (None for all, an int or a tuple), torch style, with ``keepdim``."""
import builtins
import collections
import math

import numpy as np

from .. import _args, autograd, backend
from .._dtypes import as_float, float16, int64, resolve_dtype
from ..autograd import Op
from ..autograd.adjoint import constant, linear_backward_graph
from ..tensor import Tensor
from ._table import tensor_method
from .shape import where

# Several functions below are named as builtins (sum, max, min, all, any): the code here says builtins.
_MaxResult = collections.namedtuple("max", ["values", "indices"])
_MinResult = collections.namedtuple("min", ["values", "indices"])


class EmptyReductionError(IndexError, ValueError):
    """No index to give over a dim of size 0: an IndexError as torch's, and the ValueError that
    minigrad raised before (``except ValueError`` keeps working)."""


class _Reduction(Op):
    def __init__(self, dim=None, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def _setup(self, x):
        """The reduced axes of ``x`` (also kept on self for backward)."""
        self.in_shape = x.shape
        self.axes = _args.dim_tuple(self.dim, x.ndim)
        self.kept_shape = tuple(1 if i in self.axes else s for i, s in enumerate(x.shape))
        return self.axes

    @staticmethod
    def _require_float(x, what):
        if x.dtype.kind != "f":
            raise TypeError(f"{what} needs a float tensor, got dtype {x.dtype}: convert it with .float() first")

    def _kept(self, gy):
        """gy with the reduced axes present (size 1)."""
        return gy if self.keepdim else gy.reshape(self.kept_shape)

    def _grad_like_input(self, gy):
        """gy broadcast back to the input's shape (a read-only view)."""
        return self.xp.broadcast_to(self._kept(gy), self.in_shape)

    def _kept_graph(self, gy):
        """_kept for a gradient Tensor (backward_graph)."""
        return gy if self.keepdim else gy.reshape(self.kept_shape)

    def _graph_like_input(self, gy):
        """_grad_like_input for a gradient Tensor (backward_graph)."""
        return self._kept_graph(gy).expand(self.in_shape)

    def _kept_again(self, op_type, x, *options):
        """This reduction of ``x`` computed again in the graph, with the reduced axes kept."""
        return op_type(self.axes, True, *options)(x)


class _CastFirst(_Reduction):
    """A reduction that, given a ``dtype``, casts its input to it before reducing (torch's dtype=
    of sum and mean); the graph walk casts the gradient back to the input's dtype."""

    def __init__(self, dim=None, keepdim=False, dtype=None):
        super().__init__(dim, keepdim)
        self.dtype = dtype

    def _cast(self, x):
        return x if self.dtype is None else x.astype(self.dtype, copy=False)


class Sum(_CastFirst):
    """Sum; integer and bool inputs sum (count) as int64, as torch, unless ``dtype`` is given."""

    def forward(self, x):
        x = self._cast(x)
        axes = self._setup(x)
        default = x.dtype if self.dtype is not None or x.dtype.kind == "f" else "int64"
        return x.sum(axis=axes, keepdims=self.keepdim, dtype=default)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return self._grad_like_input(gy)


class Mean(_CastFirst):
    def forward(self, x):
        if self.dtype is not None and self.dtype.kind != "f":
            raise TypeError(f"mean(): dtype must be a float dtype, got {self.dtype}")
        x = self._cast(x)
        self._require_float(x, "mean()")
        axes = self._setup(x)
        self.count = 1
        for a in axes:
            self.count *= x.shape[a]
        return x.mean(axis=axes, keepdims=self.keepdim)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return self._grad_like_input(gy / self.count)


class Prod(_Reduction):
    """Product; the gradient is the product of the other entries (exact where entries are 0)."""

    def forward(self, x):
        axes = self._setup(x)
        self.x = x
        return x.prod(axis=axes, keepdims=self.keepdim)

    def backward(self, gy):
        xp, x, axes = self.xp, self.x, self.axes
        if x.size == 0:  # no entry, no gradient (the flattening below needs a size to infer)
            return xp.zeros_like(x)
        kept = [a for a in range(x.ndim) if a not in axes]
        # reduced axes last and flattened: products of the entries before and after each one
        moved = x.transpose(kept + list(axes)).reshape(tuple(x.shape[a] for a in kept) + (-1,))
        ones = xp.ones(moved.shape[:-1] + (1,), dtype=x.dtype)
        before = xp.cumprod(xp.concatenate([ones, moved[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([moved[..., 1:], ones], axis=-1), -1), axis=-1), -1)
        others = (before * after).reshape(tuple(x.shape[a] for a in kept + list(axes)))
        inverse = [0] * x.ndim
        for position, a in enumerate(kept + list(axes)):
            inverse[a] = position
        return others.transpose(inverse) * self._grad_like_input(gy)

    def backward_graph(self, inputs, gy):
        x = inputs[0]
        if bool((x._data == 0).any()):
            raise RuntimeError("Prod: double backward (create_graph=True) is not implemented for an input "
                               "with zero entries")
        return self._graph_like_input(gy) * (self._kept_again(Prod, x) / x)


class Var(_Reduction):
    """Variance with ``correction`` (1: unbiased, torch's default; 0: biased)."""

    def __init__(self, dim=None, keepdim=False, correction=1):
        super().__init__(dim, keepdim)
        self.correction = correction

    def forward(self, x):
        self._require_float(x, "var() and std()")
        axes = self._setup(x)
        count = 1
        for a in axes:
            count *= x.shape[a]
        self.centered = x - x.mean(axis=axes, keepdims=True)
        self.dof = count - self.correction
        with_nan_for_zero = self.xp.asarray(builtins.max(self.dof, 0), dtype=x.dtype)  # 0 gives inf/nan, as torch
        return (self.centered * self.centered).sum(axis=axes, keepdims=self.keepdim) / with_nan_for_zero

    def backward(self, gy):
        xp = self.xp
        if self.dof <= 0 and (self.dim is None or self.centered.ndim == 0):
            # torch's gradient of a full reduction without degrees of freedom: inf, NaN where x is the mean
            slope = xp.where(self.centered == 0, xp.asarray(math.nan, gy.dtype), xp.asarray(math.inf, gy.dtype))
        else:  # torch's 2 (x - mean) / dof, dof as it is (negative: finite; 0: +-inf, NaN at the mean)
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = self.centered * (2 / xp.asarray(self.dof, dtype=gy.dtype))
        with np.errstate(invalid="ignore"):
            return self._grad_like_input(gy) * slope

    def backward_graph(self, inputs, gy):
        x = inputs[0]
        if self.dof <= 0 and (self.dim is None or x.ndim == 0):  # the constant inf / NaN slope of backward
            return self._graph_like_input(gy) * constant(Var.backward(self, self.xp.ones_like(gy._data)))
        centered = x - x.mean(dim=self.axes, keepdim=True)
        return self._graph_like_input(gy) * centered * (2 / self.dof)


class Std(Var):
    """Standard deviation (the square root of Var); where it is 0 the gradient is 0, as torch's,
    rather than the NaN that sqrt's infinite slope times a zero deviation would give."""

    def forward(self, x):
        self.y = self.xp.sqrt(super().forward(x))
        return self.y

    def backward(self, gy):
        xp, y = self.xp, self.y
        zero = y == 0
        gvar = xp.where(zero, xp.zeros((), dtype=gy.dtype), gy) / xp.where(zero, xp.ones((), dtype=y.dtype), 2 * y)
        return super().backward(gvar)

    def backward_graph(self, inputs, gy):
        y = self._kept_again(Std, inputs[0], self.correction)
        zero = constant(y._data == 0)
        gvar = where(zero, 0.0, self._kept_graph(gy)) / where(zero, 1.0, 2 * y)
        return super().backward_graph(inputs, gvar if self.keepdim else gvar.reshape(gy.shape))


class Extremum(_Reduction):
    """amax (largest=True) or amin over dims; the gradient is shared equally among tied entries,
    as torch's amax/amin and max()/min() without a dim. NaN wins, as torch."""

    def __init__(self, dim=None, keepdim=False, largest=True):
        super().__init__(dim, keepdim)
        self.largest = largest

    def forward(self, x):
        axes = self._setup(x)
        if builtins.any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"{'max' if self.largest else 'min'} of an empty tensor (shape {x.shape}) is undefined")
        y = x.max(axis=axes, keepdims=True) if self.largest else x.min(axis=axes, keepdims=True)
        self.mask = (x == y) | (self.xp.isnan(x) & self.xp.isnan(y)) if x.dtype.kind == "f" else x == y
        return y if self.keepdim else y.reshape(tuple(s for i, s in enumerate(y.shape) if i not in axes))

    def backward(self, gy):
        mask = self.mask
        ties = mask.sum(axis=self.axes, keepdims=True)
        return self._grad_like_input(gy) * mask / ties

    def backward_graph(self, inputs, gy):
        mask = self.mask
        return self._graph_like_input(gy) * constant((mask / mask.sum(axis=self.axes, keepdims=True)).astype(gy.dtype))


class TakeAlongDim(Op):
    """x's entries at ``index`` along ``dim`` (index: integers, x's shape with size 1 at dim), as the
    values of torch's max(dim)/min(dim); the gradient goes to the selected entries only."""

    def __init__(self, dim, keepdim=False):
        self.dim, self.keepdim = dim, keepdim

    def forward(self, x, index):
        self.in_shape, self.index = x.shape, index
        y = self.xp.take_along_axis(x, index, axis=self.dim)
        return y if self.keepdim else y.squeeze(self.dim)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        xp, dim = self.xp, self.dim
        gy = gy if self.keepdim else xp.expand_dims(gy, dim)
        positions = xp.arange(self.in_shape[dim]).reshape((-1,) + (1,) * (len(self.in_shape) - dim - 1))
        return xp.where(positions == self.index, gy, xp.zeros((), dtype=gy.dtype)), None


class Norm(_Reduction):
    """The p-norm (sum |x|^p)^(1/p) for a finite p > 0, and for p = 0 the count of nonzero entries
    (gradient 0); the gradient at a zero norm, and at a zero entry, is 0, as torch."""

    def __init__(self, p=2, dim=None, keepdim=False):
        super().__init__(dim, keepdim)
        self.p = p

    def forward(self, x):
        xp, p = self.xp, self.p
        axes = self._setup(x)
        self.x = x
        if p == 0:
            self.y = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        elif math.prod(x.shape[a] for a in axes) == 1:  # one element per norm: torch's is |x|, no x^p to overflow
            self.y = xp.abs(x)
        elif p == 2:
            self.y = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            self.y = (xp.abs(x) ** p).sum(axis=axes, keepdims=True) ** (1 / p)
        return self.y if self.keepdim else self.y.reshape(tuple(s for i, s in enumerate(self.y.shape) if i not in axes))

    def backward(self, gy):
        xp, x, y, p = self.xp, self.x, self.y, self.p
        if p == 0:  # a count: flat wherever it is defined
            return xp.zeros_like(x)
        safe_y = xp.where(y == 0, xp.ones((), dtype=y.dtype), y)
        if p == 2:
            scale = x / safe_y
        else:  # p < 1 makes 0 ** (p - 1) infinite at a zero entry, whose gradient is 0, as torch's
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = xp.where(x == 0, xp.zeros((), dtype=x.dtype), xp.sign(x) * (xp.abs(x) / safe_y) ** (p - 1))
        return xp.where(y == 0, xp.zeros((), dtype=y.dtype), scale) * self._grad_like_input(gy)

    def backward_graph(self, inputs, gy):
        x, p = inputs[0], self.p
        if p == 0:  # a count: flat
            return self._graph_like_input(gy) * 0.0
        y = Norm(p, self.axes, True)(x)
        zero_norm = constant(y._data == 0)
        safe_y = where(zero_norm, 1.0, y)
        if p == 2:
            scale = x / safe_y
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                zero = constant(x._data == 0)
                scale = where(zero, 0.0, constant(self.xp.sign(x._data)) * (where(zero, 1.0, x.abs()) / safe_y) ** (p - 1))
        return where(zero_norm, 0.0, scale) * self._graph_like_input(gy)


class LogSumExp(_Reduction):
    """log(sum(exp(x))) over dims, shifted by the max (finite for inputs of any size); a slice of
    all -inf (or an empty one) gives -inf, +inf gives inf, NaN gives NaN, as torch. Integers give
    float32. The gradient is softmax(x) over the dims: exp(x - y)."""

    def forward(self, x):
        xp = self.xp
        x = as_float(x)
        axes = self._setup(x)
        if builtins.any(x.shape[a] == 0 for a in axes):
            y = xp.full(self.kept_shape, -math.inf, dtype=x.dtype)
        else:
            top = x.max(axis=axes, keepdims=True)
            shift = xp.where(xp.isfinite(top), top, xp.zeros((), dtype=x.dtype))
            y = xp.log(xp.exp(x - shift).sum(axis=axes, keepdims=True)) + shift
        self.x, self.y = x, y
        return y if self.keepdim else y.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axes))

    def backward(self, gy):
        return self._kept(gy) * self.xp.exp(self.x - self.y)

    def backward_graph(self, inputs, gy):
        x = inputs[0]
        return self._kept_graph(gy) * (x - self._kept_again(LogSumExp, x)).exp()


@tensor_method
def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Sum over ``dim`` (None: all, an int or a tuple); integer and bool tensors sum as int64.
    With ``dtype``, the tensor is cast to it first, as torch: ``ints.sum(dtype=mg.float32)``, or
    ``x.sum(dtype=mg.float64)`` to accumulate float32 values in float64 (the gradient comes back as float32)."""
    dtype = _reduction_dtype(input, dtype, "sum")
    return Sum(*_args.reduction_dims(dim, keepdim, axis, keepdims), dtype)(input)


@tensor_method
def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Mean over ``dim`` of a float tensor; with ``dtype`` (a float dtype) the tensor is cast to it
    first, as torch: ``ints.mean(dtype=mg.float32)``.
    Example: ``mg.tensor([[1.0, 2.0], [3.0, 4.0]]).mean(0)`` -> tensor([2., 3.])"""
    dtype = _reduction_dtype(input, dtype, "mean")
    return Mean(*_args.reduction_dims(dim, keepdim, axis, keepdims), dtype)(input)


def _reduction_dtype(input, dtype, name):
    """sum's and mean's ``dtype``, resolved; a float tensor that requires grad cannot reduce into
    an integer or bool dtype while grad is recorded (torch refuses it too)."""
    dtype = resolve_dtype(dtype)
    if dtype == float16:
        raise TypeError(f"{name}(): unsupported dtype float16 (mg.half is storage only in minigrad); "
                        "reduce in float32 or float64")
    if dtype is not None and dtype.kind != "f" and input.requires_grad and autograd.is_grad_enabled():
        raise RuntimeError(f"{name}(dtype={dtype}) of a tensor that requires grad has no gradient: "
                           f"apply it to x.detach() (or under mg.no_grad())")
    return dtype


@tensor_method
def prod(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Product over ``dim`` (None: all, an int or a tuple); integers and bools multiply as int64.
    Example: ``mg.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(1)`` -> tensor([2., 12.])"""
    return Prod(*_args.reduction_dims(dim, keepdim, axis, keepdims))(input)


@tensor_method
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Variance over ``dim``, unbiased by default (correction=1; ``unbiased=False`` or
    ``correction=0`` gives the biased one). Example: ``mg.tensor([1.0, 3.0]).var()`` -> tensor(2.)"""
    return Var(*_args.reduction_dims(dim, keepdim, axis, keepdims), _args.correction(unbiased, correction))(input)


@tensor_method
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Standard deviation: the square root of ``var(...)`` with the same arguments; its gradient
    is 0 where it is 0 (a constant input), as torch's.
    Example: ``mg.tensor([1.0, 3.0]).std()`` -> tensor(1.4142)"""
    return Std(*_args.reduction_dims(dim, keepdim, axis, keepdims), _args.correction(unbiased, correction))(input)


@tensor_method
def amax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Largest values over ``dim`` (None or (): all); ties share the gradient equally.
    Example: ``mg.tensor([[1.0, 5.0], [7.0, 2.0]]).amax(1)`` -> tensor([5., 7.])"""
    return Extremum(*_args.reduction_dims(dim, keepdim, axis, keepdims), largest=True)(input)


@tensor_method
def amin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Smallest values over ``dim`` (None or (): all); ties share the gradient equally.
    Example: ``mg.tensor([[1.0, 5.0], [7.0, 2.0]]).amin(1)`` -> tensor([1., 2.])"""
    return Extremum(*_args.reduction_dims(dim, keepdim, axis, keepdims), largest=False)(input)


@tensor_method
def max(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Without dim, the largest value (0-d; ties share the gradient). With an int dim, a
    namedtuple (values, indices) as torch; the gradient goes to the index chosen. With a
    tensor, the elementwise maximum (as torch.max(input, other)).

    Example: ``values, indices = mg.tensor([[1.0, 5.0], [7.0, 2.0]]).max(dim=1)`` -> [5., 7.], [1, 0]
    """
    return _extremum_with_indices(input, dim, keepdim, axis, keepdims, True)


@tensor_method
def min(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """As max, for the smallest values.
    Example: ``values, indices = mg.tensor([[1.0, 5.0], [7.0, 2.0]]).min(dim=1)`` -> [1., 2.], [0, 1]"""
    return _extremum_with_indices(input, dim, keepdim, axis, keepdims, False)


def _extremum_with_indices(input, dim, keepdim, axis, keepdims, largest):
    if isinstance(dim, Tensor):  # torch's max(input, other): elementwise
        return input.maximum(dim) if largest else input.minimum(dim)
    dim, keepdim = _args.reduction_dims(dim, keepdim, axis, keepdims)
    if dim is None:
        return Extremum(None, keepdim, largest)(input)
    result = _MaxResult if largest else _MinResult
    if input.ndim == 0:  # as torch: the value itself at index 0
        _args.dim_index(dim, 0)
        return result(input.reshape(()), Tensor._wrap(backend.array_module(input._data).zeros((), int64), False))
    indices = _arg_extremum(input, dim, True, largest, "max" if largest else "min")
    values = TakeAlongDim(_args.dim_index(dim, input.ndim), keepdim)(input, indices)
    return result(values, indices if keepdim else indices.squeeze(dim))


@tensor_method
def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index (int64) of the largest value: over the flattened tensor when dim is None.
    Example: ``mg.tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(1)`` -> tensor([1, 0])"""
    return _arg_extremum(input, *_args.reduction_dims(dim, keepdim, axis, keepdims), largest=True)


@tensor_method
def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index (int64) of the smallest value: over the flattened tensor when dim is None.
    Example: ``mg.tensor([3.0, 1.0, 2.0]).argmin()`` -> tensor(1)"""
    return _arg_extremum(input, *_args.reduction_dims(dim, keepdim, axis, keepdims), largest=False)


def _arg_extremum(input, dim, keepdim, largest, name=None):
    """The indices of the extremum over ``dim``; as torch, an empty input has none over a dim of size 0
    (IndexError) and an empty result over a nonzero dim (``mg.zeros(5, 0).argmax(0)`` -> shape (0,))."""
    if isinstance(dim, tuple):
        raise TypeError(f"argmax, argmin, max(dim) and min(dim) take one int dim, got {dim}")
    data, name = input._data, name or ("argmax" if largest else "argmin")
    xp = backend.array_module(data)
    if dim is None or data.ndim == 0:
        _args.dim_tuple(dim, data.ndim)  # checks the dim of a 0-d tensor
        if data.size == 0:
            raise EmptyReductionError(f"{name}(): expected a reduction dim to be given for an empty input "
                             f"(shape {input.shape})")
        flat = data.reshape(-1)
        index = flat.argmax() if largest else flat.argmin()
        shape = (1,) * data.ndim if keepdim else ()
    else:
        dim = _args.dim_index(dim, data.ndim)
        if data.shape[dim] == 0:
            raise EmptyReductionError(f"{name}(): expected reduction dim {dim} to have non-zero size (input of shape "
                             f"{input.shape})")
        shape = data.shape[:dim] + ((1,) if keepdim else ()) + data.shape[dim + 1:]
        if data.size == 0:
            return Tensor._wrap(xp.zeros(shape, dtype=int64), False)
        index = data.argmax(axis=dim) if largest else data.argmin(axis=dim)
    return Tensor._wrap(xp.asarray(index, dtype=int64).reshape(shape), False)


@tensor_method
def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Whether every value is nonzero (True), over ``dim``; a bool tensor without grad.
    Example: ``mg.tensor([[1, 0], [2, 3]]).all(1)`` -> tensor([False, True])"""
    return _truth_reduction(input, "all", *_args.reduction_dims(dim, keepdim, axis, keepdims))


@tensor_method
def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Whether some value is nonzero (True), over ``dim``; a bool tensor without grad.
    Example: ``mg.tensor([[1, 0], [0, 0]]).any(1)`` -> tensor([True, False])"""
    return _truth_reduction(input, "any", *_args.reduction_dims(dim, keepdim, axis, keepdims))


def _truth_reduction(input, name, dim, keepdim):
    nonzero = input._data != 0
    reduced = getattr(nonzero, name)(axis=_args.dim_tuple(dim, input.ndim), keepdims=keepdim)
    return Tensor._wrap(backend.array_module(input._data).asarray(reduced), False)


@tensor_method
def norm(input, p="fro", dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The p-norm over ``dim`` (None: all entries) of a float tensor: p a number >= 0 (0 counts the
    nonzero entries), 'fro' (2), inf or -inf (largest or smallest absolute value).
    Example: ``mg.tensor([3.0, 4.0]).norm()`` -> tensor(5.)"""
    _Reduction._require_float(input, "norm()")
    dim, keepdim = _args.reduction_dims(dim, keepdim, axis, keepdims)
    if p == "fro":
        p = 2
    if p == float("inf"):
        return input.abs().amax(dim, keepdim)
    if p == float("-inf"):
        return input.abs().amin(dim, keepdim)
    if not _args.is_real(p) or not p >= 0:
        raise ValueError(f"norm's p must be a number >= 0, 'fro', inf or -inf, got {p!r}")
    return Norm(p, dim, keepdim)(input)


@tensor_method
def logsumexp(input, dim, keepdim=False):
    """log(sum(exp(x))) over ``dim`` (an int or a tuple), computed stably (shifted by the max);
    a slice of all -inf gives -inf, as torch. The gradient is softmax over dim; integers give
    float32. Example: ``mg.tensor([[0.0, 0.0]]).logsumexp(1)`` -> tensor([0.6931])"""
    dim, keepdim = _args.reduction_dims(dim, keepdim, None, None)
    return LogSumExp(dim, keepdim)(input)


@tensor_method
def count_nonzero(input, dim=None):
    """The number of nonzero entries (NaN counts) over ``dim`` (None: all; an int or a tuple), as
    int64. Example: ``mg.tensor([[0, 1], [2, 3]]).count_nonzero(1)`` -> tensor([1, 2])"""
    names = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    normalized = [_args.dim_index(d, input.ndim) for d in names if d is not None]
    if len(set(normalized)) != len(normalized):
        raise RuntimeError(f"count_nonzero(): dim {dim} names a dimension more than once")
    xp = backend.array_module(input._data)
    counts = (input._data != 0).sum(axis=_args.dim_tuple(dim, input.ndim), dtype=int64)
    return Tensor._wrap(xp.asarray(counts), False)
