"""Resampling the trailing spatial dims: nearest and (bi)linear interpolation (torch's upsample
kernels, index for index), adaptive max pooling, and pixel (un)shuffle. Sources and weights are computed once per
dim on the host; the gathers and the gradients' scatter-adds run on x's device."""
import numpy as np

from .. import _args, backend
from ..autograd import Op
from ..autograd.adjoint import constant, linear_backward_graph
from ..tensor import Tensor
from ._table import torch_function

__all__ = ["interpolate", "adaptive_max_pool2d", "pixel_shuffle", "pixel_unshuffle"]


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


def cubic_sources(in_size, out_size, align_corners, scale=None, dtype=np.float64):
    """(indices, weights), four of each: output j = sum_k weights[k][j] * x[indices[k][j]], torch's cubic
    convolution (Keys, A = -0.75) on the taps floor(s) - 1 .. floor(s) + 2 of the source s, each tap
    clamped into [0, in - 1] (the border value repeats). s as linear's but not clamped at 0."""
    real = np.dtype(dtype).type
    positions = np.arange(out_size, dtype=real)
    if align_corners:
        source = positions * (real(in_size - 1) / real(out_size - 1) if out_size > 1 else real(0))
    else:
        s = real(1.0 / scale) if scale is not None and scale > 0 else real(in_size) / real(out_size)
        source = s * (positions + real(0.5)) - real(0.5)
    floor = np.floor(source)
    t = (source - floor).astype(real)
    a = real(-0.75)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    indices = tuple(np.clip(floor.astype(np.int64) - 1 + k, 0, in_size - 1) for k in range(4))
    return indices, weights


class Interpolate(Op):
    """Resample the last len(out_sizes) dims of x to ``out_sizes``. mode: "nearest", "linear" (linear
    along each dim: bilinear for two) or "cubic" (bicubic for two). scales: per dim, the scale factor the
    user gave (torch then uses 1 / scale as the step) or None. Applied one dim at a time, the last first,
    which is torch's order of rounding: h0 * (w0 * x00 + w1 * x01) + h1 * (w0 * x10 + w1 * x11)."""

    def __init__(self, mode, out_sizes, scales, align_corners=False):
        self.mode, self.out_sizes, self.scales = mode, tuple(out_sizes), tuple(scales)
        self.align_corners = bool(align_corners)

    def _tables(self, x):
        """Per spatial dim, last first: (axis, in_size, indices, weights), on x's device: output j along
        the axis is sum_k weights[k][j] * x[indices[k][j]] (weights None for nearest: one index, weight
        1); weights shaped to broadcast over later dims."""
        xp, tables = self.xp, []
        first = x.ndim - len(self.out_sizes)
        for axis in reversed(range(first, x.ndim)):
            in_size, out_size, scale = x.shape[axis], self.out_sizes[axis - first], self.scales[axis - first]
            if self.mode == "nearest":
                indices, weights = (nearest_sources(in_size, out_size, scale, shortcuts=len(self.out_sizes) == 2),), None
            elif self.mode == "linear":
                i0, i1, w0, w1 = linear_sources(in_size, out_size, self.align_corners, scale, x.dtype)
                indices, weights = (i0, i1), (w0, w1)
            else:
                indices, weights = cubic_sources(in_size, out_size, self.align_corners, scale, x.dtype)
            on_device = (lambda a: a) if xp is np else xp.asarray
            trailing = (1,) * (x.ndim - axis - 1)
            tables.append((axis, in_size, tuple(on_device(i) for i in indices),
                           weights and tuple(on_device(w.reshape((-1,) + trailing)) for w in weights)))
        return tables

    def forward(self, x):
        self.in_shape, self.tables = x.shape, self._tables(x)
        y = x
        for axis, _, indices, weights in self.tables:
            before = (slice(None),) * axis
            if weights is None:
                y = y[before + indices]
            else:
                taps = [w * y[before + (i,)] for i, w in zip(indices, weights)]
                y = taps[0]
                for tap in taps[1:]:
                    y = y + tap
        return y

    def backward(self, gy):
        xp = self.xp
        for axis, in_size, indices, weights in reversed(self.tables):
            before = (slice(None),) * axis
            g = xp.zeros(gy.shape[:axis] + (in_size,) + gy.shape[axis + 1:], dtype=gy.dtype)
            if weights is None:  # a source repeated k times collects k gradients
                backend.scatter_add(g, before + indices, gy)
            else:
                for i, w in zip(indices, weights):
                    backend.scatter_add(g, before + (i,), gy * w)
            gy = g
        return gy

    backward_graph = linear_backward_graph


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
        self._locate(x.shape, index)
        planes = self.index.shape[0]
        return self.xp.take_along_axis(x.reshape(planes, int(np.prod(x.shape[2:]))), self.index,
                                       axis=1).reshape(index.shape)

    def backward(self, gy):
        xp = self.xp
        planes = self.index.shape[0]
        gx = xp.zeros((planes, int(np.prod(self.in_shape[2:]))), dtype=gy.dtype)
        backend.scatter_add(gx, (xp.arange(planes)[:, None], self.index), gy.reshape(self.index.shape))
        return gx.reshape(self.in_shape), None

    backward_graph = linear_backward_graph

    def _locate(self, in_shape, index):
        """Keep what backward reads: the input's shape and the index as (planes, positions)."""
        planes = in_shape[0] * in_shape[1]
        self.in_shape, self.index = in_shape, index.reshape(planes, int(np.prod(index.shape[2:])))


