"""Ops that move data without arithmetic: reshape, transpose, indexing, joining, device and dtype moves."""
import numbers

import numpy as np

from .. import _args, backend
from .._dtypes import bool_, common_dtype, int64, like_value, promote, to_array
from ..autograd import Op
from ..autograd.adjoint import linear_backward_graph
from ..tensor import Tensor
from ._broadcast import broadcast_shape, sum_to_shape
from ._table import tensor_method, torch_function


class Reshape(Op):
    """x reshaped; with ``view=True`` only where no copy is needed (torch's view), else an error."""

    output_is_view = True

    def __init__(self, shape, view=False):
        self.shape, self.view = shape, view

    def forward(self, x):
        self.in_shape = x.shape
        y = x.reshape(self.shape)
        if self.view and y.size and not self.xp.may_share_memory(x, y):
            raise RuntimeError(
                f"view size {self.shape} is not compatible with the input's size {x.shape} and strides "
                "(at least one dimension spans across two contiguous subspaces): use .reshape(...) instead")
        return y

    backward_graph = linear_backward_graph
    linear_part = {"view": False}  # its adjoint reshapes gradients, which may not be contiguous

    def backward(self, gy):
        return gy.reshape(self.in_shape)


class Transpose(Op):
    """Permute axes (reverse them when ``axes`` is None), as numpy.transpose."""

    output_is_view = True

    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        axes = self.axes if self.axes is not None else tuple(reversed(range(x.ndim)))
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"axes {axes} are not a permutation of a tensor's {x.ndim} dimensions")
        self.inverse = tuple(np.argsort([a % x.ndim for a in axes]))
        return x.transpose(axes)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return gy.transpose(self.inverse)


def index_on_device(index, xp):
    """``index`` with its NumPy index arrays moved to ``xp``'s device (where the data is)."""
    if xp is np:
        return index
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(xp.asarray(i) if isinstance(i, np.ndarray) else i for i in items)
    return items if isinstance(index, tuple) else items[0]


class GetItem(Op):
    """x[index] for basic and integer-array indices; repeated indices add their gradients. With a
    basic index (ints, slices, None, ...) the output is a view of x."""

    def __init__(self, index):
        self.index = index
        self.output_is_view = _is_basic(index)

    def forward(self, x):
        self.in_shape = x.shape
        self.index = index_on_device(self.index, self.xp)
        return x[self.index]

    backward_graph = linear_backward_graph

    def backward(self, gy):
        gx = self.xp.zeros(self.in_shape, dtype=gy.dtype)
        if _is_basic(self.index):  # ints and slices pick each entry at most once
            gx[self.index] = gy
        else:
            backend.scatter_add(gx, self.index, gy)
        return gx


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(item is None or item is Ellipsis or isinstance(item, (int, np.integer, slice)) for item in items)


class ToDevice(Op):
    def __init__(self, device):
        self.device = device

    def forward(self, x):
        self.source = backend.device_of(x)
        return backend.to_device(x, self.device)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return backend.to_device(gy, self.source)


class Cast(Op):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return gy.astype(self.source)


class Expand(Op):
    """x broadcast to ``shape`` (a read-only view); the gradient sums over the broadcast dims."""

    output_is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return self.xp.broadcast_to(x, self.shape)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return sum_to_shape(gy, self.in_shape)


class Repeat(Op):
    """x tiled ``repeats`` times along each dim (len(repeats) >= x.ndim, leading dims new), as torch's
    repeat and numpy's tile."""

    def __init__(self, repeats):
        self.repeats = repeats

    def forward(self, x):
        self.padded_shape = (1,) * (len(self.repeats) - x.ndim) + x.shape
        self.in_shape = x.shape
        return self.xp.tile(x, self.repeats)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        interleaved = []
        for count, size in zip(self.repeats, self.padded_shape):
            interleaved += [count, size]
        gx = gy.reshape(interleaved).sum(axis=tuple(range(0, len(interleaved), 2)))
        return gx.reshape(self.in_shape)


