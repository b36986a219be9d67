"""Ops that order or rearrange values along dims: sorting (indices; the values are gathered with indexing.Gather), running
sums and products, flips, rolls and triangles. ``dim``/``dims`` arrive checked and in [0, ndim)."""
import numpy as np

from .. import backend
from ..autograd import Op

_INT64 = np.dtype(np.int64)


def sort_indices(x, dim, descending):
    """int64 indices that sort ``x`` along ``dim`` (an array; no gradient): a stable sort, so equal
    values keep their order of appearance in both directions; NaN counts as the largest value (last
    ascending, first descending), as torch. Example: ``sort_indices([3, 1, 3], 0, True)`` -> [0, 2, 1]"""
    xp = backend.array_module(x)
    if not descending:
        return xp.argsort(x, axis=dim, kind="stable").astype(_INT64, copy=False)
    # Stable descending: sort the reversed array ascending and read the result backwards; equal values
    # then come in increasing original position, and NaN (last ascending) comes first.
    order = xp.argsort(xp.flip(x, dim), axis=dim, kind="stable").astype(_INT64, copy=False)
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
        return x.cumsum(axis=self.dim, dtype=None if x.dtype.kind == "f" else _INT64)

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
        self.y = x.cumprod(axis=self.dim, dtype=None if x.dtype.kind == "f" else _INT64)
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


class Flip(Op):
    """x reversed along each of ``dims`` (a copy, as torch's flip); the gradient is flipped back."""

    def __init__(self, dims):
        self.dims = dims

    def forward(self, x):
        return self.xp.flip(x, self.dims).copy()  # C order; not ascontiguousarray, which makes a 0-d array 1-d

    def backward(self, gy):
        return self.xp.flip(gy, self.dims)


class Roll(Op):
    """x rolled by ``shifts`` along ``dims`` (entries pushed past the end come back at the start);
    dims None rolls the flattened tensor and restores the shape, as torch. The gradient rolls back."""

    def __init__(self, shifts, dims):
        self.shifts, self.dims = shifts, dims

    def forward(self, x):
        return self.xp.roll(x, self.shifts, axis=self.dims)

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

    def backward(self, gy):
        return self.xp.where(self.mask, gy, self.xp.zeros((), dtype=gy.dtype))