def plane_scatter(gy, index, in_shape):
    """The Tensor of shape in_shape (N, C, H, W) in which each entry of gy (N, C, OH, OW) is added
    at its flat position index[n, c, ...] of plane (n, c): PlaneGather's gradient (max pooling's,
    for its argmax indices), differentiable: its own gradient gathers at ``index`` again."""
    xp = backend.array_module(index)
    gather = PlaneGather()
    gather.xp, gather.needs_input_grad = xp, (True, False)
    gather._locate(in_shape, index)
    x_like = constant(xp.broadcast_to(xp.zeros((), gy.dtype), in_shape))  # only its shape and dtype are read
    return linear_backward_graph(gather, (x_like, constant(index)), gy)[0]


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dims of input (N, C, L) or (N, C, H, W) to ``size`` or by ``scale_factor``
    (one, or one per spatial dim; the output size is floor(in * scale)), as torch.nn.functional.interpolate.
    mode: "nearest" (torch's legacy nearest: source floor(dst * in / out), or floor(dst / scale_factor)
    when a scale_factor is given), "linear" (3-D input), "bilinear" or "bicubic" (4-D input; bicubic is
    torch's cubic convolution with A = -0.75, border values repeated, so it can overshoot the input's
    range), with align_corners (default False) aligning the corner samples instead of the pixel centres. recompute_scale_factor=True
    uses in / out rather than the given scale_factor. Other modes and antialias=True are not supported.

    Example: ``F.interpolate(mg.randn(1, 3, 8, 8), scale_factor=2, mode="bilinear").shape`` -> (1, 3, 16, 16)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate takes a Tensor, got {type(input).__name__}")
    if mode not in ("nearest", *_INTERPOLATING_MODES):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; minigrad implements 'nearest', "
                                  f"'linear' (3-D input), 'bilinear' and 'bicubic' (4-D input)")
    if mode == "nearest":
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic")
    elif align_corners is None:
        align_corners = False
    else:
        align_corners = _args.flag(align_corners, "interpolate: align_corners")
    spatial = input.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        out_sizes = _spatial_arguments(size, "size", spatial, input.shape, _args.is_int)
        scales = [None] * len(out_sizes)
    else:
        scales = _spatial_arguments(scale_factor, "scale_factor", spatial, input.shape,
                                    _args.is_real)
        scales = [float(s) for s in scales]
        out_sizes = [int(n * s) for n, s in zip(input.shape[2:], scales)]  # truncation, as torch's conversion
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor:
        scales = [None] * len(scales)
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported")
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"interpolate: only 3-D (N, C, L) and 4-D (N, C, H, W) input is supported "
                                  f"(got {input.ndim}-D input of shape {input.shape}) for mode {mode!r}")
    if mode in _INTERPOLATING_MODES and input.ndim != _INTERPOLATING_MODES[mode]:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_INTERPOLATING_MODES[mode]}D input")
    if input.dtype not in backend.FLOAT_DTYPES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not implemented for {input.dtype} input; convert "
                                  f"it with .float() (or .double())")
    if min(input.shape[2:]) <= 0 or min(out_sizes) <= 0:
        names = ("W",) if spatial == 1 else ("H", "W")
        shown = lambda sizes: ", ".join(f"{n}: {s}" for n, s in zip(names, sizes))  # noqa: E731
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({shown(input.shape[2:])}) "
                           f"output ({shown(out_sizes)})")
    op_mode = {"nearest": "nearest", "bicubic": "cubic"}.get(mode, "linear")
    return Interpolate(op_mode, [int(s) for s in out_sizes], scales, bool(align_corners))(input)


_INTERPOLATING_MODES = {"linear": 3, "bilinear": 4, "bicubic": 4}  # the input dims each accepts