class Cat(Op):
    """Arrays joined along ``dim`` (all with the same shape elsewhere), in their common dtype."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, *arrays):
        dtype = common_dtype([a.dtype for a in arrays])
        self.sizes = [a.shape[self.dim] for a in arrays]
        return self.xp.concatenate([a.astype(dtype, copy=False) for a in arrays], axis=self.dim)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        bounds = np.cumsum(self.sizes)[:-1].tolist()
        return tuple(self.xp.split(gy, bounds, axis=self.dim))


class Stack(Op):
    """Arrays of one shape stacked along a new axis ``dim``, in their common dtype."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, *arrays):
        dtype = common_dtype([a.dtype for a in arrays])
        return self.xp.stack([a.astype(dtype, copy=False) for a in arrays], axis=self.dim)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return tuple(self.xp.moveaxis(gy, self.dim, 0))


class Where(Op):
    """a where cond else b (cond: bool array), broadcast together; gradients flow to the side chosen."""

    def forward(self, cond, a, b):
        a, b = promote(a, b)
        self.cond, self.shapes = cond, (a.shape, b.shape)
        return self.xp.where(cond, a, b)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        zero = self.xp.zeros((), dtype=gy.dtype)
        ga = sum_to_shape(self.xp.where(self.cond, gy, zero), self.shapes[0]) if self.needs_input_grad[1] else None
        gb = sum_to_shape(self.xp.where(self.cond, zero, gy), self.shapes[1]) if self.needs_input_grad[2] else None
        return None, ga, gb


class Clone(Op):
    """A C-contiguous copy; the gradient passes through unchanged."""

    def forward(self, x):
        return x.copy()

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return gy


class ConstantPad(Op):
    """Pad (or, with negative widths, crop) each dim by (before, after) elements of ``value``."""

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        out_shape, self.source, self.target = [], [], []
        for size, (before, after) in zip(x.shape, self.widths):
            out_size = size + before + after
            if out_size < 0:
                raise ValueError(f"pad: widths ({before}, {after}) leave a negative size for a dim of size {size}")
            start, stop = max(-before, 0), size - max(-after, 0)
            out_shape.append(out_size)
            self.source.append(slice(start, max(start, stop)))
            self.target.append(slice(max(before, 0), max(before, 0) + max(stop - start, 0)))
        self.source, self.target, self.in_shape = tuple(self.source), tuple(self.target), x.shape
        y = self.xp.full(out_shape, self.value, dtype=x.dtype)
        y[self.target] = x[self.source]
        return y

    backward_graph = linear_backward_graph
    linear_part = {"value": 0}  # the pad value makes it affine

    def backward(self, gy):
        gx = self.xp.zeros(self.in_shape, dtype=gy.dtype)
        gx[self.source] = gy[self.target]
        return gx


class Diag(Op):
    """torch's diag: a 1-D x becomes the square matrix with x on diagonal ``k`` (0: the main one,
    > 0 above, < 0 below) and zeros elsewhere; a 2-D x gives its diagonal ``k`` as a 1-D copy
    (empty when k lies outside the matrix)."""

    def __init__(self, k=0):
        self.k = k

    def forward(self, x):
        xp, k = self.xp, self.k
        self.in_shape = x.shape
        if x.ndim == 1:
            size = x.shape[0] + abs(k)
            self.rows, self.cols = self._positions(x.shape[0])
            y = xp.zeros((size, size), dtype=x.dtype)
            y[self.rows, self.cols] = x
            return y
        rows, cols = x.shape
        length = max(0, min(rows, cols - k) if k >= 0 else min(rows + k, cols))
        self.rows, self.cols = self._positions(length)
        return x[self.rows, self.cols]

    def _positions(self, length):
        """The (row, column) indices of the ``length`` entries of diagonal k."""
        steps = self.xp.arange(length)
        return steps + max(-self.k, 0), steps + max(self.k, 0)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        if len(self.in_shape) == 1:
            return gy[self.rows, self.cols]
        gx = self.xp.zeros(self.in_shape, dtype=gy.dtype)
        gx[self.rows, self.cols] = gy
        return gx


