"""Ops that move data without arithmetic: reshape, transpose, indexing, device and dtype moves."""
import numpy as np

from .. import backend
from ..autograd import Op


class Reshape(Op):
    output_is_view = True

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

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
        items = index if isinstance(index, tuple) else (index,)
        self.output_is_view = all(i is None or i is Ellipsis or isinstance(i, slice)
                                  or (isinstance(i, (int, np.integer)) and not isinstance(i, bool)) for i in items)

    def forward(self, x):
        self.in_shape = x.shape
        self.index = index_on_device(self.index, self.xp)
        return x[self.index]

    def backward(self, gy):
        gx = self.xp.zeros(self.in_shape, dtype=gy.dtype)
        backend.scatter_add(gx, self.index, gy)
        return gx


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
