"""Ops that move data without arithmetic: reshape, transpose, indexing, device and dtype moves."""
import numpy as np

from .. import backend
from ..autograd import Op


class Reshape(Op):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.in_shape)


class Transpose(Op):
    """Permute axes (reverse them when ``axes`` is None), as numpy.transpose."""

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


class GetItem(Op):
    """x[index] for basic and integer-array indices; repeated indices add their gradients."""

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.in_shape = x.shape
        if self.xp is not np:  # index arrays go where the data is
            items = self.index if isinstance(self.index, tuple) else (self.index,)
            items = tuple(self.xp.asarray(i) if isinstance(i, np.ndarray) else i for i in items)
            self.index = items if isinstance(self.index, tuple) else items[0]
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