def _spatial_arguments(value, name, spatial, shape, accepts):
    """``value`` (one value, or one per spatial dim) as a list of ``spatial`` values, each checked by
    ``accepts``; torch's errors for a wrong count."""
    if isinstance(value, (tuple, list)):
        if len(value) != spatial:
            what, fmt = (("output", "output size of", "output size"), "o") if name == "size" else \
                (("scale_factor", "scale_factor of shape", "scale_factor"), "s")
            raise ValueError(f"Input and {what[0]} must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(shape[2:])} and {what[1]} {tuple(value)}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and {what[2]} in "
                             f"({fmt}1, {fmt}2, ...,{fmt}K) format.")
        values = list(value)
    else:
        values = [value] * spatial
    for v in values:
        if not accepts(v):
            raise TypeError(f"interpolate: {name} must be {'an int' if name == 'size' else 'a number'} or a "
                            f"tuple of {spatial}, got {value!r}")
    return values


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Maximum over the bins that split input (N, C, H, W) or (C, H, W) into output_size (int, or
    (OH, OW) where None keeps that input size): bin i spans [floor(i * H / OH), ceil((i + 1) * H / OH)),
    as torch. The gradient goes to each bin's maximum (the first one; a NaN wins, as max_pool2d).
    return_indices=True also returns the int64 flat positions h * W + w of the maxima in their planes.

    Example: ``F.adaptive_max_pool2d(mg.randn(8, 64, 7, 7), 1).shape`` -> (8, 64, 1, 1)
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"adaptive_max_pool2d takes a Tensor, got {type(input).__name__}")
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                           f"{input.ndim}-D input of shape {input.shape}")
    if input.dtype not in backend.FLOAT_DTYPES:
        raise NotImplementedError(f"adaptive_max_pool2d is not implemented for {input.dtype} input; convert it "
                                  f"with .float() (or .double())")
    if min(input.shape[-3:]) == 0:
        raise RuntimeError(f"adaptive_max_pool2d: the input's non-batch dims must not be empty, got shape "
                           f"{input.shape}")
    if output_size is None or _args.is_int(output_size):
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)):
        raise TypeError(f"adaptive_max_pool2d: output_size must be an int or (OH, OW), got {output_size!r}")
    if len(output_size) != 2:
        raise RuntimeError(f"adaptive_max_pool2d: output_size must be an int or 2 sizes (OH, OW), got {output_size!r}")
    sizes = []
    for wanted, size in zip(output_size, input.shape[-2:]):
        if wanted is not None and not _args.is_int(wanted):
            raise TypeError(f"adaptive_max_pool2d: output_size must hold ints (or None), got {output_size!r}")
        if wanted is not None and wanted < 0:
            raise RuntimeError(f"adaptive_max_pool2d: output_size must be >= 0, got {tuple(output_size)}")
        sizes.append(size if wanted is None else int(wanted))
    image = input if input.ndim == 4 else input.unsqueeze(0)
    indices = Tensor._wrap(adaptive_max_pool2d_indices(image._data, tuple(sizes)), False)
    values = PlaneGather.apply(image, indices)
    if input.ndim == 3:
        values, indices = values.squeeze(0), indices.squeeze(0)
    return (values, indices) if return_indices else values


def _pixel_factor(input, factor, name, what):
    """torch's checks shared by pixel_shuffle and pixel_unshuffle: a Tensor of >= 3 dims and a positive int factor."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name} takes a Tensor, got {type(input).__name__}")
    if not _args.is_int(factor):
        raise TypeError(f"{name}: {what} must be an int, got {factor!r}")
    if input.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {input.ndim} "
                           f"dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")
    return int(factor)


@torch_function
def pixel_shuffle(input, upscale_factor):
    """Rearrange (*, C * r^2, H, W) into (*, C, H * r, W * r), r = upscale_factor: out[..., c, h * r + i,
    w * r + j] = input[..., c * r^2 + i * r + j, h, w] (Shi et al., 2016), as torch. A view-and-permute:
    the gradient is the inverse rearrangement.

    Example: ``F.pixel_shuffle(mg.randn(1, 9, 4, 4), 3).shape`` -> (1, 1, 12, 12)
    """
    r = _pixel_factor(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    *batch, channels, height, width = input.shape
    if channels % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    b = len(batch)
    blocks = input.reshape(*batch, channels // (r * r), r, r, height, width)
    order = tuple(range(b)) + (b, b + 3, b + 1, b + 4, b + 2)  # (C, H, r, W, r)
    return blocks.permute(*order).reshape(*batch, channels // (r * r), height * r, width * r)


@torch_function
def pixel_unshuffle(input, downscale_factor):
    """pixel_shuffle's inverse: (*, C, H * r, W * r) -> (*, C * r^2, H, W), r = downscale_factor, as torch.

    Example: ``F.pixel_unshuffle(mg.randn(1, 1, 12, 12), 3).shape`` -> (1, 9, 4, 4)
    """
    r = _pixel_factor(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    *batch, channels, height, width = input.shape
    for name, axis, size in (("height", -2, height), ("width", -1, width)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({axis})={size} is not divisible by {r}")
    b = len(batch)
    blocks = input.reshape(*batch, channels, height // r, r, width // r, r)
    order = tuple(range(b)) + (b, b + 2, b + 4, b + 1, b + 3)  # (C, r, r, H, W)
    return blocks.permute(*order).reshape(*batch, channels * r * r, height // r, width // r)
