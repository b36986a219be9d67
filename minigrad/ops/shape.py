"""Ops that move data without arithmetic: reshape, transpose, indexing, joining, device and dtype moves."""
import numpy as np

from .. import backend
from ..autograd import Op
from ._broadcast import sum_to_shape
from ._dtypes import common_dtype, promote


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

    def backward(self, gy):
        return backend.to_device(gy, self.source)


class Cast(Op):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.source = x.dtype
        return x.astype(self.dtype)

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

    def backward(self, gy):
        return tuple(self.xp.moveaxis(gy, self.dim, 0))


class Where(Op):
    """a where cond else b (cond: bool array), broadcast together; gradients flow to the side chosen."""

    def forward(self, cond, a, b):
        a, b = promote(a, b)
        self.cond, self.shapes = cond, (a.shape, b.shape)
        return self.xp.where(cond, a, b)

    def backward(self, gy):
        zero = self.xp.zeros((), dtype=gy.dtype)
        ga = sum_to_shape(self.xp.where(self.cond, gy, zero), self.shapes[0]) if self.needs_input_grad[1] else None
        gb = sum_to_shape(self.xp.where(self.cond, zero, gy), self.shapes[1]) if self.needs_input_grad[2] else None
        return None, ga, gb


class Clone(Op):
    """A C-contiguous copy; the gradient passes through unchanged."""

    def forward(self, x):
        return x.copy()

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

    def backward(self, gy):
        if len(self.in_shape) == 1:
            return gy[self.rows, self.cols]
        gx = self.xp.zeros(self.in_shape, dtype=gy.dtype)
        gx[self.rows, self.cols] = gy
        return gx
