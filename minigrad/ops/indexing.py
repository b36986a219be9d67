"""Ops that read or write a tensor at the positions an index tensor names along one dim, as torch's
gather, scatter and scatter_add. Repeated indices add their gradients (np.add.at on cpu,
cupyx.scatter_add on cuda, through backend.scatter_add, as GetItem's backward)."""
import numbers

import numpy as np

from .. import _args, backend
from .._dtypes import bool_, check_fill, int64
from ..autograd import Op
from ..autograd.adjoint import linear_backward_graph
from ..tensor import Tensor
from ._broadcast import broadcast_shape
from ._table import tensor_method

INDEX_DTYPES = ("int64", "int32")  # torch's index dtypes


def check_index_dtype(index, what):
    if index.dtype.name not in INDEX_DTYPES:
        raise RuntimeError(f"{what}(): expected an int64 (or int32) index, got dtype {index.dtype}")


def check_index_range(index, size, dim, what, error=RuntimeError):
    """Every entry of ``index`` in [0, size) (negative indices are refused, as torch's gather)."""
    if index.size:
        low, high = int(index.min()), int(index.max())
        if low < 0 or high >= size:
            raise error(f"{what}(): index {low if low < 0 else high} is out of bounds for dimension {dim} "
                        f"with size {size}")


def positions_along(index, dim):
    """The advanced index that puts ``index`` at ``dim`` and each entry's own position on the other
    dims: ``a[positions_along(index, dim)]`` is torch's ``a.gather(dim, index)``."""
    xp = backend.array_module(index)
    return tuple(index if d == dim else xp.arange(n).reshape((-1,) + (1,) * (index.ndim - d - 1))
                 for d, n in enumerate(index.shape))


def _at_least_1d(array):
    """A 0-d array as shape (1,): torch lets a 0-d input meet a 0-d or 1-d index (and src)."""
    return array.reshape(1) if array.ndim == 0 else array


def _check_shapes(what, dim, self_shape, index, src_shape=None, self_name="input"):
    """torch's shape rules: one ndim for all; index no larger than self on every dim but ``dim``,
    and no larger than src on every dim."""
    for name, shape in ((self_name, self_shape), ("src", src_shape)):
        if shape is not None and len(shape) != index.ndim:
            raise RuntimeError(f"{what}(): index of shape {index.shape} must have as many dims as {name} "
                               f"of shape {shape}")
    for d, n in enumerate(index.shape):
        if d != dim and n > self_shape[d]:
            raise RuntimeError(f"{what}(): index of shape {index.shape} is larger than {self_name} of shape "
                               f"{self_shape} at dim {d} (only dim {dim} may be larger)")
        if src_shape is not None and n > src_shape[d]:
            raise RuntimeError(f"{what}(): index of shape {index.shape} is larger than src of shape "
                               f"{src_shape} at dim {d}")


