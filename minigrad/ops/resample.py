"""Resampling the trailing spatial dims: nearest and (bi)linear interpolation (torch's upsample
kernels, index for index), and adaptive max pooling. Sources and weights are computed once per
dim on the host; the gathers and the gradients' scatter-adds run on x's device."""
import numpy as np

from .. import backend
from ..autograd import Op


def nearest_sources(in_size, out_size, scale=None, shortcuts=False):
    """torch's legacy nearest: source index min(floor(dst * s), in - 1) with s = 1 / scale when a
    scale factor is given (> 0), else in / out, in float32 arithmetic as torch's kernels. shortcuts:
    as torch's 2-D kernel, out == in is the identity and out == 2 * in halves the index, whatever
    the scale factor (torch's 1-D kernel has no such shortcut)."""
    if shortcuts and out_size == in_size:
        return np.arange(out_size)
    if shortcuts and out_size == 2 * in_size:
        return np.arange(out_size) >> 1
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(in_size) / np.float32(out_size)
    return np.minimum(np.floor(np.arange(out_size, dtype=np.float32) * s).astype(np.int64), in_size - 1)


def linear_sources(in_size, out_size, align_corners, scale=None, dtype=np.float64):
    """(i0, i1, w0, w1): output j = w0[j] * x[i0[j]] + w1[j] * x[i1[j]], as torch computes them in
    the input's float type. A dim whose size does not change is copied, as torch does. align_corners: the corner samples line up, s = (in - 1) / (out - 1);
    otherwise pixel centres do, source (j + 0.5) * s - 0.5 clamped at 0, with s = 1 / scale when a
    scale factor is given (> 0), else in / out."""
    real = np.dtype(dtype).type
    positions = np.arange(out_size, dtype=real)
    if out_size == in_size:  # torch copies such a dim, whatever the scale factor
        return np.arange(out_size), np.arange(out_size), np.ones(out_size, real), np.zeros(out_size, real)
    if align_corners:
        s = real(in_size - 1) / real(out_size - 1) if out_size > 1 else real(0)
        source = positions * s
    else:
        s = real(1.0 / scale) if scale is not None and scale > 0 else real(in_size) / real(out_size)
        source = np.maximum(s * (positions + real(0.5)) - real(0.5), real(0))
    i0 = np.minimum(np.floor(source).astype(np.int64), in_size - 1)
    w1 = np.clip(source - i0, 0, 1).astype(real)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, real(1) - w1, w1


class Interpolate(Op):
    """Resample the last len(out_sizes) dims of x to ``out_sizes``. mode: "nearest" or "linear"
    (linear along each dim: bilinear for two). scales: per dim, the scale factor the user gave
    (torch then uses 1 / scale as the step) or None. Applied one dim at a time, the last first,
    which is torch's order of rounding: h0 * (w0 * x00 + w1 * x01) + h1 * (w0 * x10 + w1 * x11)."""

    def __init__(self, mode, out_sizes, scales, align_corners=False):
        self.mode, self.out_sizes, self.scales = mode, tuple(out_sizes), tuple(scales)
        self.align_corners = bool(align_corners)

    def _tables(self, x):
        """Per spatial dim, last first: (axis, in_size, sources) with sources (i,) for nearest and
        (i0, i1, w0, w1) for linear, on x's device; weights shaped to broadcast over later dims."""
        xp, tables = self.xp, []
        first = x.ndim - len(self.out_sizes)
        for axis in reversed(range(first, x.ndim)):
            in_size, out_size, scale = x.shape[axis], self.out_sizes[axis - first], self.scales[axis - first]
            if self.mode == "nearest":
                sources = (nearest_sources(in_size, out_size, scale, shortcuts=len(self.out_sizes) == 2),)
            else:
                i0, i1, w0, w1 = linear_sources(in_size, out_size, self.align_corners, scale, x.dtype)
                trailing = (1,) * (x.ndim - axis - 1)
                sources = (i0, i1, w0.reshape((-1,) + trailing), w1.reshape((-1,) + trailing))
            tables.append((axis, in_size, tuple(s if xp is np else xp.asarray(s) for s in sources)))
        return tables

    def forward(self, x):
        self.in_shape, self.tables = x.shape, self._tables(x)
        y = x
        for axis, _, sources in self.tables:
            before = (slice(None),) * axis
            if len(sources) == 1:
                y = y[before + sources]
            else:
                i0, i1, w0, w1 = sources
                y = w0 * y[before + (i0,)] + w1 * y[before + (i1,)]
        return y

    def backward(self, gy):
        xp = self.xp
        for axis, in_size, sources in reversed(self.tables):
            before = (slice(None),) * axis
            g = xp.zeros(gy.shape[:axis] + (in_size,) + gy.shape[axis + 1:], dtype=gy.dtype)
            if len(sources) == 1:  # a source repeated k times collects k gradients
                backend.scatter_add(g, before + sources, gy)
            else:
                i0, i1, w0, w1 = sources
                backend.scatter_add(g, before + (i0,), gy * w0)
                backend.scatter_add(g, before + (i1,), gy * w1)
            gy = g
        return gy


