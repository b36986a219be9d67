"""Ops that order or rearrange values along dims: sorting (indices; the values are gathered with indexing.Gather), running
sums and products, flips, rolls and triangles. ``dim``/``dims`` arrive checked and in [0, ndim)."""
import collections

from .. import _args, backend
from .._dtypes import int64, resolve_dtype
from ..autograd import Op
from ..autograd.adjoint import linear_backward_graph
from ..tensor import Tensor
from ._table import tensor_method
from .indexing import Gather

_SortResult = collections.namedtuple("sort", ["values", "indices"])
_TopkResult = collections.namedtuple("topk", ["values", "indices"])

def sort_indices(x, dim, descending):
    """int64 indices that sort ``x`` along ``dim`` (an array; no gradient): a stable sort, so equal
    values keep their order of appearance in both directions; NaN counts as the largest value (last
    ascending, first descending), as torch. Example: ``sort_indices([3, 1, 3], 0, True)`` -> [0, 2, 1]"""
    xp = backend.array_module(x)
    if not descending:
        return xp.argsort(x, axis=dim, kind="stable").astype(int64, copy=False)
    # Stable descending: sort the reversed array ascending and read the result backwards; equal values
    # then come in increasing original position, and NaN (last ascending) comes first.
    order = xp.argsort(xp.flip(x, dim), axis=dim, kind="stable").astype(int64, copy=False)
    return (x.shape[dim] - 1) - xp.flip(order, dim)


def _reverse_cumsum(a, dim, xp):
    """Sums from each position to the end along ``dim``: the adjoint of cumsum."""
    return xp.flip(xp.cumsum(xp.flip(a, dim), axis=dim), dim)