@tensor_method
def numel(input):
    """The number of elements: ``mg.zeros(2, 3).numel()`` -> 6"""
    return input._data.size


@tensor_method
def reshape(input, *shape):
    """The same entries in another shape (-1: the size that fits), a view where the strides allow it:
    ``mg.arange(6).reshape(2, -1).shape`` -> (2, 3)"""
    return Reshape(_args.shape(shape))(input)


@tensor_method(function=False)
def view(input, *shape):
    """The same data seen in another shape, without copying (torch's view): a RuntimeError that
    says to use reshape when the strides do not allow it (e.g. after transpose).
    Example: ``mg.arange(6).view(3, 2).shape`` -> (3, 2)"""
    return Reshape(_args.shape(shape), view=True)(input)


@tensor_method(function=False)
def view_as(input, other):
    """``input.view(other.shape)``: ``mg.arange(6).view_as(mg.zeros(2, 3)).shape`` -> (2, 3)"""
    return input.view(other.shape)


@tensor_method(function=False)
def reshape_as(input, other):
    """``input.reshape(other.shape)``: ``mg.arange(6).reshape_as(mg.zeros(3, 2)).shape`` -> (3, 2)"""
    return input.reshape(other.shape)


@tensor_method
def flatten(input, start_dim=0, end_dim=-1):
    """Dims start_dim..end_dim merged into one: ``mg.zeros(2, 3, 4).flatten(1).shape`` -> (2, 12)"""
    if input.ndim == 0:
        return input.reshape(1)
    start, end = _args.dim_index(start_dim, input.ndim), _args.dim_index(end_dim, input.ndim)
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
    shape = input.shape
    return input.reshape(shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:])


@tensor_method
def unsqueeze(input, dim):
    """A new dim of size 1 at ``dim`` (in [-ndim-1, ndim]).
    Example: ``mg.zeros(2, 3).unsqueeze(0).shape`` -> (1, 2, 3)"""
    dim = _args.dim_index(dim, input.ndim + 1)
    return input.reshape(input.shape[:dim] + (1,) + input.shape[dim:])


@tensor_method
def squeeze(input, dim=None):
    """Dims of size 1 removed: all of them, or those among ``dim`` (an int or tuple).
    Example: ``mg.zeros(2, 1, 3).squeeze().shape`` -> (2, 3)"""
    dims = _args.dim_tuple(dim, input.ndim)
    return input.reshape(tuple(s for i, s in enumerate(input.shape) if not (i in dims and s == 1)))


@tensor_method
def permute(input, *dims):
    """The dims reordered: ``mg.zeros(2, 3, 4).permute(2, 0, 1).shape`` -> (4, 2, 3)"""
    dims = _args.shape(dims)
    if len(dims) != input.ndim:
        raise ValueError(f"permute needs {input.ndim} dims for a tensor of shape {input.shape}, got {dims}")
    normalized = tuple(_args.dim_index(d, input.ndim) for d in dims)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"permute's dims {dims} name a dimension more than once")
    return Transpose(normalized)(input)


@tensor_method
def transpose(input, dim0, dim1):
    """dim0 and dim1 swapped, as torch (not NumPy's axes order).
    Example: ``mg.zeros(2, 3, 4).transpose(0, 2).shape`` -> (4, 3, 2)"""
    order = list(range(input.ndim))
    dim0, dim1 = _args.dim_index(dim0, input.ndim), _args.dim_index(dim1, input.ndim)
    if input.ndim < 2:
        return input
    order[dim0], order[dim1] = order[dim1], order[dim0]
    return Transpose(tuple(order))(input)