def _adaptive_bins(in_size, out_size):
    """(out_size, K) source indices of torch's adaptive bins [floor(i * in / out), ceil((i + 1) * in
    / out)), each row padded to the widest bin by repeating its last index (a repeat never changes
    which entry is the maximum)."""
    i = np.arange(out_size)
    start, end = (i * in_size) // out_size, -((-(i + 1) * in_size) // out_size)
    width = int((end - start).max()) if out_size else 1
    return np.minimum(start[:, None] + np.arange(width), end[:, None] - 1)


def adaptive_max_pool2d_indices(x, output_size):
    """int64 (N, C, OH, OW): for x (N, C, H, W), each adaptive bin's argmax as a flat index h * W + w
    in its plane, as torch's kernel picks it (the first maximum; the last NaN when there is one)."""
    xp = backend.array_module(x)
    n, c, h, w = x.shape
    out_h, out_w = output_size
    if 0 in (n, c, out_h, out_w):
        return xp.zeros((n, c, out_h, out_w), dtype=np.int64)
    rows, cols = _adaptive_bins(h, out_h), _adaptive_bins(w, out_w)
    flat = (rows[:, None, :, None] * w + cols[None, :, None, :]).reshape(out_h, out_w, -1)  # row-major scan
    flat = flat if xp is np else xp.asarray(flat)
    windows = x.reshape(n, c, h * w)[:, :, flat]  # (N, C, OH, OW, K)
    nan = xp.isnan(windows)
    width = windows.shape[-1]
    best = xp.where(nan.any(axis=-1), width - 1 - xp.argmax(nan[..., ::-1], axis=-1), xp.argmax(windows, axis=-1))
    return xp.take_along_axis(xp.broadcast_to(flat, windows.shape), best[..., None], axis=-1)[..., 0]


class PlaneGather(Op):
    """y[n, c, ...] = x[n, c].flat[index[n, c, ...]] for x (N, C, H, W) and int64 index (N, C, OH, OW)
    (adaptive max pooling's values); each gradient entry is added at its index, repeats adding up."""

    def forward(self, x, index):
        planes = x.shape[0] * x.shape[1]
        self.in_shape, self.index = x.shape, index.reshape(planes, int(np.prod(index.shape[2:])))
        return self.xp.take_along_axis(x.reshape(planes, int(np.prod(x.shape[2:]))), self.index,
                                       axis=1).reshape(index.shape)

    def backward(self, gy):
        xp = self.xp
        planes = self.index.shape[0]
        gx = xp.zeros((planes, int(np.prod(self.in_shape[2:]))), dtype=gy.dtype)
        backend.scatter_add(gx, (xp.arange(planes)[:, None], self.index), gy.reshape(self.index.shape))
        return gx.reshape(self.in_shape), None