class Gather(Op):
    """out[i][j][k] = x[index[i][j][k]][j][k] (for dim 0; likewise for other dims), of index's shape.
    The gradient adds each output's gradient at the position it was read from."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x, index):
        x1, index1 = _at_least_1d(x), _at_least_1d(index)
        check_index_dtype(index, "gather")
        _check_shapes("gather", self.dim, x1.shape, index1)
        check_index_range(index1, x1.shape[self.dim], self.dim, "gather")
        self.in_shape, self.positions = x.shape, positions_along(index1, self.dim)
        return x1[self.positions].reshape(index.shape)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        gx = self.xp.zeros(self.in_shape or (1,), dtype=gy.dtype)
        backend.scatter_add(gx, self.positions, gy.reshape(self.positions[self.dim].shape))
        return gx.reshape(self.in_shape), None


class Scatter(Op):
    """A copy of x with src's entries written (or, with ``accumulate``, added) at the positions index
    names along ``dim``: out[index[i][j]][j] = src[i][j] for dim 0. Inputs (x, index, src), or
    (x, index) with a number ``value`` in place of src. Only src's leading index.shape block is read.

    Where index repeats a position, scatter keeps the last write in NumPy's (C) order on cpu; on cuda
    which write wins is unspecified, as torch's scatter. scatter_add sums repeated positions.
    Gradients: x gets the output's gradient (zeroed where scatter overwrote it); src gets the output's
    gradient gathered at index (zero where src was not read)."""

    def __init__(self, dim, accumulate=False, value=None):
        self.dim, self.accumulate, self.value = dim, accumulate, value

    def forward(self, x, index, src=None):
        what = "scatter_add" if self.accumulate else "scatter"
        x1, index1 = _at_least_1d(x), _at_least_1d(index)
        check_index_dtype(index, what)
        src1 = None if src is None else _at_least_1d(src)
        if src is not None and src.dtype != x.dtype:
            raise RuntimeError(f"{what}(): src of dtype {src.dtype} must have the dtype of self, {x.dtype}")
        _check_shapes(what, self.dim, x1.shape, index1, None if src1 is None else src1.shape, "self")
        check_index_range(index1, x1.shape[self.dim], self.dim, what)
        self.positions = positions_along(index1, self.dim)
        self.src_shape = None if src is None else src.shape
        self.read = tuple(slice(0, n) for n in index1.shape)  # the block of src that is read
        values = self.value if src1 is None else src1[self.read]
        out = x1.copy()
        if self.accumulate:
            backend.scatter_add(out, self.positions, values)
        else:
            out[self.positions] = values
        return out.reshape(x.shape)

    backward_graph = linear_backward_graph
    linear_part = {"value": 0}  # a number value makes it affine

    def backward(self, gy):
        xp = self.xp
        gy1 = _at_least_1d(gy)
        gx = None
        if self.needs_input_grad[0]:
            gx = gy
            if not self.accumulate:
                gx = gy1.copy()
                gx[self.positions] = 0
                gx = gx.reshape(gy.shape)
        if self.src_shape is None:
            return gx, None
        gsrc = None
        if self.needs_input_grad[2]:
            gathered = gy1[self.positions]
            gsrc = xp.zeros(self.src_shape or (1,), dtype=gy.dtype)
            gsrc[self.read] = gathered
            gsrc = gsrc.reshape(self.src_shape)
        return gx, None, gsrc


def _index_kind(item):
    """"int" (an int or 0-d integer array: torch selects with it), "bool" (a bool or 0-d bool array:
    a new dim), "array" (an integer or bool array of 1 or more dims) or "basic" (a slice, None, ...)."""
    if type(item) is int:
        return "int"
    dtype = getattr(item, "dtype", None)  # NumPy scalars have one too
    if dtype is None:
        return "bool" if isinstance(item, bool) else "int" if isinstance(item, int) else "basic"
    if item.ndim:
        return "array"
    return "bool" if dtype.kind == "b" else "int"


def torch_index_steps(index, ndim):
    """``index`` (ints, slices, None, ..., bools, integer or bool arrays) on an ``ndim``-d array as
    two NumPy indices (first, then): ``a[first][then]`` (``a[first]`` when then is None) is torch's
    ``a[index]``, and ``a[first]`` is a view.

    torch first selects with every int (a 0-d integer tensor included), slices, and inserts the None
    and bool dims; the index arrays then apply to what is left, each bool mask counting as the index
    arrays of its nonzero(). Their result dims go where the first index array stands when the arrays
    are adjacent there, else in front. NumPy counts ints as index arrays too, so an int apart from
    them moves their dims to the front (``t[0, :, [1, 2]]``: torch (3, 2), NumPy (2, 3)); only an
    index with both ints and index arrays takes two steps: the basic index, then the index arrays.
    Example: ``torch_index_steps((0, slice(None), a), 3)``
    -> ``((0, slice(None), slice(None)), (slice(None), a))``"""
    if type(index) is not tuple:
        return index, None
    kinds = [_index_kind(i) for i in index]
    if "int" not in kinds or ("array" not in kinds and "bool" not in kinds):
        return index, None
    # the dims each item consumes: a bool mask its ndim, None and bools none
    used = [item.ndim if kind == "array" and item.dtype.kind == "b" else int(kind != "bool" and item is not None)
            for item, kind in zip(index, kinds)]
    ellipsis_dims = max(ndim - sum(n for item, n in zip(index, used) if item is not Ellipsis), 0)
    basic, arrays = [], []  # arrays: one entry per dim of the basic index's result
    for item, kind, n in zip(index, kinds, used):
        if kind == "int":
            basic.append(int(item))
        elif kind == "bool":  # torch: a new dim of size 1, indexed by [0] (True) or [] (False)
            basic.append(None)
            arrays.append(np.zeros(int(bool(item)), dtype=np.int64))
        elif kind == "array":
            basic.extend([slice(None)] * n)
            arrays.append(item)
        elif item is Ellipsis:
            basic.append(Ellipsis)
            arrays.extend([slice(None)] * ellipsis_dims)
        else:  # a slice or None
            basic.append(item)
            arrays.append(slice(None))
    return tuple(basic), tuple(arrays)


def index_tensor(index, what):
    """An index argument as a Tensor (Tensors as they are, NumPy/CuPy arrays wrapped)."""
    if isinstance(index, Tensor):
        return index
    if isinstance(index, np.ndarray) or hasattr(index, "__cuda_array_interface__"):
        return Tensor._wrap(index, False)
    raise TypeError(f"{what}(): index must be an integer Tensor, got {type(index).__name__}")


@tensor_method
def gather(input, dim, index):
    """Entries along ``dim`` at ``index`` (int64, as many dims as input, no larger than input on the
    other dims): ``out[i][j] = input[i][index[i][j]]`` for dim 1; the result has index's shape.
    Differentiable in input (repeated indices add). Example:
    ``mg.tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, mg.tensor([[1, 1], [0, 1]]))`` -> [[2., 2.], [3., 4.]]"""
    return Gather(_args.dim_index(dim, input.ndim))(input, index_tensor(index, "gather"))


@tensor_method
def scatter(input, dim, index, src=None, *, value=None):
    """A copy with ``src``'s entries (a tensor of input's dtype, or a number ``value``) written at
    ``index`` along ``dim``: ``out[index[i][j]][j] = src[i][j]`` for dim 0 (out of place, as
    torch's scatter). Where index repeats a position the last write in C order wins on cpu
    (unspecified on cuda, as torch). Differentiable in input and src.
    Example: ``mg.zeros(3).scatter(0, mg.tensor([2]), mg.tensor([5.0]))`` -> tensor([0., 0., 5.])"""
    if src is not None and value is not None:
        raise TypeError("scatter(): pass src or value, not both")
    src = value if src is None else src
    if src is None:
        raise TypeError("scatter() needs src (a tensor) or value (a number)")
    index = index_tensor(index, "scatter")
    dim = _args.dim_index(dim, input.ndim)
    if isinstance(src, Tensor):
        return Scatter(dim)(input, index, src)
    if not isinstance(src, numbers.Number):
        raise TypeError(f"scatter(): src must be a Tensor or a number, got {type(src).__name__}")
    check_fill(src, input.dtype)
    return Scatter(dim, value=np.asarray(src).astype(input.dtype).item())(input, index)


@tensor_method
def scatter_add(input, dim, index, src):
    """A copy with ``src``'s entries added at ``index`` along ``dim`` (repeated positions sum):
    ``out[index[i][j]][j] += src[i][j]`` for dim 0. Differentiable in input and src.
    Example: ``mg.zeros(3).scatter_add(0, mg.tensor([1, 1]), mg.ones(2))`` -> tensor([0., 2., 0.])"""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): src must be a Tensor, got {type(src).__name__}")
    index = index_tensor(index, "scatter_add")
    return Scatter(_args.dim_index(dim, input.ndim), accumulate=True)(input, index, src)


@tensor_method
def index_select(input, dim, index):
    """The slices at the positions of a 1-D integer ``index`` along ``dim`` (repeats allowed;
    their gradients add): ``mg.arange(6.0).reshape(2, 3).index_select(1, mg.tensor([2, 0]))``."""
    index = index_tensor(index, "index_select")
    if index.ndim > 1:
        raise IndexError(f"index_select(): index must be 1-D (or 0-d), got shape {index.shape}")
    check_index_dtype(index._data, "index_select")
    backend.common_array_module([input._data, index._data], "index_select")
    dim = _args.dim_index(dim, input.ndim)
    if input.ndim == 0 and index.numel() != 1:
        raise IndexError(f"index_select(): a 0-d tensor takes an index of one value, got {index.numel()}")
    source = input.reshape(1) if input.ndim == 0 else input
    check_index_range(index._data, source.shape[dim], dim, "index_select", IndexError)
    selected = source[(slice(None),) * dim + (index._data.reshape(-1),)]  # indexing copies the index
    return selected.reshape(()) if input.ndim == 0 else selected


@tensor_method
def take_along_dim(input, indices, dim=None):
    """Entries at ``indices`` along ``dim``, input and indices broadcast on the other dims (as
    torch.take_along_dim; negative indices count from the end). With dim None, both are
    flattened. Differentiable in input. Example: ``x.take_along_dim(x.argmax(1, keepdim=True), 1)``"""
    indices = index_tensor(indices, "take_along_dim")
    if dim is None:
        return input.reshape(-1).take_along_dim(indices.reshape(-1), 0)
    if indices.ndim != input.ndim:
        raise RuntimeError(f"take_along_dim(): input of shape {input.shape} and indices of shape "
                           f"{indices.shape} must have the same number of dims")
    check_index_dtype(indices._data, "take_along_dim")
    dim = _args.dim_index(dim, input.ndim)
    size = input.shape[dim] if input.ndim else 1
    data = indices._data
    low, high = (int(data.min()), int(data.max())) if data.size else (0, 0)
    if low < -size or high >= size:
        bad = low if low < -size else high
        raise RuntimeError(f"take_along_dim(): index {bad} is out of bounds for dimension {dim} with size {size}")
    wrapped = data % size if size else data
    if input.ndim == 0:
        return input.gather(0, Tensor._wrap(wrapped, False))
    shape = broadcast_shape(*(s[:dim] + (1,) + s[dim + 1:] for s in (input.shape, indices.shape)))
    if shape is None:
        raise RuntimeError(f"take_along_dim(): input of shape {input.shape} and indices of shape "
                           f"{indices.shape} do not broadcast on the dims other than {dim}")
    target = shape[:dim] + (size,) + shape[dim + 1:]
    source = input if target == input.shape else input.expand(target)
    wrapped = backend.array_module(data).broadcast_to(wrapped, shape[:dim] + (indices.shape[dim],) + shape[dim + 1:])
    return source.gather(dim, Tensor._wrap(wrapped, False))


@tensor_method
def masked_select(input, mask):
    """The entries where the bool ``mask`` is True, as a 1-D tensor (input and mask broadcast
    together first). Differentiable. Example: ``x.masked_select(x > 0)``"""
    if not isinstance(mask, Tensor) or mask.dtype != bool_:
        raise RuntimeError(f"masked_select(): mask must be a bool tensor, got "
                           f"{mask.dtype if isinstance(mask, Tensor) else type(mask).__name__}")
    shape = broadcast_shape(input.shape, mask.shape)
    if shape is None:
        raise RuntimeError(f"masked_select(): mask of shape {mask.shape} and the tensor's shape "
                           f"{input.shape} do not broadcast together")
    xp = backend.common_array_module([input._data, mask._data], "masked_select")
    source = input if input.shape == shape else input.expand(shape)
    return source[mask._data if mask.shape == shape else xp.broadcast_to(mask._data, shape)]


@tensor_method
def nonzero(input, *, as_tuple=False):
    """Indices of the nonzero entries (NaN counts as nonzero), in C order: an int64 tensor of shape
    (n, ndim), or with ``as_tuple=True`` a tuple of ndim 1-D tensors (one for a 0-d tensor).
    Example: ``mg.tensor([0, 3, 0, 4]).nonzero()`` -> tensor([[1], [3]])"""
    xp, data = backend.array_module(input._data), input._data
    if as_tuple:
        found = xp.nonzero(data.reshape(1) if data.ndim == 0 else data)
        return tuple(Tensor._wrap(i.astype(int64, copy=False), False) for i in found)
    if data.ndim == 0:
        return Tensor._wrap(xp.zeros((int(data != 0), 0), dtype=int64), False)
    return Tensor._wrap(xp.argwhere(data).astype(int64, copy=False), False)