@tensor_method
def t(input):
    """The transpose of a matrix (a 0-d or 1-d tensor as it is). Example: ``mg.zeros(2, 3).t().shape`` -> (3, 2)"""
    if input.ndim > 2:
        raise ValueError(f"t() expects a tensor with at most 2 dims, got shape {input.shape}; use transpose(dim0, dim1)")
    return input.transpose(0, -1)


@tensor_method(function=False)
def expand(input, *sizes):
    """A broadcast view of new sizes (-1 keeps a dim, new dims go first):
    ``mg.zeros(3, 1).expand(2, -1, 4).shape`` -> (2, 3, 4)"""
    sizes = _args.shape(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ValueError(f"expand needs at least {input.ndim} sizes for a tensor of shape {input.shape}, got {sizes}")
    shape = []
    for i, size in enumerate(sizes):
        old = input.shape[i - lead] if i >= lead else None
        if size == -1:
            if old is None:
                raise ValueError(f"expand: -1 is not allowed for a new leading dim ({i}) in {sizes}")
            size = old
        if size < 0 or (old is not None and old != 1 and old != size):
            raise ValueError(f"expand: size {size} at dim {i} does not match the tensor's size {old} there "
                             f"(only dims of size 1 can grow); shape {input.shape}, sizes {sizes}")
        shape.append(size)
    return Expand(tuple(shape))(input)


@tensor_method(function=False)
def expand_as(input, other):
    """``input.expand(other.shape)``: ``mg.zeros(3, 1).expand_as(mg.zeros(3, 4)).shape`` -> (3, 4)"""
    return input.expand(other.shape)


@tensor_method(function=False)
def repeat(input, *sizes):
    """The tensor tiled ``sizes[i]`` times along each dim (extra sizes add leading dims).
    Example: ``mg.tensor([1, 2]).repeat(2)`` -> tensor([1, 2, 1, 2])"""
    sizes = _args.shape(sizes)
    if len(sizes) < input.ndim or any(s < 0 for s in sizes):
        raise ValueError(f"repeat needs at least {input.ndim} non-negative sizes for a tensor of shape "
                         f"{input.shape}, got {sizes}")
    return Repeat(sizes)(input)


@tensor_method
def split(input, split_size_or_sections, dim=0):
    """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the listed sizes.
    Example: ``mg.arange(5).split([2, 3])`` -> (tensor([0, 1]), tensor([2, 3, 4]))"""
    dim = _args.dim_index(dim, input.ndim)
    length = input.shape[dim]
    if isinstance(split_size_or_sections, numbers.Integral):
        size = int(split_size_or_sections)
        if size < 0 or size == 0 < length:
            raise ValueError(f"split_size must be a positive int (or 0 on a dim of size 0, as torch), got {size}")
        sizes = [min(size, length - start) for start in range(0, length, size or 1)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != length or any(s < 0 for s in sizes):
            raise ValueError(f"split sizes {sizes} must be non-negative and add up to {length}, "
                             f"the size of dim {dim}")
    starts = np.cumsum([0] + sizes).tolist()
    prefix = (slice(None),) * dim
    return tuple(input[prefix + (slice(a, b),)] for a, b in zip(starts[:-1], starts[1:]))


@tensor_method
def chunk(input, chunks, dim=0):
    """At most ``chunks`` pieces of equal size (the last may be smaller) along ``dim``; a dim of size 0
    gives ``chunks`` empty pieces, as torch. Example: ``[c.shape for c in mg.zeros(5, 2).chunk(2)]`` -> [(3, 2), (2, 2)]"""
    chunks = _args.positive_int(chunks, "chunk: chunks")
    length = input.shape[_args.dim_index(dim, input.ndim)]
    if length == 0:  # torch: ``chunks`` empty pieces
        return input.split([0] * chunks, dim)
    return input.split(-(-length // chunks), dim)


@tensor_method(function=False)
def contiguous(input):
    """Self when its data is C-contiguous, else a differentiable contiguous copy.
    Example: ``mg.zeros(2, 3).t().contiguous()`` (a C-ordered copy)"""
    return input if input._data.flags.c_contiguous else Clone.apply(input)


@tensor_method
def clone(input):
    """A differentiable copy: ``y = x.clone()`` has its own memory, and gradients flow to x.
    Example: ``mg.tensor([1.0]).clone()`` -> tensor([1.])"""
    return Clone.apply(input)


@tensor_method
def unbind(input, dim=0):
    """The slices along ``dim`` as a tuple of views (each without that dim), differentiable:
    ``a, b = mg.zeros(2, 3).unbind()``"""
    if input.ndim == 0:
        raise IndexError("unbind(): a 0-d tensor has no dimension to unbind")
    dim = _args.dim_index(dim, input.ndim)
    return tuple(input[(slice(None),) * dim + (i,)] for i in range(input.shape[dim]))


@tensor_method
def broadcast_to(input, size):
    """This tensor broadcast to ``size`` (a tuple; -1 keeps a dim), a view as ``expand(*size)``.
    Example: ``mg.zeros(3).broadcast_to((2, 3)).shape`` -> (2, 3)"""
    return input.expand(size)


@tensor_method
def narrow(input, dim, start, length):
    """The ``length`` entries from ``start`` along ``dim`` (start may be negative, or a 0-d integer
    tensor), a view. Example: ``mg.arange(5).narrow(0, 1, 3)`` -> tensor([1, 2, 3])"""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor")
    dim = _args.dim_index(dim, input.ndim)
    if isinstance(start, Tensor):
        if start.dtype.kind not in "iu" or start.numel() != 1:
            raise TypeError(f"narrow(): a tensor start must be a one-element integer tensor, got dtype "
                            f"{start.dtype} and shape {start.shape}")
        start = start.item()
    start, length = _args.integer(start, "narrow's start"), _args.integer(length, "narrow's length")
    size = input.shape[dim]
    if not -size <= start <= size:
        raise IndexError(f"narrow(): start out of range (expected to be in range of [{-size}, {size}], "
                         f"but got {start})")
    start = start + size if start < 0 else start
    if length < 0:
        raise RuntimeError(f"narrow(): length must be non-negative, got {length}")
    if start + length > size:
        raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}) "
                           f"of dim {dim}")
    return input[(slice(None),) * dim + (slice(start, start + length),)]


@tensor_method(aliases=("moveaxis",))
def movedim(input, source, destination):
    """The dims at ``source`` moved to positions ``destination`` (ints or tuples of the same length),
    the others keeping their order: ``mg.zeros(2, 3, 4).movedim(0, -1).shape`` -> (3, 4, 2)"""
    def dims(value, what):
        value = tuple(value) if isinstance(value, (tuple, list)) else (value,)
        normalized = [_args.dim_index(d, input.ndim) for d in value]
        if len(set(normalized)) != len(normalized):
            raise RuntimeError(f"movedim(): repeated dim in {what} {value}")
        return normalized
    source, destination = dims(source, "source"), dims(destination, "destination")
    if len(source) != len(destination):
        raise RuntimeError(f"movedim(): source ({len(source)} dims) and destination ({len(destination)} dims) "
                           "must name as many dims")
    if input.ndim == 0:
        return input.reshape(())
    order = [None] * input.ndim
    for s, d in zip(source, destination):
        order[d] = s
    rest = iter(i for i in range(input.ndim) if i not in source)
    return Transpose(tuple(next(rest) if o is None else o for o in order))(input)


@tensor_method
def swapaxes(input, axis0, axis1):
    """``transpose(axis0, axis1)`` (torch's alias). Example: ``mg.zeros(2, 3).swapaxes(0, 1).shape`` -> (3, 2)"""
    return input.transpose(axis0, axis1)


@tensor_method
def swapdims(input, dim0, dim1):
    """``transpose(dim0, dim1)`` (torch's alias). Example: ``mg.zeros(2, 3).swapdims(0, 1).shape`` -> (3, 2)"""
    return input.transpose(dim0, dim1)


@tensor_method
def diag(input, diagonal=0):
    """1-D: the square matrix with this tensor on diagonal ``diagonal`` (0 main, > 0 above, < 0
    below); 2-D: that diagonal as a 1-D tensor. Differentiable.
    Example: ``mg.tensor([1.0, 2.0]).diag()`` -> [[1., 0.], [0., 2.]]"""
    diagonal = _args.integer(diagonal, "diag's diagonal")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag(): supports 1-D or 2-D tensors, got {input.ndim}-D (shape {input.shape})")
    return Diag(diagonal)(input)


@tensor_method
def trace(input):
    """The sum of the main diagonal of a matrix (integers sum as int64, as torch).
    Example: ``mg.tensor([[1, 2], [3, 4]]).trace()`` -> tensor(5)"""
    if input.ndim != 2:
        raise RuntimeError(f"trace(): expected a matrix, but got a tensor with {input.ndim} dims "
                           f"(shape {input.shape})")
    if input.dtype == bool_:
        raise TypeError("trace() is not defined for bool tensors (as torch): convert with .long() first")
    return input.diag().sum()


@tensor_method
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each entry repeated along ``dim`` (None: of the flattened tensor) ``repeats`` times: an int
    for all, or a 1-D integer tensor with one count per entry. Differentiable (the gradients of
    the copies add). Example: ``mg.tensor([1, 2]).repeat_interleave(mg.tensor([1, 3]))`` -> [1, 2, 2, 2]

    Without ``repeats``, as torch's one-argument form, ``input`` holds the counts (a 1-D integer
    tensor) and the result repeats each index that often:
    ``mg.repeat_interleave(mg.tensor([1, 0, 2]))`` -> tensor([0, 2, 2])"""
    if repeats is None:
        if input.ndim != 1 or input.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave(repeats): repeats must be a 1-D integer tensor, got dtype "
                               f"{input.dtype} and shape {input.shape}")
        xp = backend.array_module(input._data)
        positions = Tensor._wrap(xp.arange(input.shape[0], dtype="int64"), False)
        return positions.repeat_interleave(input, output_size=output_size)
    if isinstance(repeats, Tensor):
        if repeats.dtype.kind not in "iu":
            raise TypeError(f"repeat_interleave(): repeats must be an integer tensor, got dtype {repeats.dtype}")
        if repeats.ndim > 1:
            raise RuntimeError(f"repeat_interleave(): repeats must be a 0-dim or 1-dim tensor, "
                               f"got shape {repeats.shape}")
        counts = repeats.numpy().astype(int64, copy=False)
    else:
        counts = np.asarray(_args.integer(repeats, "repeat_interleave's repeats"), dtype=int64)
    if dim is not None and input.ndim == 0:  # as torch: no dim to repeat along (dim=None repeats it)
        raise IndexError(f"repeat_interleave: dim specified as {dim} but the tensor has no dimensions")
    source = input.reshape(-1) if dim is None else input
    dim = 0 if dim is None else _args.dim_index(dim, source.ndim)
    size = source.shape[dim]
    if counts.ndim == 1 and counts.size != 1 and counts.size != size:
        raise RuntimeError(f"repeat_interleave(): repeats must have the same size as input along dim {dim}, "
                           f"but got {counts.size} repeats and size {size}")
    if (counts < 0).any():
        raise RuntimeError(f"repeat_interleave(): repeats can not be negative, got {counts.tolist()}")
    index = np.repeat(np.arange(size, dtype=int64), np.broadcast_to(counts.reshape(-1), (size,)))
    if output_size is not None and _args.integer(output_size, "output_size") != index.size:
        raise RuntimeError(f"repeat_interleave(): output_size={output_size} but the repeats give {index.size}")
    return source.index_select(dim, Tensor._wrap(backend.to_device(index, input.device), False))


def _tensors(tensors, what):
    tensors = list(tensors) if isinstance(tensors, (list, tuple)) else None
    if not tensors or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"{what} expects a non-empty list or tuple of Tensors")
    backend.common_array_module([t._data for t in tensors], what)
    return tensors


@torch_function
def cat(tensors, dim=0):
    """Tensors joined along an existing ``dim``; all shapes must agree except along ``dim``.

    A 1-D empty tensor beside others is skipped but for its dtype, as torch's legacy rule.
    Example: ``mg.cat([mg.zeros(2, 3), mg.ones(1, 3)]).shape`` -> (3, 3)
    """
    tensors = _tensors(tensors, "cat")
    shaped = [t for t in tensors if t.shape != (0,)]
    if shaped and len(shaped) < len(tensors):
        dtype = common_dtype([t.dtype for t in tensors])
        joined = cat(shaped, dim)
        return joined if joined.dtype == dtype else joined.to(dtype)
    first = tensors[0]
    dim = _args.dim_index(dim, first.ndim)
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim or t.shape[:dim] + t.shape[dim + 1:] != first.shape[:dim] + first.shape[dim + 1:]:
            raise ValueError(f"cat: tensor {i} has shape {t.shape}, but tensor 0 has {first.shape}; "
                             f"shapes must match except along dim {dim}")
    if first.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use mg.stack")
    return Cat(dim)(*tensors)


@torch_function
def stack(tensors, dim=0):
    """Tensors of one shape stacked along a new ``dim`` (in [-ndim-1, ndim]).

    Example: ``mg.stack([mg.zeros(3), mg.ones(3)], dim=1).shape`` -> (3, 2)
    """
    tensors = _tensors(tensors, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, but tensor 0 has {tensors[0].shape}; "
                             "all must have the same shape")
    return Stack(_args.dim_index(dim, tensors[0].ndim + 1))(*tensors)


def bool_mask(cond, what):
    """``cond`` (a bool Tensor or array) as a bool Tensor."""
    cond = cond if isinstance(cond, Tensor) else Tensor._wrap(to_array(cond, None), False)
    if cond.dtype != bool_:
        raise TypeError(f"{what} must be a bool tensor, got dtype {cond.dtype} (compare, e.g. x > 0, to get one)")
    return cond


@torch_function
def where(condition, input, other):
    """``input`` where the bool ``condition`` is True, else ``other``; the three broadcast together.
    input/other may be numbers (they take the other operand's dtype, as torch).

    Example: ``mg.where(x > 0, x, 0.0)`` is relu(x), with gradients to x where x > 0.
    """
    condition = bool_mask(condition, "where's condition")
    reference = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    input, other = (_where_operand(value, reference, condition) for value in (input, other))
    if broadcast_shape(condition.shape, input.shape, other.shape) is None:
        raise ValueError(f"where: condition {condition.shape}, input {input.shape} and other {other.shape} "
                         "do not broadcast to one shape")
    backend.common_array_module([condition._data, input._data, other._data], "where")
    return Where.apply(condition, input, other)


def _where_operand(value, reference, condition):
    """A number as a 0-d tensor in the dtype torch gives it next to ``reference`` (mg.tensor's dtype
    when both sides are numbers), on the condition's device."""
    if isinstance(value, Tensor):
        return value
    if not isinstance(value, numbers.Number):
        raise TypeError(f"where's input and other must be Tensors or numbers, got {type(value).__name__}")
    array = to_array(value, None) if reference is None else like_value(reference._data, value)
    return Tensor._wrap(backend.to_device(array, condition.device), False)