class Cumsum(Op):
    """Running sums along ``dim``; integer and bool inputs sum as int64, as torch. The gradient at a
    position is the sum of the output gradients from there to the end (a reversed cumsum)."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        return x.cumsum(axis=self.dim, dtype=None if x.dtype.kind == "f" else int64)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return _reverse_cumsum(gy, self.dim, self.xp)


class Cumprod(Op):
    """Running products along ``dim``; integer and bool inputs multiply as int64, as torch.

    The gradient is exact where the input holds zeros (as torch's): before the first zero of a row it
    is sum_{i>=j} gy_i * y_i / x_j (x_j is nonzero there); at the first zero z it is
    sum_{i>=z} gy_i * prod_{k<=i, k!=z} x_k (the running product with x_z taken as 1); after the first
    zero every output the entry reaches also holds that zero, so its gradient is 0."""

    def __init__(self, dim):
        self.dim = dim

    def forward(self, x):
        self.x = x
        self.y = x.cumprod(axis=self.dim, dtype=None if x.dtype.kind == "f" else int64)
        return self.y

    def backward(self, gy):
        xp, x, y, dim = self.xp, self.x, self.y, self.dim
        zero, one = xp.zeros((), dtype=gy.dtype), xp.ones((), dtype=gy.dtype)
        is_zero = x == 0
        zeros_so_far = xp.cumsum(is_zero, axis=dim)
        before = zeros_so_far == 0
        first = is_zero & (zeros_so_far == 1)
        gx = xp.where(before, _reverse_cumsum(gy * y, dim, xp) / xp.where(before, x, one), zero)
        without_first = xp.cumprod(xp.where(first, one, x), axis=dim)
        at_first = xp.where(before, zero, gy * without_first).sum(axis=dim, keepdims=True)
        return gx + xp.where(first, at_first, zero)

    def backward_graph(self, inputs, gy):
        x = inputs[0]
        if bool((x._data == 0).any()):
            raise RuntimeError("Cumprod: double backward (create_graph=True) is not implemented for an input "
                               "with zero entries")
        dim = self.dim
        return (gy * x.cumprod(dim)).flip(dim).cumsum(dim).flip(dim) / x


class Flip(Op):
    """x reversed along each of ``dims`` (a copy, as torch's flip); the gradient is flipped back."""

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return self.xp.flip(x, self.dims).copy()  # C order; not ascontiguousarray, which makes a 0-d array 1-d

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return self.xp.flip(gy, self.dims)


class Roll(Op):
    """x rolled by ``shifts`` along ``dims`` (entries pushed past the end come back at the start);
    dims None rolls the flattened tensor and restores the shape, as torch. The gradient rolls back."""

    def __init__(self, shifts, dims):
        self.shifts, self.dims = shifts, dims

    def forward(self, x):
        return self.xp.roll(x, self.shifts, axis=self.dims)

    backward_graph = linear_backward_graph

    def backward(self, gy):
        back = -self.shifts if self.dims is None else tuple(-s for s in self.shifts)
        return self.xp.roll(gy, back, axis=self.dims)


class Triangle(Op):
    """The lower (``upper=False``: torch's tril) or upper (triu) triangle of the matrices in the last
    two dims, from ``diagonal`` (0: the main one, > 0 above it, < 0 below); the rest is zero. The
    gradient passes through the kept entries only."""

    def __init__(self, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper

    def forward(self, x):
        rows, cols = x.shape[-2:]
        xp = self.xp
        if self.upper:
            self.mask = ~xp.tri(rows, cols, k=self.diagonal - 1, dtype=bool)
        else:
            self.mask = xp.tri(rows, cols, k=self.diagonal, dtype=bool)
        return xp.where(self.mask, x, xp.zeros((), dtype=x.dtype))

    backward_graph = linear_backward_graph

    def backward(self, gy):
        return self.xp.where(self.mask, gy, self.xp.zeros((), dtype=gy.dtype))


@tensor_method
def sort(input, dim=-1, descending=False, stable=False):
    """The values sorted along ``dim`` and their int64 indices, a namedtuple (values, indices) as
    torch's; gradients flow back to the entries the values came from.

    The sort is always stable (``stable`` is accepted for torch's signature): equal values keep
    their order of appearance, ascending and descending, so results are deterministic. NaN counts
    as the largest value: last ascending, first descending, as torch.

    Example: ``mg.tensor([3.0, 1.0, 3.0]).sort(descending=True)`` -> values [3., 3., 1.], indices [0, 2, 1]
    """
    _args.flag(descending, "sort's descending")
    _args.flag(stable, "sort's stable")
    return _SortResult(*_sorted(input, dim, descending, None))


@tensor_method
def argsort(input, dim=-1, descending=False, stable=False):
    """The int64 indices that sort the tensor along ``dim`` (no gradient): ``sort(...).indices``,
    from the same stable sort (ties in order of appearance; NaN the largest).
    Example: ``mg.tensor([3.0, 1.0, 2.0]).argsort()`` -> tensor([1, 2, 0])"""
    _args.flag(descending, "argsort's descending")
    _args.flag(stable, "argsort's stable")
    return _sort_index(input, _args.dim_index(dim, input.ndim), descending, None)


@tensor_method
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (``largest=False``: smallest) values along ``dim`` and their int64 indices,
    a namedtuple (values, indices) as torch's; gradients flow back to the chosen entries. k must be
    in [0, size of dim] (a RuntimeError otherwise, as torch).

    Values always come sorted (largest first, or smallest first), also with ``sorted=False``,
    where torch leaves the order unspecified. Ties are taken in order of appearance (a stable
    sort), so results are deterministic; NaN counts as the largest value, as torch.

    Example: ``mg.tensor([1.0, 5.0, 3.0]).topk(2)`` -> values [5., 3.], indices [1, 2]
    """
    k = _args.integer(k, "topk's k")
    _args.flag(largest, "topk's largest")
    _args.flag(sorted, "topk's sorted")
    size = input.shape[_args.dim_index(dim, input.ndim)] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(f"topk: k={k} is out of range for dim {dim} of size {size} "
                           f"(shape {input.shape}); expected 0 <= k <= {size}")
    return _TopkResult(*_sorted(input, dim, largest, k))


def _sorted(input, dim, descending, k):
    """(values, indices) of the first ``k`` (None: all) entries of the stable sort along dim."""
    dim = _args.dim_index(dim, input.ndim)
    indices = _sort_index(input, dim, descending, k)
    if input.ndim == 0:  # as torch: the value itself at index 0
        return input.reshape(()), indices
    return Gather(dim)(input, indices), indices


def _sort_index(input, dim, descending, k):
    """The int64 indices (a Tensor without grad) of the first ``k`` (None: all) entries of the
    stable sort along ``dim`` (checked); 0 for a 0-d tensor."""
    if input.ndim == 0:
        return Tensor._wrap(backend.array_module(input._data).zeros((), int64), False)
    index = sort_indices(input._data, dim, descending)
    if k is not None:
        index = index[(slice(None),) * dim + (slice(0, k),)]
    return Tensor._wrap(index, False)


@tensor_method
def cumsum(input, dim, dtype=None):
    """Running sums along ``dim`` (integer and bool tensors sum as int64, as torch; ``dtype``
    converts the input first). Example: ``mg.tensor([1.0, 2.0, 3.0]).cumsum(0)`` -> [1., 3., 6.]"""
    return _running(input, Cumsum, dim, dtype)


@tensor_method
def cumprod(input, dim, dtype=None):
    """Running products along ``dim`` (integer and bool tensors multiply as int64, as torch). The
    gradient is exact where the input holds zeros, as torch's.
    Example: ``mg.tensor([2.0, 3.0, 4.0]).cumprod(0)`` -> [2., 6., 24.]"""
    return _running(input, Cumprod, dim, dtype)


def _running(input, op, dim, dtype):
    source = input if dtype is None else input.to(resolve_dtype(dtype))
    dim = _args.dim_index(dim, source.ndim)
    if source.ndim == 0:
        return op(0)(source.reshape(1)).reshape(())
    return op(dim)(source)


@tensor_method
def flip(input, *dims, **kwargs):
    """A copy reversed along each of ``dims``: ``x.flip(0)``, ``x.flip(0, 1)``, ``x.flip((0, 1))``
    or ``x.flip(dims=[0, 1])``; a dim named twice is a RuntimeError, as torch."""
    if set(kwargs) - {"dims"} or (dims and kwargs):
        raise TypeError(f"flip takes dims (ints, or one tuple or list of them), got {dims} {kwargs}")
    if not dims and not kwargs:  # as torch: no default (flip(()) is the way to flip nothing)
        raise TypeError("flip() missing 1 required argument: 'dims'")
    dims = kwargs["dims"] if kwargs else dims[0] if len(dims) == 1 else dims
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    normalized = [_args.dim_index(d, input.ndim) for d in dims]
    for d, original in zip(normalized, dims):
        if normalized.count(d) > 1:
            raise RuntimeError(f"flip: dim {original} appears more than once in dims {dims}")
    return Flip(tuple(d for d in normalized if d < input.ndim))(input)


@tensor_method
def roll(input, shifts, dims=None):
    """The entries moved ``shifts`` places along ``dims`` (those pushed past the end come back at
    the start); shifts and dims are ints or tuples of the same length. Without dims, the flattened
    tensor is rolled by one shift and the shape restored, as torch.
    Example: ``mg.tensor([1, 2, 3]).roll(1)`` -> [3, 1, 2]"""
    shifts = tuple(_args.integer(s, "roll's shifts") for s in
                   (shifts if isinstance(shifts, (tuple, list)) else (shifts,)))
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: without dims the flattened tensor is rolled by one shift, got shifts "
                               f"{shifts}; pass as many dims as shifts")
        return Roll(shifts[0], None)(input)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims) or not dims:
        raise RuntimeError(f"roll: shifts and dims must align, got {len(shifts)} shifts {shifts} "
                           f"and {len(dims)} dims {dims}")
    if input.ndim == 0:  # as torch: a 0-d tensor has no dim to roll along (dims=None rolls it)
        raise IndexError(f"roll: dim specified as {dims[0]} but the tensor has no dimensions")
    dims = tuple(_args.dim_index(d, input.ndim) for d in dims)
    return Roll(shifts, dims)(input)


@tensor_method
def tril(input, diagonal=0):
    """The lower triangle of the matrices in the last two dims (batched), from ``diagonal`` down
    (0: the main diagonal, > 0 above it, < 0 below); the other entries are 0.
    Example: ``mg.ones(2, 2).tril()`` -> [[1., 0.], [1., 1.]]"""
    return _triangle(input, diagonal, False, "tril")


@tensor_method
def triu(input, diagonal=0):
    """The upper triangle of the matrices in the last two dims (batched), from ``diagonal`` up;
    the other entries are 0.
    Example: ``mg.ones(2, 2).triu(1)`` -> [[0., 1.], [0., 0.]]"""
    return _triangle(input, diagonal, True, "triu")


def _triangle(input, diagonal, upper, name):
    diagonal = _args.integer(diagonal, f"{name}'s diagonal")
    if input.ndim < 2:
        raise RuntimeError(f"{name}: expects a tensor with at least 2 dims (a matrix or a batch of them), "
                           f"got shape {input.shape}")
    return Triangle(diagonal, upper)(input)
