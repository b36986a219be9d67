"""The op table: one entry per differentiable op of minigrad, after PyTorch's OpInfo.

Each ``OpInfo`` names the public call (``op``), an independent float64 NumPy reference (``ref``),
sample inputs (``samples(rng) -> [Sample]``), tolerances per dtype and the errors the op must
raise. tests/test_ops.py runs every entry through the same checks: forward against the reference,
gradcheck in float64, float32 against the reference, strided and negative-stride input against a
contiguous copy, the declared errors; on every device.

A sample's positional arguments: a float ndarray becomes a tensor that requires grad, ``Const(a)`` a
float tensor that does not (running statistics, a loss target), an int or bool ndarray an index or
mask tensor; anything else is passed as it is.

Adding an op: append one ``OpInfo`` (reuse a sample generator), e.g.::

    unary("hardtanh", F.hardtanh, lambda x: np.clip(x, -1, 1), away(-1, 1))
"""
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import minigrad as mg
import minigrad.functional as F
from minigrad.ops.recurrent import GATES, recurrent_layer


class Const:
    """A float input that is data, not a variable: no gradient is checked for it."""

    def __init__(self, array):
        self.array = np.asarray(array, dtype=np.float64)


@dataclass
class Sample:
    """Positional ``args`` and ``kwargs`` for one call. grad=False: forward checks only (NaN/Inf
    input, a kink inside the finite-difference step, a gradient defined to differ from the slope)."""
    args: tuple
    kwargs: dict = field(default_factory=dict)
    name: str = ""
    grad: bool = True


def S(*args, name="", grad=True, **kwargs):
    # NumPy reductions of 0-d arrays give scalars: keep them arrays, so they become tensors
    return Sample(tuple(np.asarray(a) if isinstance(a, np.generic) else a for a in args), kwargs, name, grad)


F32, F64 = "float32", "float64"
DEFAULT_TOL = {F64: (1e-9, 1e-12), F32: (1e-4, 1e-5)}


@dataclass
class OpInfo:
    """``op(*tensors, **kwargs)`` -> Tensor or tuple of Tensors; ``ref(*float64 arrays, **kwargs)`` ->
    array or tuple. ref_takes_output: ``ref(out, *arrays)`` for random ops (dropout), whose reference
    reads the mask off the output. errors: ``(call(t), exception, message regex)``, ``t(*shape,
    dtype="float64")`` a random tensor on the device under test, ``t.index(values)`` an int64 one. xfail: {"<test>" or "<test>-<device>":
    reason} for a known minigrad bug; "<test>-cuda-emu" for a bug of the CPU emulation of CuPy.
    gradgrad=False: the op has no double backward yet (create_graph=True through it must raise)."""
    name: str
    op: Callable
    ref: Callable
    samples: Callable
    dtypes: tuple = (F32, F64)
    tol: dict = field(default_factory=dict)
    differentiable: bool = True
    errors: list = field(default_factory=list)
    ref_takes_output: bool = False
    method: str = None
    xfail: dict = field(default_factory=dict)
    gradgrad: bool = True

    def tolerance(self, dtype):
        return self.tol.get(dtype, DEFAULT_TOL[dtype])


# ---- sample values ---------------------------------------------------------------------------------
def away(*points, margin=0.15, scale=1.5):
    """A sampler of values at least ``margin`` from each kink in ``points`` (default 0)."""
    points = points or (0.0,)

    def draw(rng, shape):
        x = rng.standard_normal(shape) * scale
        for p in points:
            near = np.abs(x - p) < margin
            x = np.where(near, p + np.where(x >= p, margin, -margin) * 2, x)
        return x
    return draw


def integers(lo, hi):
    """Integer samples in [lo, hi) (int64 arrays: tensors without gradient)."""
    return lambda rng, shape: rng.integers(lo, hi, shape)


def nonzero_integers(rng, shape):
    return rng.choice(np.array([-3, -2, -1, 1, 2, 3]), shape)


def uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


smooth = away(margin=0.0)  # any value: the op is smooth everywhere
kinked = away()
positive = uniform(0.3, 3.0)
unit = uniform(-0.9, 0.9)
NONFINITE = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 0.7, -1.3])
UNARY_SHAPES = [(0,), (1,), (0, 3), (3, 1), (2, 3, 4), ()]
BROADCAST_PAIRS = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((2, 3), ()),
                   ((3, 1, 2), (4, 1)), ((0, 3), (3,)), ((1,), (0,)), ((), ())]


def unary_samples(domain, nonfinite=True, **kwargs):
    def samples(rng):
        out = [S(domain(rng, shape), name=f"shape{shape}", **kwargs) for shape in UNARY_SHAPES]
        if nonfinite:
            out.insert(-1, S(NONFINITE.copy(), name="nonfinite", grad=False, **kwargs))
        return out
    return samples


def binary_samples(domain_a, domain_b=None, nonfinite=True, **kwargs):
    domain_b = domain_b or domain_a

    def samples(rng):
        out = [S(domain_a(rng, a), domain_b(rng, b), name=f"{a}x{b}", **kwargs) for a, b in BROADCAST_PAIRS]
        if nonfinite:
            out.append(S(NONFINITE.copy(), NONFINITE[::-1].copy(), name="nonfinite", grad=False, **kwargs))
        return out
    return samples


REDUCTION_SHAPES = [((), {}), ((5,), {}), ((2, 3, 4), {}), ((2, 3, 4), dict(dim=1)),
                    ((2, 3, 4), dict(dim=-1, keepdim=True)), ((2, 3, 4), dict(dim=(0, 2))),
                    ((1, 4), dict(dim=0)), ((0, 3), dict(dim=0))]


def reduction_samples(domain=smooth, shapes=REDUCTION_SHAPES, nonfinite=False, **extra):
    def samples(rng):
        out = [S(domain(rng, shape), name=f"{shape}{kw}", **kw, **extra) for shape, kw in shapes]
        if nonfinite:
            out.append(S(np.array([[1.0, np.nan, 2.0], [np.inf, 0.5, -0.0]]), name="nonfinite", grad=False,
                         **extra))
        return out
    return samples


def distinct(rng, shape):
    """Values whose pairwise gaps exceed a finite-difference step (max, sort, pools pick one entry)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 + rng.uniform(0, 0.1, n) - 0.2 * n).reshape(shape)


def fixed(*samples):
    """A generator from samples built by ``make(rng)`` callables."""
    return lambda rng: [make(rng) for make in samples]


# ---- references ------------------------------------------------------------------------------------
_erf = np.vectorize(math.erf, otypes=[float])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _logsigmoid(x):
    return -np.logaddexp(0, -x)


def _reduce(v, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](v)


def _dims(dim, ndim):
    return tuple(range(ndim)) if dim is None else tuple(d % ndim for d in np.atleast_1d(dim)) if ndim else ()


def ref_reduction(fn):
    """A NumPy reduction with torch's dim/keepdim."""
    def ref(x, dim=None, keepdim=False, **kwargs):
        return fn(x, axis=_dims(dim, x.ndim) if x.ndim else None, keepdims=keepdim, **kwargs)
    return ref


def ref_log_softmax(x, dim):
    if x.ndim == 0 or x.size == 0:
        return np.zeros_like(x)
    return x - np.max(x, dim, keepdims=True) - np.log(np.sum(np.exp(x - np.max(x, dim, keepdims=True)),
                                                             dim, keepdims=True))


def ref_normalize_over(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps)


def _channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def ref_batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    if training:
        y = ref_normalize_over(x, axes, eps)
    else:
        y = (x - _channel(running_mean, x.ndim)) / np.sqrt(_channel(running_var, x.ndim) + eps)
    if weight is not None:
        y = y * _channel(weight, x.ndim)
    return y + _channel(bias, x.ndim) if bias is not None else y


def ref_layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    y = ref_normalize_over(x, tuple(range(x.ndim - len(normalized_shape), x.ndim)), eps)
    return (y * weight if weight is not None else y) + (bias if bias is not None else 0)


def ref_group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    grouped = x.reshape(x.shape[0], num_groups, -1)
    y = ref_normalize_over(grouped, (2,), eps).reshape(x.shape)
    return y * _channel(weight, x.ndim) + _channel(bias, x.ndim) if weight is not None else y


def ref_instance_norm(x, running_mean=None, running_var=None, weight=None, bias=None, eps=1e-5):
    y = ref_normalize_over(x, tuple(range(2, x.ndim)), eps)
    return y * _channel(weight, x.ndim) + _channel(bias, x.ndim) if weight is not None else y


def _ntuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _windows(x, kernel, stride, padding, dilation, fill):
    """x (N, C, *spatial) -> (N, C, *out, *kernel) of the strided, dilated, padded windows."""
    n = len(kernel)
    pad = [(0, 0), (0, 0)] + [(p, p) for p in padding]
    xp = np.pad(x, pad, constant_values=fill)
    out = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(n)]
    result = np.empty(x.shape[:2] + tuple(out) + tuple(kernel))
    for offset in np.ndindex(*kernel):
        index = tuple(slice(o * d, o * d + s * (m - 1) + 1, s)
                      for o, d, s, m in zip(offset, dilation, stride, out))
        result[(Ellipsis,) + offset] = xp[(slice(None), slice(None)) + index]
    return result


def ref_conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    n = x.ndim - 2
    kernel = weight.shape[2:]
    stride, dilation = _ntuple(stride, n), _ntuple(dilation, n)
    if padding == "same":
        total = [d * (k - 1) for d, k in zip(dilation, kernel)]
        left = [t // 2 for t in total]
        x = np.pad(x, [(0, 0), (0, 0)] + [(lo, t - lo) for lo, t in zip(left, total)])
        padding = (0,) * n
    padding = (0,) * n if padding == "valid" else _ntuple(padding, n)
    win = _windows(x, kernel, stride, padding, dilation, 0.0)   # (N, Cin, *out, *k)
    cin, cout = x.shape[1] // groups, weight.shape[0] // groups
    outs = []
    for g in range(groups):
        w = weight[g * cout:(g + 1) * cout]
        xw = win[:, g * cin:(g + 1) * cin]
        outs.append(np.tensordot(xw, w, axes=([1] + list(range(2 + n, 2 + 2 * n)), list(range(1, 2 + n)))))
    y = np.moveaxis(np.concatenate(outs, axis=-1), -1, 1)
    return y + _channel(bias, y.ndim) if bias is not None else y


def ref_conv_transpose(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """A direct scatter: each input entry adds input * weight tap at position * stride + tap * dilation
    of the padded output, whose padding is then cut off."""
    n = weight.ndim - 2
    if x.ndim == n + 1:
        return ref_conv_transpose(x[None], weight, bias, stride, padding, output_padding, groups, dilation)[0]
    kernel = weight.shape[2:]
    stride, padding, extra, dilation = (_ntuple(v, n) for v in (stride, padding, output_padding, dilation))
    cin, cout = x.shape[1] // groups, weight.shape[1]
    out = [(size - 1) * s - 2 * p + d * (k - 1) + e + 1
           for size, s, p, d, k, e in zip(x.shape[2:], stride, padding, dilation, kernel, extra)]
    full = np.zeros((x.shape[0], cout * groups) + tuple(o + 2 * p for o, p in zip(out, padding)))
    for g in range(groups):
        for position in np.ndindex(*x.shape[2:]):
            for tap in np.ndindex(*kernel):
                target = tuple(i * s + t * d for i, t, s, d in zip(position, tap, stride, dilation))
                full[(slice(None), slice(g * cout, (g + 1) * cout)) + target] += \
                    x[(slice(None), slice(g * cin, (g + 1) * cin)) + position] @ weight[(slice(g * cin, (g + 1) * cin),
                                                                                        slice(None)) + tap]
    y = full[(Ellipsis,) + tuple(slice(p, p + o) for p, o in zip(padding, out))]
    return y + _channel(bias, y.ndim) if bias is not None else y


def _block_positions(image_size, kernel_size, dilation, padding, stride):
    """(kernel, dilation, padding, stride, ((row, block index, tap position in the padded image), ...))."""
    kernel, dilation, padding, stride = (_ntuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    counts = [(size + 2 * p - d * (k - 1) - 1) // s + 1
              for size, k, d, p, s in zip(image_size, kernel, dilation, padding, stride)]
    taps = [(i * kernel[1] + j, (a * counts[1] + b), (a * stride[0] + i * dilation[0], b * stride[1] + j * dilation[1]))
            for i, j in np.ndindex(*kernel) for a, b in np.ndindex(*counts)]
    return kernel, padding, taps


def ref_unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    if x.ndim == 3:
        return ref_unfold(x[None], kernel_size, dilation, padding, stride)[0]
    kernel, padding, taps = _block_positions(x.shape[2:], kernel_size, dilation, padding, stride)
    padded = np.pad(x, [(0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2])
    taps_per_channel = kernel[0] * kernel[1]
    out = np.zeros((x.shape[0], x.shape[1] * taps_per_channel, max(t[1] for t in taps) + 1))
    for c in range(x.shape[1]):
        for tap, block, (h, w) in taps:
            out[:, c * taps_per_channel + tap, block] = padded[:, c, h, w]
    return out


def ref_fold(blocks, output_size, kernel_size, dilation=1, padding=0, stride=1):
    if blocks.ndim == 2:
        return ref_fold(blocks[None], output_size, kernel_size, dilation, padding, stride)[0]
    size = _ntuple(output_size, 2)
    kernel, padding, taps = _block_positions(size, kernel_size, dilation, padding, stride)
    taps_per_channel = kernel[0] * kernel[1]
    padded = np.zeros((blocks.shape[0], blocks.shape[1] // taps_per_channel, size[0] + 2 * padding[0],
                       size[1] + 2 * padding[1]))
    for c in range(padded.shape[1]):
        for tap, block, (h, w) in taps:
            padded[:, c, h, w] += blocks[:, c * taps_per_channel + tap, block]
    return padded[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]]


def ref_max_pool(x, kernel_size, stride=None, padding=0, dilation=1):
    n = x.ndim - 2
    kernel = _ntuple(kernel_size, n)
    win = _windows(x, kernel, _ntuple(stride or kernel_size, n), _ntuple(padding, n), _ntuple(dilation, n), -np.inf)
    return win.max(axis=tuple(range(-n, 0)))


def ref_avg_pool(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    n = x.ndim - 2
    kernel, stride, padding = _ntuple(kernel_size, n), _ntuple(stride or kernel_size, n), _ntuple(padding, n)
    axes = tuple(range(-n, 0))
    total = _windows(x, kernel, stride, padding, (1,) * n, 0.0).sum(axis=axes)
    if count_include_pad:
        return total / np.prod(kernel)
    return total / _windows(np.ones_like(x), kernel, stride, padding, (1,) * n, 0.0).sum(axis=axes)


def ref_adaptive_pool(reduce):
    def ref(x, output_size):
        out = _ntuple(output_size, 2)
        H, W = x.shape[-2:]
        result = np.empty(x.shape[:-2] + out)
        for i, j in np.ndindex(*out):
            h0, h1 = (i * H) // out[0], -((-(i + 1) * H) // out[0])
            w0, w1 = (j * W) // out[1], -((-(j + 1) * W) // out[1])
            result[..., i, j] = reduce(x[..., h0:h1, w0:w1], axis=(-2, -1))
        return result
    return ref


def _resample_axis(x, axis, out, mode, align_corners):
    n = x.shape[axis]
    dst = np.arange(out)
    if mode == "nearest":
        return np.take(x, np.minimum(np.floor(dst * n / out).astype(int), n - 1), axis=axis)
    if align_corners:
        src = dst * ((n - 1) / (out - 1)) if out > 1 else np.zeros(out)
    else:
        src = np.maximum((dst + 0.5) * n / out - 0.5, 0)
    i0 = np.minimum(np.floor(src).astype(int), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = (src - i0).reshape((-1,) + (1,) * (x.ndim - 1 - axis % x.ndim))
    return np.take(x, i0, axis=axis) * (1 - lam) + np.take(x, i1, axis=axis) * lam


def ref_interpolate(x, size, mode="nearest", align_corners=None):
    for i, out in enumerate(_ntuple(size, x.ndim - 2)):
        x = _resample_axis(x, 2 + i, out, mode, align_corners)
    return x


def ref_pad(x, pad, mode="constant", value=None):
    """Negative widths crop first (torch's order), then np.pad in the matching mode."""
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    crop = tuple(slice(max(-lo, 0), x.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(widths))
    options = {"constant_values": value or 0} if mode == "constant" else {}
    return np.pad(x[crop], [(max(lo, 0), max(hi, 0)) for lo, hi in widths],
                  mode={"replicate": "edge", "circular": "wrap"}.get(mode, mode), **options)


def _keys_cubic(d, a=-0.75):
    d = np.abs(d)
    return np.where(d <= 1, (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1,
                    np.where(d < 2, a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a, 0.0))


def ref_bicubic(x, size=None, scale_factor=None, align_corners=False):
    """Each output pixel as the 4x4 sum of Keys-weighted taps around its source, taps clamped to the border."""
    (n_in, m_in) = x.shape[2:]
    if size is None:
        factors = (scale_factor,) * 2 if np.isscalar(scale_factor) else scale_factor
        size = tuple(int(d * f) for d, f in zip((n_in, m_in), factors))
    else:
        factors = (None, None)
    out = np.zeros(x.shape[:2] + tuple(size))

    def source(j, n, m, factor):
        if align_corners:
            return j * (n - 1) / (m - 1) if m > 1 else 0.0
        return (j + 0.5) * (1 / factor if factor else n / m) - 0.5

    for i, j in np.ndindex(*size):
        sy, sx = source(i, n_in, size[0], factors[0]), source(j, m_in, size[1], factors[1])
        for ty in range(int(np.floor(sy)) - 1, int(np.floor(sy)) + 3):
            for tx in range(int(np.floor(sx)) - 1, int(np.floor(sx)) + 3):
                out[:, :, i, j] += (_keys_cubic(sy - ty) * _keys_cubic(sx - tx)
                                    * x[:, :, min(max(ty, 0), n_in - 1), min(max(tx, 0), m_in - 1)])
    return out


def ref_pixel_shuffle(x, r):
    """out[..., c, h * r + i, w * r + j] = x[..., c * r^2 + i * r + j, h, w], entry by entry."""
    *batch, channels, height, width = x.shape
    out = np.empty((*batch, channels // (r * r), height * r, width * r))
    for c, i, j in np.ndindex(channels // (r * r), r, r):
        out[..., c, i::r, j::r] = x[..., c * r * r + i * r + j, :, :]
    return out


def ref_pixel_unshuffle(x, r):
    *batch, channels, height, width = x.shape
    out = np.empty((*batch, channels * r * r, height // r, width // r))
    for c, i, j in np.ndindex(channels, r, r):
        out[..., c * r * r + i * r + j, :, :] = x[..., c, i::r, j::r]
    return out


def ref_cross_entropy(logits, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    C = logits.shape[1]
    logp = np.moveaxis(ref_log_softmax(logits, 1), 1, -1)          # (N, *d, C)
    w = np.ones(C) if weight is None else weight
    if target.dtype.kind == "f":                                   # class probabilities
        target = np.moveaxis(target, 1, -1) * (1 - label_smoothing) + label_smoothing / C
        loss = -(logp * target * w).sum(-1)
        return loss.mean() if reduction == "mean" else _reduce(loss, reduction)
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    picked = np.take_along_axis(logp, safe[..., None], -1)[..., 0]
    wt = np.where(keep, w[safe], 0.0)
    nll = -wt * picked
    smooth = -np.where(keep, (logp * w).sum(-1), 0.0)
    if reduction == "mean":
        return ((1 - label_smoothing) * nll.sum() + label_smoothing / C * smooth.sum()) / wt.sum()
    return _reduce((1 - label_smoothing) * nll + label_smoothing / C * smooth, reduction)


def ref_nll_loss(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    w = np.ones(logp.shape[1]) if weight is None else weight
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    picked = np.take_along_axis(np.moveaxis(logp, 1, -1), safe[..., None], -1)[..., 0]
    wt = np.where(keep, w[safe], 0.0)
    loss = -wt * picked
    return loss.sum() / wt.sum() if reduction == "mean" else _reduce(loss, reduction)


def ref_kl_div(inp, target, reduction="mean", log_target=False):
    if log_target:
        loss = np.exp(target) * (target - inp)
    else:
        loss = np.where(target > 0, target * (np.log(np.where(target > 0, target, 1)) - inp), 0.0)
    return loss.sum() / inp.shape[0] if reduction == "batchmean" else _reduce(loss, reduction)


def ref_bce(p, y, weight=None, reduction="mean"):
    loss = -(y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100))
    return _reduce(loss * (1 if weight is None else weight), reduction)


def ref_bce_logits(x, y, weight=None, reduction="mean", pos_weight=None):
    pw = 1 if pos_weight is None else pos_weight
    loss = -(pw * y * _logsigmoid(x) + (1 - y) * _logsigmoid(-x))
    return _reduce(loss * (1 if weight is None else weight), reduction)


def ref_arg(fn):
    """np.argmax or np.argmin over ``dim`` with torch's empty result where another dim is 0."""
    def ref(x, dim, keepdim=False):
        if x.size:
            return fn(x, dim, keepdims=keepdim)
        kept = np.zeros(x.shape[:dim] + (1,) + x.shape[dim + 1:], np.int64)
        return kept if keepdim else kept.squeeze(dim)
    return ref


def _norm(x, p, dim, keepdim=True):
    return np.sum(np.abs(x) ** p, axis=dim, keepdims=keepdim) ** (1 / p)



# ---- the table ------------------------------------------------------------------------------------
def unary(name, op, ref, domain=smooth, nonfinite=True, method=None, **info):
    return OpInfo(name, op, ref, unary_samples(domain, nonfinite), method=method, **info)


def elementwise(name, ref, domain=smooth, **info):
    """An mg.<name> function that is also a Tensor method."""
    return unary(name, getattr(mg, name), ref, domain, method=name, **info)


def binary(name, op, ref, domain_a=smooth, domain_b=None, nonfinite=True, **info):
    return OpInfo(name, op, ref, binary_samples(domain_a, domain_b, nonfinite), **info)


def reduction(name, ref, domain=smooth, shapes=REDUCTION_SHAPES, function=None, **info):
    """mg.<function or name>, also a Tensor method, with torch's dim and keepdim."""
    function = function or name
    return OpInfo(name, getattr(mg, function), ref_reduction(ref), reduction_samples(domain, shapes), method=function,
                  **info)


def _round_half_even(x):
    return np.round(x)


def bad_dim(op):
    return (lambda t: op(t(2, 3), dim=2), IndexError, "[Dd]imension out of range|dim")


def gx(x):
    """Half-integers are kinks of floor/ceil/round: draw values a quarter away from them."""
    return np.floor(x) + 0.3 + 0.4 * (np.abs(x) % 1 > 0.5)


ELEMENTWISE = [
    elementwise("abs", np.abs, kinked),
    elementwise("neg", np.negative),
    elementwise("exp", np.exp),
    elementwise("exp2", np.exp2),
    elementwise("expm1", np.expm1),
    elementwise("log", np.log, positive),
    elementwise("log2", np.log2, positive),
    elementwise("log10", np.log10, positive),
    elementwise("log1p", np.log1p, uniform(-0.7, 3)),
    elementwise("sqrt", np.sqrt, positive),
    elementwise("rsqrt", lambda x: 1 / np.sqrt(x), positive),
    elementwise("reciprocal", np.reciprocal, away(margin=0.3)),
    elementwise("square", np.square),
    elementwise("sin", np.sin),
    elementwise("cos", np.cos),
    elementwise("tanh", np.tanh),
    elementwise("sinh", np.sinh),
    elementwise("cosh", np.cosh),
    elementwise("sigmoid", _sigmoid),
    elementwise("relu", lambda x: np.maximum(x, 0), kinked),
    elementwise("erf", _erf),
    elementwise("sign", lambda x: np.sign(np.nan_to_num(x)), kinked),  # sign(NaN) = 0, as torch
    elementwise("floor", np.floor, lambda rng, s: gx(rng.standard_normal(s) * 3)),
    elementwise("ceil", np.ceil, lambda rng, s: gx(rng.standard_normal(s) * 3)),
    elementwise("round", _round_half_even, lambda rng, s: gx(rng.standard_normal(s) * 3) - 0.5),
    elementwise("trunc", np.trunc, lambda rng, s: gx(rng.standard_normal(s) * 3)),
    elementwise("frac", lambda x: x - np.trunc(x), lambda rng, s: gx(rng.standard_normal(s) * 3)),
    unary("clamp", lambda x: mg.clamp(x, -0.5, 0.8), lambda x: np.clip(x, -0.5, 0.8), away(-0.5, 0.8),
          errors=[(lambda t: mg.clamp(t(3)), (ValueError, TypeError), "min|max")]),
    unary("clamp_min", lambda x: x.clamp(min=0.3), lambda x: np.maximum(x, 0.3), away(0.3)),
    unary("nan_to_num", lambda x: mg.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-9.0),
          lambda x: np.nan_to_num(x, nan=0.5, posinf=9.0, neginf=-9.0)),
    unary("pow_scalar", lambda x: x ** 3, lambda x: x ** 3),
    unary("pow_fractional", lambda x: mg.pow(x, 0.5), lambda x: x ** 0.5, positive),
    unary("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x),
    binary("add", mg.add, np.add),
    binary("sub", mg.sub, np.subtract),
    binary("mul", mg.mul, np.multiply),
    binary("div", mg.div, np.divide, smooth, away(margin=0.4)),
    binary("pow", mg.pow, np.power, positive, smooth),
    binary("maximum", mg.maximum, np.maximum, distinct, lambda rng, s: distinct(rng, s) + 0.11),
    binary("minimum", mg.minimum, np.minimum, distinct, lambda rng, s: distinct(rng, s) + 0.11),
    OpInfo("lerp", mg.lerp, lambda a, b, w: a + w * (b - a), fixed(
        lambda rng: S(rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), rng.uniform(0, 1, (3,))),
        lambda rng: S(rng.standard_normal(4), rng.standard_normal((2, 1)), rng.uniform(0, 1, ())),
    )),
    OpInfo("lerp_scalar", lambda a, b: mg.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a),
           binary_samples(smooth)),
    OpInfo("where", lambda c, a, b: mg.where(c, a, b), lambda c, a, b: np.where(c, a, b), fixed(
        lambda rng: S(rng.standard_normal((2, 3)) > 0, rng.standard_normal((2, 3)), rng.standard_normal((2, 3))),
        lambda rng: S(rng.standard_normal((3,)) > 0, rng.standard_normal((2, 1)), rng.standard_normal(())),
        lambda rng: S(np.zeros((0, 2), bool), rng.standard_normal((0, 2)), rng.standard_normal(2)),
    )),
    OpInfo("masked_fill", lambda x, m: x.masked_fill(m, -2.0), lambda x, m: np.where(m, -2.0, x), fixed(
        lambda rng: S(rng.standard_normal((3, 4)), rng.standard_normal((3, 4)) > 0),
        lambda rng: S(rng.standard_normal((3, 4)), rng.standard_normal((4,)) > 0),
        lambda rng: S(rng.standard_normal(()), np.array(True)),
    )),
    OpInfo("masked_fill(tensor value)", lambda x, m, v: x.masked_fill(m, v), lambda x, m, v: np.where(m, v, x), fixed(
        lambda rng: S(rng.standard_normal((3, 4)), np.array([True, False, True, True]), np.array(rng.standard_normal())),
        lambda rng: S(rng.standard_normal(()), np.array(True), np.array(rng.standard_normal())),
    )),
]

ACTIVATIONS = [
    unary("F.relu", F.relu, lambda x: np.maximum(x, 0), kinked),
    unary("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x), kinked),
    unary("elu", lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(x)), kinked),
    unary("gelu", F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    unary("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
          lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))),
          errors=[(lambda t: F.gelu(t(3), approximate="erf"), ValueError, "approximate")]),
    unary("F.sigmoid", F.sigmoid, _sigmoid),
    unary("F.tanh", F.tanh, np.tanh),
    unary("silu", F.silu, lambda x: x * _sigmoid(x)),
    unary("mish", F.mish, lambda x: x * np.tanh(np.logaddexp(0, x))),
    unary("hardtanh", F.hardtanh, lambda x: np.clip(x, -1, 1), away(-1, 1),
          errors=[(lambda t: F.hardtanh(t(3), 1.0, -1.0), ValueError, "min_val \\(1.0\\) cannot be greater"),
                  (lambda t: F.hardtanh(t(3), "a"), TypeError, "hardtanh: min_val must be a number"),
                  (lambda t: F.hardtanh(t.index([1, 2]) > 1), TypeError, "hardtanh: bool inputs are not supported")]),
    OpInfo("hardtanh_bounds", lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: np.clip(x, -0.5, 2.0),
           unary_samples(away(-0.5, 2.0))),
    unary("softsign", F.softsign, lambda x: x / (1 + np.abs(x)),
          errors=[(lambda t: F.softsign(t.index([1, 2]) > 1), TypeError, "softsign needs a float32 or float64 tensor, got bool")]),
    unary("hardswish", F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6, away(-3, 0, 3, scale=3)),
    unary("softplus", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
          lambda x: np.where(2 * x > 3, x, np.logaddexp(0, 2 * x) / 2), away(1.5, scale=2)),
    unary("logsigmoid", F.logsigmoid, _logsigmoid),
    OpInfo("softmax", F.softmax, lambda x, dim: np.exp(ref_log_softmax(x, dim)),
           reduction_samples(shapes=[((), dict(dim=0)), ((5,), dict(dim=0)), ((2, 3, 4), dict(dim=1)),
                                     ((2, 3, 4), dict(dim=-1)), ((1, 4), dict(dim=0)), ((0, 3), dict(dim=1)),
                                     ((0, 3), dict(dim=0)), ((0,), dict(dim=0))],
                             nonfinite=False), method="softmax", errors=[bad_dim(F.softmax)]),
    OpInfo("log_softmax", F.log_softmax, ref_log_softmax,
           reduction_samples(shapes=[((), dict(dim=0)), ((5,), dict(dim=0)), ((2, 3, 4), dict(dim=1)),
                                     ((2, 3, 4), dict(dim=0)), ((3, 1), dict(dim=1)), ((0, 3), dict(dim=1)),
                                     ((3, 0), dict(dim=0)), ((0,), dict(dim=0))]),
           method="log_softmax", errors=[bad_dim(F.log_softmax)]),
    OpInfo("softmin", F.softmin, lambda x, dim: np.exp(ref_log_softmax(-x, dim)),
           reduction_samples(shapes=[((4,), dict(dim=0)), ((2, 3, 4), dict(dim=1)), ((3, 0), dict(dim=1)),
                                     ((0,), dict(dim=0))])),
    OpInfo("logsumexp", mg.logsumexp,
           lambda x, dim, keepdim=False: np.log(np.sum(np.exp(x), axis=dim, keepdims=keepdim)),
           reduction_samples(shapes=[((5,), dict(dim=0)), ((2, 3, 4), dict(dim=1)),
                                     ((2, 3, 4), dict(dim=-1, keepdim=True))]), method="logsumexp"),
]

REDUCTIONS = [
    reduction("sum", np.sum, errors=[bad_dim(mg.sum)]),
    reduction("mean", np.mean, shapes=[s for s in REDUCTION_SHAPES if 0 not in s[0]]),
    reduction("prod", np.prod, uniform(0.5, 1.5), shapes=[s for s in REDUCTION_SHAPES if 0 not in s[0]]),
    reduction("prod_empty", np.prod, shapes=[((0, 3), dict(dim=0)), ((0, 3), dict(dim=1)), ((0, 3), {})],
              function="prod"),
    reduction("amax", np.amax, distinct, shapes=[s for s in REDUCTION_SHAPES if 0 not in s[0]]),
    reduction("amin", np.amin, distinct, shapes=[s for s in REDUCTION_SHAPES if 0 not in s[0]]),
    OpInfo("std", mg.std, ref_reduction(lambda x, **k: np.std(x, ddof=1, **k)),
           reduction_samples(shapes=[((5,), {}), ((2, 3, 4), dict(dim=1)), ((2, 3, 4), dict(dim=(0, 2)))]),
           method="std"),
    OpInfo("var", mg.var, ref_reduction(lambda x, **k: np.var(x, ddof=1, **k)),
           reduction_samples(shapes=[((5,), {}), ((2, 3, 4), dict(dim=1, keepdim=True)),
                                     ((2, 3, 4), dict(dim=-1))]), method="var"),
    OpInfo("var_correction0", lambda x, dim: mg.var(x, dim, correction=0),
           lambda x, dim: np.var(x, axis=dim), reduction_samples(shapes=[((2, 3, 4), dict(dim=2))])),
    OpInfo("max", mg.max, lambda x: np.max(x), reduction_samples(distinct, [((5,), {}), ((2, 3), {})]),
           method="max"),
    OpInfo("max_dim", lambda x, dim: mg.max(x, dim), lambda x, dim: (np.max(x, dim), ref_arg(np.argmax)(x, dim)),
           reduction_samples(distinct, [((4,), dict(dim=0)), ((2, 3, 4), dict(dim=1)), ((0, 3), dict(dim=1))]),
           errors=[(lambda t: mg.max(t(0, 3), 0), IndexError, "max\\(\\): expected reduction dim 0 to have non-zero size")]),
    OpInfo("min_dim", lambda x, dim: mg.min(x, dim, keepdim=True),
           lambda x, dim: (np.min(x, dim, keepdims=True), ref_arg(np.argmin)(x, dim, keepdim=True)),
           reduction_samples(distinct, [((4,), dict(dim=0)), ((2, 3, 4), dict(dim=2)), ((3, 0), dict(dim=0))]),
           errors=[(lambda t: mg.min(t(3, 0), 1), IndexError, "min\\(\\): expected reduction dim 1 to have non-zero size")]),
    OpInfo("norm", mg.norm, lambda x, dim=None, keepdim=False: _norm(x, 2, dim, keepdim) if dim is not None
           else np.sqrt(np.sum(x ** 2)),
           reduction_samples(kinked, [((5,), {}), ((2, 3, 4), dict(dim=1)), ((2, 3), dict(dim=0, keepdim=True))]),
           method="norm"),
    OpInfo("norm_p1", lambda x, dim: mg.norm(x, p=1, dim=dim), lambda x, dim: np.abs(x).sum(dim),
           reduction_samples(kinked, [((2, 3, 4), dict(dim=1))])),
    OpInfo("norm_p0", lambda x, dim: mg.norm(x, p=0, dim=dim), lambda x, dim: (x != 0).sum(dim).astype(np.float64),
           reduction_samples(kinked, [((2, 3, 4), dict(dim=1)), ((0, 3), dict(dim=1))])),
    OpInfo("norm_p3", lambda x: x.norm(p=3), lambda x: np.sum(np.abs(x) ** 3) ** (1 / 3),
           reduction_samples(kinked, [((2, 3), {})])),
    OpInfo("cumsum", mg.cumsum, lambda x, dim: np.cumsum(x, dim),
           reduction_samples(shapes=[((5,), dict(dim=0)), ((2, 3, 4), dict(dim=1)), ((0, 3), dict(dim=1))]),
           method="cumsum"),
    OpInfo("cumprod", mg.cumprod, lambda x, dim: np.cumprod(x, dim),
           reduction_samples(uniform(0.5, 1.5), [((5,), dict(dim=0)), ((2, 3, 4), dict(dim=-1))]),
           method="cumprod"),
]


def _shape_op(name, op, ref, shape=(2, 3, 4), domain=smooth):
    return OpInfo(name, op, ref, fixed(lambda rng: S(domain(rng, shape))))


def _split_ref(x, sizes, dim):
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=dim))


SHAPE = [
    OpInfo("reshape", lambda x, s: x.reshape(s), lambda x, s: x.reshape(s), fixed(
        lambda rng: S(rng.standard_normal((2, 3, 4)), (4, -1)),
        lambda rng: S(rng.standard_normal(()), (1, 1)),
        lambda rng: S(rng.standard_normal((0, 3)), (3, 0))),
        errors=[(lambda t: t(2, 3).reshape(4, 2), (ValueError, RuntimeError), "shape|size")]),
    _shape_op("flatten", lambda x: x.flatten(1), lambda x: x.reshape(2, -1)),
    _shape_op("unsqueeze", lambda x: x.unsqueeze(-2), lambda x: np.expand_dims(x, -2)),
    _shape_op("squeeze", lambda x: x.squeeze(), lambda x: np.squeeze(x), (3, 1, 2, 1)),
    _shape_op("squeeze_dim", lambda x: x.squeeze(1), lambda x: np.squeeze(x, 1), (3, 1, 2, 1)),
    _shape_op("permute", lambda x: x.permute(2, 0, 1), lambda x: np.transpose(x, (2, 0, 1))),
    _shape_op("transpose", lambda x: x.transpose(0, 2), lambda x: np.swapaxes(x, 0, 2)),
    _shape_op("t", lambda x: x.t(), lambda x: x.T, (3, 4)),
    _shape_op("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2)),
    _shape_op("movedim", lambda x: mg.movedim(x, 0, -1), lambda x: np.moveaxis(x, 0, -1)),
    _shape_op("expand", lambda x: x.expand(2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)), (3, 1)),
    _shape_op("broadcast_to", lambda x: mg.broadcast_to(x, (2, 3, 4)), lambda x: np.broadcast_to(x, (2, 3, 4)), (4,)),
    _shape_op("repeat", lambda x: x.repeat(2, 1, 3), lambda x: np.tile(x, (2, 1, 3)), (3, 2)),
    _shape_op("repeat_interleave", lambda x: mg.repeat_interleave(x, 2, dim=1), lambda x: np.repeat(x, 2, 1), (2, 3)),
    _shape_op("flip", lambda x: x.flip(0, 2), lambda x: np.flip(x, (0, 2))),
    _shape_op("roll", lambda x: mg.roll(x, 2, 1), lambda x: np.roll(x, 2, 1)),
    _shape_op("narrow", lambda x: x.narrow(2, 1, 2), lambda x: x[:, :, 1:3]),
    _shape_op("tril", lambda x: x.tril(-1), lambda x: np.tril(x, -1), (4, 5)),
    _shape_op("triu", lambda x: mg.triu(x, 1), lambda x: np.triu(x, 1), (2, 4, 3)),
    _shape_op("diag", lambda x: x.diag(), lambda x: np.diag(x), (4, 4)),
    _shape_op("diag_vector", lambda x: mg.diag(x, 1), lambda x: np.diag(x, 1), (3,)),
    _shape_op("trace", lambda x: x.trace(), lambda x: np.trace(x), (3, 4)),
    _shape_op("chunk", lambda x: x.chunk(2, 2), lambda x: (x[..., :2], x[..., 2:]), (2, 3, 4)),
    _shape_op("split", lambda x: x.split([1, 3], 2), lambda x: _split_ref(x, [1, 3], 2)),
    _shape_op("unbind", lambda x: x.unbind(1), lambda x: tuple(np.moveaxis(x, 1, 0))),
    _shape_op("clone", lambda x: x.clone(), lambda x: x),
    OpInfo("cat", lambda a, b, dim: mg.cat([a, b], dim), lambda a, b, dim: np.concatenate([a, b], dim), fixed(
        lambda rng: S(rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), 0),
        lambda rng: S(rng.standard_normal((2, 3)), rng.standard_normal((2, 1)), -1),
        lambda rng: S(rng.standard_normal((0, 3)), rng.standard_normal((2, 3)), 0)),
        errors=[(lambda t: mg.cat([t(2, 3), t(2, 4)], 0), (ValueError, RuntimeError), "size|shape")]),
    OpInfo("stack", lambda a, b, dim: mg.stack([a, b], dim), lambda a, b, dim: np.stack([a, b], dim), fixed(
        lambda rng: S(rng.standard_normal((2, 3)), rng.standard_normal((2, 3)), 1),
        lambda rng: S(rng.standard_normal(()), rng.standard_normal(()), 0)),
        errors=[(lambda t: mg.stack([t(2, 3), t(3, 2)]), (ValueError, RuntimeError), "size|shape")]),
]


def _getitem(index, ref=None):
    """x[index] on (4, 5, 3); ``ref``: NumPy's form where NumPy's rule differs from torch's."""
    return OpInfo(f"getitem{index}".replace(" ", ""), lambda x: x[index], ref or (lambda x: x[index]),
                  fixed(lambda rng: S(rng.standard_normal((4, 5, 3)))))


def _perm_index(rng, shape, dim, n):
    """An index (shape with dim n) of distinct positions along dim, so scatter has no collisions."""
    index = np.stack([rng.permutation(shape[dim])[:n] for _ in range(int(np.prod(shape)) // shape[dim])], -1)
    return np.moveaxis(index.reshape((n,) + tuple(s for i, s in enumerate(shape) if i != dim)), 0, dim)


def _scatter_ref(x, dim, index, src, add):
    out = x.copy()
    for pos in np.ndindex(*index.shape):
        target = list(pos)
        target[dim] = index[pos]
        if add:
            out[tuple(target)] += src[pos]
        else:
            out[tuple(target)] = src[pos]
    return out


INDEXING = [
    _getitem((1,)), _getitem((slice(None), 2)), _getitem((slice(1, None, 2), Ellipsis, slice(None, None, -1))),
    _getitem((None, -1, slice(4, 0, -2))), _getitem((np.array([0, 2, 2]),)),
    _getitem((slice(None), np.array([[1, 0], [4, 4]]))), _getitem((np.array([True, False, True, True]),)),
    # torch selects with an int first: the index arrays' dims stay in place (NumPy moves them to the front)
    _getitem((0, slice(None), np.array([2, 0, 2])), lambda x: x[0][:, [2, 0, 2]]),
    _getitem((1, slice(1, None), np.array([True, False, True])), lambda x: x[1, 1:][:, [0, 2]]),
    OpInfo("gather", lambda x, dim, i: mg.gather(x, dim, i), lambda x, dim, i: np.take_along_axis(x, i, dim), fixed(
        lambda rng: S(rng.standard_normal((3, 4)), 1, rng.integers(0, 4, (3, 6))),
        lambda rng: S(rng.standard_normal((3, 4)), 0, rng.integers(0, 3, (2, 4)))),
        errors=[(lambda t: mg.gather(t(3, 4), 1, t.index([[7]])), (IndexError, RuntimeError), "out of bounds|range")]),
    OpInfo("take_along_dim", lambda x, i, dim: mg.take_along_dim(x, i, dim),
           lambda x, i, dim: np.take_along_axis(x, i, dim),
           fixed(lambda rng: S(rng.standard_normal((3, 4)), rng.integers(0, 4, (3, 2)), 1))),
    OpInfo("index_select", lambda x, dim, i: mg.index_select(x, dim, i), lambda x, dim, i: np.take(x, i, dim), fixed(
        lambda rng: S(rng.standard_normal((3, 4)), 1, np.array([3, 0, 3])),
        lambda rng: S(rng.standard_normal((3, 4)), 0, np.array([], dtype=np.int64)))),
    OpInfo("masked_select", lambda x, m: mg.masked_select(x, m), lambda x, m: np.broadcast_to(x, m.shape)[m]
           if m.ndim >= x.ndim else x[np.broadcast_to(m, x.shape)], fixed(
        lambda rng: S(rng.standard_normal((3, 4)), rng.standard_normal((3, 4)) > 0),
        lambda rng: S(rng.standard_normal((3, 4)), rng.standard_normal(4) > 0))),
    OpInfo("scatter", lambda x, dim, i, src: mg.scatter(x, dim, i, src),
           lambda x, dim, i, src: _scatter_ref(x, dim, i, src, False), fixed(
               lambda rng: S(rng.standard_normal((3, 5)), 1, _perm_index(rng, (3, 5), 1, 2), rng.standard_normal((3, 2))),
               lambda rng: S(rng.standard_normal((4, 2)), 0, _perm_index(rng, (4, 2), 0, 3), rng.standard_normal((3, 2))))),
    OpInfo("scatter_add", lambda x, dim, i, src: mg.scatter_add(x, dim, i, src),
           lambda x, dim, i, src: _scatter_ref(x, dim, i, src, True), fixed(
               lambda rng: S(rng.standard_normal((3, 5)), 1, rng.integers(0, 5, (3, 4)), rng.standard_normal((3, 4))))),
    OpInfo("sort", lambda x, dim, descending: mg.sort(x, dim, descending)[0],
           lambda x, dim, descending: np.flip(np.sort(x, dim), dim) if descending else np.sort(x, dim), fixed(
               lambda rng: S(distinct(rng, (3, 5)), 1, False), lambda rng: S(distinct(rng, (4, 2)), 0, True))),
    OpInfo("topk", lambda x: mg.topk(x, 2, dim=1)[0], lambda x: -np.sort(-x, 1)[:, :2],
           fixed(lambda rng: S(distinct(rng, (3, 5))))),
]

LINEAR = [
    OpInfo("matmul", mg.matmul, np.matmul, fixed(*[
        (lambda a, b: lambda rng: S(rng.standard_normal(a), rng.standard_normal(b), name=f"{a}@{b}"))(a, b)
        for a, b in [((3, 4), (4, 2)), ((4,), (4,)), ((4,), (4, 2)), ((3, 4), (4,)), ((2, 3, 4), (4, 2)),
                     ((2, 1, 3, 4), (3, 4, 2)), ((0, 4), (4, 2)), ((3, 0), (0, 2))]]),
        errors=[(lambda t: mg.matmul(t(3, 4), t(3, 4)), (ValueError, RuntimeError), "shape|size|match")]),
    OpInfo("mm", mg.mm, np.matmul, fixed(lambda rng: S(rng.standard_normal((3, 4)), rng.standard_normal((4, 2)))),
           method="mm",
           errors=[(lambda t: mg.mm(t(2, 3, 4), t(4, 2)), (ValueError, RuntimeError), "2-D|2D|matri"),
                   (lambda t: t(2, 3).mm(t(3, 2, 1)), (ValueError, RuntimeError), "2-D|2D|matri"),
                   (lambda t: t(2, 3).mm(t(4, 2)), (ValueError, RuntimeError), r"cannot be multiplied \(2x3 and 4x2\)")]),
    OpInfo("bmm", mg.bmm, np.matmul, fixed(lambda rng: S(rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 2)))),
           method="bmm",
           errors=[(lambda t: mg.bmm(t(3, 4), t(4, 2)), (ValueError, RuntimeError), "3-D|3D|batch"),
                   (lambda t: t(2, 2, 3).bmm(t(3, 3, 2)), (ValueError, RuntimeError), "batch sizes differ"),
                   (lambda t: t(2, 2, 3).bmm(t(2, 4, 2)), (ValueError, RuntimeError), "cannot be multiplied")]),
    OpInfo("addmm", lambda c, a, b: mg.addmm(c, a, b, beta=0.5, alpha=2.0),
           lambda c, a, b: 0.5 * c + 2.0 * a @ b, fixed(
               lambda rng: S(rng.standard_normal((3, 2)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))),
               lambda rng: S(rng.standard_normal((2,)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))))),
    OpInfo("dot", mg.dot, np.dot, fixed(lambda rng: S(rng.standard_normal(5), rng.standard_normal(5)))),
    OpInfo("outer", mg.outer, np.outer, fixed(lambda rng: S(rng.standard_normal(3), rng.standard_normal(4)))),
    OpInfo("linear", F.linear, lambda x, w, b=None: x @ w.T + (0 if b is None else b), fixed(
        lambda rng: S(rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)),
        lambda rng: S(rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4))),
        lambda rng: S(rng.standard_normal(4), rng.standard_normal((2, 4)), rng.standard_normal(2)),
        lambda rng: S(rng.standard_normal((0, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)),
        lambda rng: S(rng.standard_normal((3, 0)), rng.standard_normal((2, 0)), rng.standard_normal(2), name="in=0"),
        lambda rng: S(rng.standard_normal((2, 3, 4)), rng.standard_normal((0, 4)), rng.standard_normal(0), name="out=0")),
        errors=[(lambda t: F.linear(t(3, 4), t(2, 5)), (ValueError, RuntimeError), "shape|size|match")]),
]


def _pair(name, op, ref, a_domain=smooth, b_domain=smooth, shapes=((3, 4), (5,), ()), reductions=("mean", "sum", "none"),
          **info):
    """A loss of (input, target) over a few shapes and every reduction; target is data."""
    def samples(rng):
        return [S(a_domain(rng, s), Const(b_domain(rng, s)), reduction=r, name=f"{s}-{r}")
                for s in shapes for r in reductions]
    return OpInfo(name, op, ref, samples, **info)


def _prob_target(rng, s):
    return rng.uniform(0, 1, s)


def _logits_target(rng, shape, C, ignore=False):
    target = rng.integers(0, C, (shape[0],) + shape[2:])
    if ignore:
        target.flat[0] = -100
    return target


def _bad_reduction(op):
    return (lambda t: op(t(3), t(3), reduction="avg"), ValueError, "reduction")


LOSSES = [
    _pair("mse_loss", F.mse_loss, lambda a, b, reduction: _reduce((a - b) ** 2, reduction),
          errors=[_bad_reduction(F.mse_loss)]),
    _pair("l1_loss", F.l1_loss, lambda a, b, reduction: _reduce(np.abs(a - b), reduction),
          lambda rng, s: rng.standard_normal(s) + 0.5 * np.sign(rng.standard_normal(s)), lambda rng, s: np.zeros(s),
          errors=[_bad_reduction(F.l1_loss)]),
    _pair("huber_loss", lambda a, b, reduction: F.huber_loss(a, b, reduction, delta=0.7),
          lambda a, b, reduction: _reduce(np.where(np.abs(a - b) < 0.7, 0.5 * (a - b) ** 2,
                                                   0.7 * (np.abs(a - b) - 0.35)), reduction),
          away(-0.7, 0.7, scale=1.5), lambda rng, s: np.zeros(s)),
    _pair("smooth_l1_loss", lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.5),
          lambda a, b, reduction: _reduce(np.where(np.abs(a - b) < 0.5, 0.5 * (a - b) ** 2 / 0.5,
                                                   np.abs(a - b) - 0.25), reduction),
          away(-0.5, 0.5, scale=1.5), lambda rng, s: np.zeros(s)),
    _pair("binary_cross_entropy", F.binary_cross_entropy, ref_bce, uniform(0.05, 0.95), _prob_target,
          errors=[(lambda t: F.binary_cross_entropy(t(3), t(4)), (ValueError, RuntimeError), "size|shape")]),
    # the weighted entries differentiate the target too (torch gives it a gradient)
    OpInfo("binary_cross_entropy_weighted", F.binary_cross_entropy, ref_bce, fixed(
        lambda rng: S(rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4)), Const(rng.uniform(0.5, 2, 4))))),
    _pair("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, ref_bce_logits, smooth, _prob_target),
    OpInfo("binary_cross_entropy_with_logits_weights", lambda x, y, w, pw: F.binary_cross_entropy_with_logits(
        x, y, w, pos_weight=pw), lambda x, y, w, pw: ref_bce_logits(x, y, w, pos_weight=pw), fixed(
        lambda rng: S(rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4)), Const(rng.uniform(0.5, 2, 4)),
                      Const(rng.uniform(0.5, 3, 4))))),
    OpInfo("cross_entropy", F.cross_entropy, ref_cross_entropy, fixed(
        lambda rng: S(rng.standard_normal((4, 5)), _logits_target(rng, (4, 5), 5), name="basic"),
        lambda rng: S(rng.standard_normal((4, 5)), _logits_target(rng, (4, 5), 5), reduction="sum"),
        lambda rng: S(rng.standard_normal((2, 5, 3)), _logits_target(rng, (2, 5, 3), 5, True), reduction="none"),
        lambda rng: S(rng.standard_normal((2, 5, 3)), _logits_target(rng, (2, 5, 3), 5, True),
                      Const(rng.uniform(0.5, 2, 5)), label_smoothing=0.1),
        lambda rng: S(rng.standard_normal((4, 3)), _logits_target(rng, (4, 3), 3), label_smoothing=0.2,
                      reduction="sum"),
        lambda rng: S(rng.standard_normal((4, 3)), Const(rng.dirichlet(np.ones(3), 4)), name="probabilities"),
        lambda rng: S(rng.standard_normal((4, 3)), Const(rng.dirichlet(np.ones(3), 4)), label_smoothing=0.3,
                      reduction="sum", name="probabilities-smoothed")),
        errors=[(lambda t: F.cross_entropy(t(4, 3), t.index([0, 1, 2])), (ValueError, RuntimeError), "size|shape|batch"),
                (lambda t: F.cross_entropy(t(4, 3), t.index([0, 1, 2, 1]), label_smoothing=1.5), ValueError,
                 "label_smoothing")]),
    OpInfo("nll_loss", F.nll_loss, ref_nll_loss, fixed(
        lambda rng: S(rng.standard_normal((4, 5)), _logits_target(rng, (4, 5), 5)),
        lambda rng: S(rng.standard_normal((4, 5)), _logits_target(rng, (4, 5), 5, True), Const(rng.uniform(0.5, 2, 5)),
                      reduction="sum"),
        lambda rng: S(rng.standard_normal((2, 5, 3)), _logits_target(rng, (2, 5, 3), 5, True), reduction="none"),
        lambda rng: S(rng.standard_normal((2, 5, 3)), _logits_target(rng, (2, 5, 3), 5, True),
                      Const(rng.uniform(0.5, 2, 5)))),
        errors=[(lambda t: F.nll_loss(t(2, 3), t.index([0, 5])), (IndexError, ValueError), "must be in")]),
    OpInfo("kl_div", F.kl_div, ref_kl_div, lambda rng: [
        S(rng.standard_normal((3, 4)), Const(rng.dirichlet(np.ones(4), 3)), reduction=r) for r in F.KL_DIV_REDUCTIONS]
        + [S(rng.standard_normal((3, 4)), Const(np.array([[0.0, 0.5, 0.5, 0.0]] * 3)), name="zero-target"),
           S(rng.standard_normal((3, 4)), Const(rng.standard_normal((3, 4))), reduction="sum", log_target=True)]),
    OpInfo("cosine_similarity", F.cosine_similarity, lambda a, b, dim=1: (a * b).sum(dim) / (
        np.sqrt((a * a).sum(dim)) * np.sqrt((b * b).sum(dim))), fixed(
        lambda rng: S(rng.standard_normal((3, 4)), rng.standard_normal((3, 4))),
        lambda rng: S(rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 1)), dim=-2))),
    OpInfo("normalize", F.normalize, lambda x, p=2.0, dim=1: x / _norm(x, p, dim), fixed(
        lambda rng: S(rng.standard_normal((3, 4))),
        lambda rng: S(kinked(rng, (2, 3, 4)), p=1.0, dim=-1))),
]


def _stats(rng, C):
    return Const(rng.standard_normal(C)), Const(rng.uniform(0.5, 2, C))


def _bn_sample(training, affine):
    def make(rng, shape=(4, 3, 2)):
        x = rng.standard_normal(shape) * 2 + 1
        wb = (rng.standard_normal(3), rng.standard_normal(3)) if affine else ()
        return S(x, *_stats(rng, 3), *wb, training=training, eps=0.3, name=f"training={training},affine={affine}")
    return make


NORMALIZATION = [
    OpInfo("batch_norm_train", F.batch_norm, ref_batch_norm, fixed(
        _bn_sample(True, True), _bn_sample(True, False),
        lambda rng: S(rng.standard_normal((5, 3)), *_stats(rng, 3), rng.standard_normal(3), rng.standard_normal(3),
                      training=True, name="2d")),
        errors=[(lambda t: F.batch_norm(t(1, 3), None, None, training=True), ValueError, "more than 1 value per channel"),
                (lambda t: F.batch_norm(t(4, 3), None, None, training=True, eps=-1.0), ValueError, "eps")]),
    OpInfo("batch_norm_eval", F.batch_norm, ref_batch_norm, fixed(_bn_sample(False, True), _bn_sample(False, False)),
           errors=[(lambda t: F.batch_norm(t(4, 3), t(2), t(3)), (ValueError, RuntimeError), "running_mean|size|shape")]),
    OpInfo("layer_norm", F.layer_norm, ref_layer_norm, fixed(
        lambda rng: S(rng.standard_normal((3, 4)) * 2 + 1, (4,), rng.standard_normal(4), rng.standard_normal(4), eps=0.2),
        lambda rng: S(rng.standard_normal((2, 3, 4)), (3, 4), name="no-affine"),
        lambda rng: S(rng.standard_normal((2, 1, 3)), (3,), rng.standard_normal(3), rng.standard_normal(3))),
        errors=[(lambda t: F.layer_norm(t(3, 4), (5,)), (ValueError, RuntimeError), "normalized_shape|shape")]),
    OpInfo("group_norm", F.group_norm, ref_group_norm, fixed(
        lambda rng: S(rng.standard_normal((2, 4, 3)) * 2, 2, rng.standard_normal(4), rng.standard_normal(4), eps=0.2),
        lambda rng: S(rng.standard_normal((2, 6, 2, 2)), 3, name="no-affine"),
        lambda rng: S(rng.standard_normal((3, 2, 3)), 1, rng.standard_normal(2), rng.standard_normal(2))),
        errors=[(lambda t: F.group_norm(t(2, 5, 3), 2), (ValueError, RuntimeError), "divisible")]),
    OpInfo("instance_norm", F.instance_norm, ref_instance_norm, fixed(
        lambda rng: S(rng.standard_normal((2, 3, 5)) * 2, None, None, rng.standard_normal(3), rng.standard_normal(3),
                      eps=0.2),
        lambda rng: S(rng.standard_normal((2, 2, 3, 2)), name="no-affine"))),
]


def _conv_sample(x_shape, w_shape, bias=True, bias_size=None, **kwargs):
    bias_size = w_shape[0] if bias_size is None else bias_size
    return lambda rng: S(rng.standard_normal(x_shape), rng.standard_normal(w_shape),
                         *((rng.standard_normal(bias_size),) if bias else ()), name=f"{x_shape}*{w_shape}{kwargs}",
                         **kwargs)


def _conv_transpose_sample(x_shape, w_shape, bias=True, **kwargs):
    """weight (in_channels, out_channels // groups, *kernel_size)"""
    return _conv_sample(x_shape, w_shape, bias, w_shape[1] * kwargs.get("groups", 1), **kwargs)


def _pool_sample(shape, *args, **kwargs):
    return lambda rng: S(distinct(rng, shape), *args, name=f"{shape}{args}{kwargs}", **kwargs)


# ---- recurrent layers: one direction of one layer over a (packed) sequence, and the one-step cells -----
def _ref_sigmoid_tanh_cell(mode, pre_x, pre_h, h, c):
    """One step of ``mode`` from the two projections (biases included): (h', c')."""
    if mode == "LSTM":
        i, f, g, o = np.split(pre_x + pre_h, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c
    if mode == "GRU":
        (xr, xz, xn), (hr, hz, hn) = np.split(pre_x, 3, axis=-1), np.split(pre_h, 3, axis=-1)
        r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
        return (1 - z) * np.tanh(xn + r * hn) + z * h, None
    pre = pre_x + pre_h
    return (np.tanh(pre) if mode == "RNN_TANH" else np.maximum(pre, 0)), None


def ref_recurrent(mode, x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, batch_sizes=None, reverse=False):
    """The layer step by step: step t updates the first batch_sizes[t] sequences' states."""
    starts = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]).astype(int)
    h, c, y = h0.copy(), None if c0 is None else c0.copy(), np.zeros((x.shape[0], h0.shape[1]))
    order = range(len(batch_sizes))
    for t in (reversed(order) if reverse else order):
        n, rows = batch_sizes[t], slice(starts[t], starts[t] + batch_sizes[t])
        pre_x = x[rows] @ w_ih.T + (0 if b_ih is None else b_ih)
        pre_h = h[:n] @ w_hh.T + (0 if b_hh is None else b_hh)
        new_h, new_c = _ref_sigmoid_tanh_cell(mode, pre_x, pre_h, h[:n], None if c is None else c[:n])
        h[:n] = new_h if w_hr is None else new_h @ w_hr.T
        if c is not None:
            c[:n] = new_c
        y[rows] = h[:n]
    return (y, h) if c is None else (y, h, c)


def _layer_call(mode):
    def call(x, h0, *rest, batch_sizes, reverse=False):
        c0, rest = (rest[0], rest[1:]) if mode == "LSTM" else (None, rest)
        weights = tuple(rest) + (None,) * (5 - len(rest))
        return recurrent_layer(mode, x, batch_sizes, h0 if c0 is None else (h0, c0), weights, reverse)
    return call


def _layer_ref(mode):
    def ref(x, h0, *rest, batch_sizes, reverse=False):
        c0, rest = (rest[0], rest[1:]) if mode == "LSTM" else (None, rest)
        return ref_recurrent(mode, x, h0, c0, *(tuple(rest) + (None,) * (5 - len(rest))), batch_sizes=batch_sizes,
                             reverse=reverse)
    return ref


def _layer_sample(mode, batch_sizes, in_size, hidden, bias=True, proj=0, reverse=False, scale=0.6):
    """x, h0 (c0), weights for ``mode`` over steps of ``batch_sizes`` rows."""
    gates, out = {"LSTM": 4, "GRU": 3}.get(mode, 1), proj or hidden

    def make(rng):
        normal = lambda *shape: rng.standard_normal(shape) * scale  # noqa: E731
        args = [normal(sum(batch_sizes), in_size), normal(batch_sizes[0], out)]
        args += [normal(batch_sizes[0], hidden)] if mode == "LSTM" else []
        args += [normal(gates * hidden, in_size), normal(gates * hidden, out)]
        args += [normal(gates * hidden), normal(gates * hidden)] if bias else ([None, None] if proj else [])
        args += [normal(proj, hidden)] if proj else []
        return S(*args, batch_sizes=list(batch_sizes), reverse=reverse,
                 name=f"{batch_sizes}{'-reverse' if reverse else ''}{'' if bias else '-no-bias'}{f'-proj{proj}' if proj else ''}")
    return make


def _layer_entry(mode, extra_samples=(), **kwargs):
    samples = [_layer_sample(mode, [2, 2, 2], 3, 4), _layer_sample(mode, [3, 2, 2, 1], 2, 3, bias=False, reverse=True),
               _layer_sample(mode, [3, 1], 2, 3, reverse=True), _layer_sample(mode, [1], 3, 2, scale=3.0),
               *extra_samples]
    name = f"{mode.lower()}_layer"
    return OpInfo(name, _layer_call(mode), _layer_ref(mode), fixed(*samples), errors=[
        (lambda t: _layer_call(mode)(t(5, 3), t(2, 4), *([t(2, 4)] if mode == "LSTM" else []),
                                     t(GATES[mode] * 4, 2), t(GATES[mode] * 4, 4), batch_sizes=[2, 2, 1]),
         ValueError, rf"{name[:-6]}: input must have shape \(5, 2\), got \(5, 3\)"),
        (lambda t: _layer_call(mode)(t(4, 2), t(3, 4), *([t(2, 4)] if mode == "LSTM" else []),
                                     t(GATES[mode] * 4, 2), t(GATES[mode] * 4, 4), batch_sizes=[2, 2]),
         ValueError, r"h0 must have shape \(2, 4\), got \(3, 4\)"),
        (lambda t: _layer_call(mode)(t(4, 2), t(2, 4, dtype=F32), *([t(2, 4)] if mode == "LSTM" else []),
                                     t(GATES[mode] * 4, 2), t(GATES[mode] * 4, 4), batch_sizes=[2, 2]),
         TypeError, "dtype mismatch: input is float64 but h0 is float32")], **kwargs)


def _cell_entry(mode, function):
    def call(x, h, *rest):
        c, rest = (rest[0], rest[1:]) if mode == "LSTM" else (None, rest)
        return function(x, h if c is None else (h, c), *rest)

    def ref(x, h, *rest):
        c, rest = (rest[0], rest[1:]) if mode == "LSTM" else (None, rest)
        return tuple(ref_recurrent(mode, x, h, c, *rest, batch_sizes=[x.shape[0]])[1:])

    def sample(batch, bias, name):
        def make(rng):
            args = [rng.standard_normal((*batch, 3)), rng.standard_normal((*batch, 2))]
            args += [rng.standard_normal((*batch, 2))] if mode == "LSTM" else []
            args += [rng.standard_normal((GATES[mode] * 2, 3)), rng.standard_normal((GATES[mode] * 2, 2))]
            args += [rng.standard_normal(GATES[mode] * 2), rng.standard_normal(GATES[mode] * 2)] if bias else []
            return S(*args, name=name)
        return make
    hidden = (lambda t: (t(4, 5), t(4, 5))) if mode == "LSTM" else (lambda t: t(4, 5))
    return OpInfo(function.__name__, call, ref, fixed(sample((4,), True, "batched"), sample((2,), False, "no-bias")),
                  errors=[(lambda t: function(t(2, 4, 3), hidden(t), t(GATES[mode] * 5, 3), t(GATES[mode] * 5, 5)),
                           RuntimeError, f"{function.__name__}: input must be 2-D \\(batch, size\\), got \\(2, 4, 3\\)")])


RECURRENT = [
    _layer_entry("LSTM", [_layer_sample("LSTM", [3, 2, 1], 2, 4, proj=2), _layer_sample("LSTM", [2, 2], 2, 3, bias=False,
                                                                                        proj=1, reverse=True)]),
    _layer_entry("GRU"),
    _layer_entry("RNN_TANH"),
    _layer_entry("RNN_RELU"),
    _cell_entry("LSTM", mg.lstm_cell),
    _cell_entry("GRU", mg.gru_cell),
    _cell_entry("RNN_TANH", mg.rnn_tanh_cell),
    _cell_entry("RNN_RELU", mg.rnn_relu_cell),
]


CONV_POOL = [
    OpInfo("conv1d", F.conv1d, ref_conv, fixed(
        _conv_sample((2, 3, 7), (4, 3, 3)), _conv_sample((1, 4, 8), (2, 2, 2), stride=2, padding=1, groups=2),
        _conv_sample((2, 2, 6), (3, 2, 3), bias=False, padding="same", dilation=2),
        _conv_sample((1, 1, 4), (1, 1, 4), padding="valid")),
        errors=[(lambda t: F.conv1d(t(2, 3, 7), t(4, 2, 3)), (ValueError, RuntimeError), "channel|shape|groups")]),
    OpInfo("conv2d", F.conv2d, ref_conv, fixed(
        _conv_sample((2, 3, 5, 4), (2, 3, 3, 2)), _conv_sample((1, 4, 6, 5), (4, 2, 2, 3), stride=(2, 1), padding=(1, 0),
                                                              dilation=(1, 2), groups=2),
        _conv_sample((1, 2, 4, 4), (3, 2, 3, 3), bias=False, padding="same"),
        _conv_sample((1, 1, 3, 3), (1, 1, 1, 1))),
        tol={F32: (1e-4, 1e-4)},
        errors=[(lambda t: F.conv2d(t(1, 3, 5, 5), t(2, 3, 3, 3), stride=0), ValueError, "stride"),
                (lambda t: F.conv2d(t(1, 3, 2, 2), t(2, 3, 3, 3)), (ValueError, RuntimeError), "size|kernel|small")]),
    OpInfo("conv_transpose1d", F.conv_transpose1d, ref_conv_transpose, fixed(
        _conv_transpose_sample((2, 3, 5), (3, 2, 3)),
        _conv_transpose_sample((1, 4, 4), (4, 1, 2), stride=3, padding=1, output_padding=2, groups=2),
        _conv_transpose_sample((2, 2, 4), (2, 3, 3), bias=False, dilation=2, output_padding=1),
        _conv_transpose_sample((3, 5), (3, 2, 2), stride=2)),
        errors=[(lambda t: F.conv_transpose1d(t(2, 3, 7), t(4, 2, 3)), (ValueError, RuntimeError), "channels"),
                (lambda t: F.conv_transpose1d(t(1, 2, 4), t(2, 2, 3), stride=2, output_padding=2), ValueError,
                 "output_padding .* smaller than either stride"),
                (lambda t: F.conv_transpose1d(t(1, 3, 4), t(3, 2, 3), groups=2), ValueError, "groups=2 must divide"),
                (lambda t: F.conv_transpose1d(t(1, 2, 2), t(2, 2, 1), padding=1), ValueError, "too small"),
                (lambda t: F.conv_transpose1d(t(2, 2, 2, 4), t(2, 2, 3)), ValueError, "3-D input")]),
    OpInfo("conv_transpose2d", F.conv_transpose2d, ref_conv_transpose, fixed(
        _conv_transpose_sample((2, 3, 3, 4), (3, 2, 3, 2)),
        _conv_transpose_sample((1, 4, 3, 3), (4, 2, 4, 4), stride=2, padding=1, output_padding=(1, 0), groups=2),
        _conv_transpose_sample((1, 2, 3, 2), (2, 2, 2, 3), bias=False, stride=(1, 2), padding=(0, 1),
                               dilation=(3, 1), output_padding=(2, 1)),
        _conv_transpose_sample((2, 3, 3), (2, 1, 2, 2))),
        tol={F32: (1e-4, 1e-4)},
        errors=[(lambda t: F.conv_transpose2d(t(1, 3, 5, 5), t(2, 3, 3, 3)), ValueError,
                 "has 3 channels, but weight of shape .* expects in_channels"),
                (lambda t: F.conv_transpose2d(t(1, 2, 3, 3), t(2, 2, 3, 3), output_padding=1), ValueError,
                 "output_padding"),
                (lambda t: F.conv_transpose2d(t(1, 2, 3, 3), t(2, 2, 3, 3), padding="same"), TypeError, "padding"),
                (lambda t: F.conv_transpose2d(t(1, 2, 3, 3), t(2, 2, 3)), ValueError, "weight must have 4 dims"),
                (lambda t: F.conv_transpose2d(t(1, 2, 3, 3), t(2, 2, 3, 3), t(3)), ValueError, "bias"),
                (lambda t: F.conv_transpose2d(t(1, 2, 3, 3), t(2, 2, 3, 3, dtype="float32")), (TypeError, ValueError),
                 "dtype")]),
    OpInfo("unfold", F.unfold, ref_unfold, fixed(
        _pool_sample((2, 3, 4, 5), 2), _pool_sample((1, 2, 5, 5), (2, 3), 2, 1, (2, 1)),
        _pool_sample((2, 4, 4), 3, padding=1)),
        errors=[(lambda t: F.unfold(t(2, 3, 4), 5), ValueError, "no sliding block"),
                (lambda t: F.unfold(t(1, 2, 3, 4, 4), 2), ValueError, "4-D input"),
                (lambda t: F.unfold(t(1, 2, 4, 4), 0), ValueError, "kernel_size")]),
    OpInfo("fold", F.fold, ref_fold, fixed(
        _pool_sample((2, 12, 12), (4, 5), 2), _pool_sample((1, 12, 9), (5, 5), (2, 3), 2, 1, (2, 1)),
        _pool_sample((18, 16), 4, 3, padding=1)),
        errors=[(lambda t: F.fold(t(1, 12, 11), (4, 5), 2), ValueError, "12 sliding blocks, but input.shape.2. = 11"),
                (lambda t: F.fold(t(1, 10, 12), (4, 5), 2), ValueError, "divisible by the product of kernel_size"),
                (lambda t: F.fold(t(1, 2, 3, 4), (4, 5), 2), ValueError, "3-D input")]),
    OpInfo("max_pool1d", F.max_pool1d, ref_max_pool, fixed(
        _pool_sample((2, 3, 7), 2), _pool_sample((1, 2, 9), 3, 2, 1)),
        errors=[(lambda t: F.max_pool1d(t(1, 2, 9), 2, dilation=2), NotImplementedError, "dilation")]),
    OpInfo("max_pool2d", F.max_pool2d, ref_max_pool, fixed(
        _pool_sample((2, 2, 4, 6), 2), _pool_sample((1, 2, 5, 5), 3, 2, 1), _pool_sample((1, 1, 5, 4), (2, 3), (1, 2))),
        errors=[(lambda t: F.max_pool2d(t(1, 1, 4, 4), 3, padding=2), ValueError, "pad")]),
    OpInfo("avg_pool1d", F.avg_pool1d, ref_avg_pool, fixed(
        _pool_sample((2, 3, 7), 2), _pool_sample((1, 2, 9), 3, 2, 1),
        _pool_sample((1, 2, 9), 3, 2, 1, count_include_pad=False))),
    OpInfo("avg_pool2d", F.avg_pool2d, ref_avg_pool, fixed(
        _pool_sample((2, 2, 4, 6), 2), _pool_sample((1, 2, 5, 5), 3, 2, 1),
        _pool_sample((1, 2, 5, 5), 3, 1, 1, count_include_pad=False))),
    OpInfo("adaptive_avg_pool2d", F.adaptive_avg_pool2d, ref_adaptive_pool(np.mean), fixed(
        _pool_sample((2, 2, 5, 7), (2, 3)), _pool_sample((1, 3, 4, 4), 1), _pool_sample((1, 1, 3, 3), 5))),
    OpInfo("adaptive_max_pool2d", F.adaptive_max_pool2d, ref_adaptive_pool(np.max), fixed(
        _pool_sample((2, 2, 5, 7), (2, 3)), _pool_sample((1, 3, 4, 4), 1))),
    OpInfo("interpolate_nearest", F.interpolate, ref_interpolate, fixed(
        lambda rng: S(rng.standard_normal((1, 2, 5)), 8), lambda rng: S(rng.standard_normal((2, 1, 3, 4)), (5, 2))),
        errors=[(lambda t: F.interpolate(t(1, 2, 4), 3, mode="cubic"), NotImplementedError, "cubic")]),
    OpInfo("interpolate_linear", F.interpolate, ref_interpolate, fixed(*[
        (lambda shape, size, ac: lambda rng: S(rng.standard_normal(shape), size, mode="linear" if len(shape) == 3
                                               else "bilinear", align_corners=ac, name=f"{shape}->{size},{ac}"))(*c)
        for c in [((1, 2, 5), 8, False), ((1, 2, 5), 3, True), ((2, 1, 3, 4), (5, 2), False),
                  ((1, 1, 3, 3), (4, 6), True), ((1, 1, 4), 1, True)]])),
    OpInfo("interpolate_bicubic", lambda x, **kw: F.interpolate(x, mode="bicubic", **kw), ref_bicubic, fixed(*[
        (lambda shape, kw: lambda rng: S(rng.standard_normal(shape), **kw, name=f"{shape}{kw}"))(*c)
        for c in [((1, 2, 4, 5), dict(size=(7, 3))), ((2, 1, 3, 3), dict(size=(6, 4), align_corners=True)),
                  ((1, 1, 5, 4), dict(scale_factor=1.5)), ((1, 1, 5, 5), dict(scale_factor=1.1)),
                  ((1, 1, 4, 6), dict(scale_factor=(0.5, 2.5), align_corners=True)),
                  ((1, 1, 1, 3), dict(size=(1, 1), align_corners=True))]]),
        errors=[(lambda t: F.interpolate(t(1, 2, 4), 3, mode="bicubic"), NotImplementedError,
                 "Got 3D input, but bicubic mode needs 4D input")]),
    OpInfo("pad", F.pad, ref_pad, fixed(
        lambda rng: S(rng.standard_normal((2, 3)), (1, 2)),
        lambda rng: S(rng.standard_normal((2, 3, 4)), (0, 1, 2, 0), value=-1.5),
        lambda rng: S(rng.standard_normal((2, 5)), (-1, 2, 1, -1), name="crop"),
        lambda rng: S(rng.standard_normal((0, 2)), (1, 1))),
        errors=[(lambda t: F.pad(t(2, 3), (1, 2, 3)), ValueError, "pad"),
                (lambda t: F.pad(t(2, 3), (1, 1), mode="symmetric"), NotImplementedError,
                 "Unrecognised padding mode symmetric")]),
    *(OpInfo(f"pad_{mode}", F.pad, ref_pad, fixed(
        lambda rng: S(rng.standard_normal((2, 5)), (2, 3), mode=mode, name="unbatched 1-d"),
        lambda rng: S(rng.standard_normal((2, 2, 4)), (3, 1), mode=mode),
        lambda rng: S(rng.standard_normal((2, 3, 4)), (1, 2, 2, 0), mode=mode, name="unbatched 2-d"),
        lambda rng: S(rng.standard_normal((1, 2, 3, 4)), (0, 3, 2, 1), mode=mode),
        lambda rng: S(rng.standard_normal((1, 1, 2, 3, 4)), (1, 1, 1, 0, 1, 1), mode=mode, name="3-d"),
        lambda rng: S(rng.standard_normal((2, 6)), (-2, 1), mode=mode, name="crop"),
        lambda rng: S(rng.standard_normal((0, 2, 3)), (1, 1), mode=mode, name="empty batch")),
        errors=[(lambda t, mode=mode: F.pad(t(2, 3), (1, 1), mode=mode, value=2.0), RuntimeError,
                 f'Padding mode "{mode}" doesn\'t take in value argument'),
                (lambda t, mode=mode: F.pad(t(3), (1, 1), mode=mode), NotImplementedError,
                 "Padding size 2 is not supported for 1D input tensor"),
                (lambda t, mode=mode: F.pad(t(1, 2, 3, 4), (1, 1), mode=mode), NotImplementedError,
                 "Padding size 2 is not supported for 4D input tensor"),
                (lambda t, mode=mode: F.pad(t(2, 3), (-2, -2), mode=mode), RuntimeError,
                 r"input \(W: 3\) is too small. Calculated output W: -1")]
        + {"reflect": [(lambda t: F.pad(t(2, 3), (3, 0), mode="reflect"), RuntimeError,
                        "less than the corresponding input dimension")],
           "circular": [(lambda t: F.pad(t(2, 3), (4, 0), mode="circular"), RuntimeError,
                         "wrapping around more than once"),
                        (lambda t: F.pad(t(2, 5), (-5, 1), mode="circular"), RuntimeError,
                         "leaves nothing to wrap around")]}.get(mode, [])
        + ([(lambda t, mode=mode: F.pad(t(2, 0), (1, 1), mode=mode), RuntimeError,
             r"non-zero dimensions for input, but got: \[2, 0\]")] if mode != "circular" else []))
      for mode in ("reflect", "replicate", "circular")),
    OpInfo("pixel_shuffle", F.pixel_shuffle, ref_pixel_shuffle, fixed(
        lambda rng: S(rng.standard_normal((2, 8, 3, 2)), 2), lambda rng: S(rng.standard_normal((9, 2, 3)), 3,
                                                                           name="unbatched"),
        lambda rng: S(rng.standard_normal((2, 1, 4, 1, 2)), 2, name="two batch dims"),
        lambda rng: S(rng.standard_normal((0, 4, 2, 2)), 2, name="empty"),
        lambda rng: S(rng.standard_normal((1, 3, 2, 2)), 1, name="r=1")),
        errors=[(lambda t: F.pixel_shuffle(t(1, 5, 2, 2), 2), RuntimeError, r"input.size\(-3\)=5 is not divisible by 4"),
                (lambda t: F.pixel_shuffle(t(4, 2), 2), RuntimeError, "at least 3 dimensions"),
                (lambda t: F.pixel_shuffle(t(1, 4, 2, 2), 0), RuntimeError, "positive upscale_factor"),
                (lambda t: F.pixel_shuffle(t(1, 4, 2, 2), 2.0), TypeError, "upscale_factor must be an int")]),
    OpInfo("pixel_unshuffle", F.pixel_unshuffle, ref_pixel_unshuffle, fixed(
        lambda rng: S(rng.standard_normal((2, 2, 6, 4)), 2), lambda rng: S(rng.standard_normal((1, 3, 6)), 3,
                                                                           name="unbatched"),
        lambda rng: S(rng.standard_normal((2, 1, 1, 2, 2)), 2, name="two batch dims")),
        errors=[(lambda t: F.pixel_unshuffle(t(1, 1, 5, 4), 2), RuntimeError,
                 r"height to be divisible by downscale_factor, but input.size\(-2\)=5"),
                (lambda t: F.pixel_unshuffle(t(1, 1, 4, 3), 2), RuntimeError,
                 r"width to be divisible by downscale_factor, but input.size\(-1\)=3"),
                (lambda t: F.pixel_unshuffle(t(1, 1, 4, 4), -1), RuntimeError, "positive downscale_factor")]),
    OpInfo("embedding", lambda i, w: F.embedding(i, w), lambda i, w: w[i], fixed(
        lambda rng: S(np.array([[0, 2, 2], [4, 1, 0]]), rng.standard_normal((5, 3))),
        lambda rng: S(np.array(3), rng.standard_normal((5, 2))),
        lambda rng: S(np.zeros((0,), np.int64), rng.standard_normal((5, 2)))),
        errors=[(lambda t: F.embedding(t.index([5]), t(5, 2)), (IndexError, ValueError), "must be in")]),
    OpInfo("embedding_padding_idx", lambda i, w: F.embedding(i, w, padding_idx=1), lambda i, w: w[i], fixed(
        lambda rng: S(np.array([1, 2, 1]), rng.standard_normal((4, 2)), grad=False),  # no gradient to row 1
        lambda rng: S(np.array([0, 2, 3]), rng.standard_normal((4, 2))))),
]


def ref_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    """The naive softmax(q k^T * scale + mask) v, the (L, S) weights in memory; a row with every key
    masked gives zeros (torch 2.13)."""
    L, S = q.shape[-2], k.shape[-2]
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    if enable_gqa:
        k, v = (np.repeat(a, q.shape[-3] // k.shape[-3], axis=-3) for a in (k, v))
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        scores = np.where(np.tril(np.ones((L, S), bool)), scores, -np.inf)
    if attn_mask is not None:
        scores = np.where(attn_mask, scores, -np.inf) if attn_mask.dtype == bool else scores + attn_mask
    top = scores.max(-1, keepdims=True)
    weights = np.exp(scores - np.where(np.isfinite(top), top, 0))
    total = weights.sum(-1, keepdims=True)
    return (weights / np.where(total > 0, total, 1)) @ v


def _attention_sample(q, k, v, *mask, name, grad=True, **kwargs):
    def sample(rng):
        masks = [m(rng) if callable(m) else m for m in mask]
        return S(rng.standard_normal(q), rng.standard_normal(k), rng.standard_normal(v), *masks, name=name, grad=grad,
                 **kwargs)
    return sample


def _bool_mask(shape, p=0.7):
    return lambda rng: rng.random(shape) < p


def _masked_rows(rng):
    """A bool mask (2, 1, 5, 6) with every key of some rows masked (small samples: gradcheck runs them on
    the emulated GPU too)."""
    mask = rng.random((2, 1, 5, 6)) < 0.7
    mask[0, 0, 1] = mask[1, 0, 4] = False
    return mask


ATTENTION = [
    OpInfo("scaled_dot_product_attention", F.scaled_dot_product_attention, ref_attention, fixed(
        _attention_sample((2, 2, 3, 2), (2, 2, 4, 2), (2, 2, 4, 3), name="4d"),
        _attention_sample((3, 2), (4, 2), (4, 2), name="2d"),
        _attention_sample((2, 1, 3, 2), (2, 4, 2), (1, 4, 1), name="broadcast-batch"),
        # past the CPU kernel's 64-row blocks: forward only here (gradcheck would take minutes on the emulated
        # GPU); tests/ops/test_attention.py checks their gradients on the CPU
        _attention_sample((1, 66, 2), (1, 130, 2), (1, 130, 1), name="several-blocks", grad=False),
        _attention_sample((1, 67, 2), (1, 66, 2), (1, 66, 1), name="causal-blocks", is_causal=True, grad=False),
        _attention_sample((2, 5, 2), (2, 3, 2), (2, 3, 1), name="causal-L>S", is_causal=True),
        _attention_sample((1, 4, 3, 2), (1, 2, 4, 2), (1, 2, 4, 1), name="gqa", enable_gqa=True),
        _attention_sample((2, 2, 3, 2), (2, 2, 4, 2), (2, 2, 4, 1), _bool_mask((3, 4)), name="bool-mask"),
        _attention_sample((2, 2, 3, 2), (2, 2, 4, 2), (2, 2, 4, 1), lambda rng: Const(rng.standard_normal((2, 1, 4))),
                          name="float-mask", scale=0.3),
        # a float mask that requires grad: its gradient summed over the batch and the query rows it broadcast
        _attention_sample((2, 2, 3, 2), (2, 2, 4, 2), (2, 2, 4, 1), lambda rng: rng.standard_normal((2, 1, 4)),
                          name="float-mask-grad", scale=0.3),
        _attention_sample((1, 4, 3, 2), (1, 2, 4, 2), (1, 2, 4, 1), lambda rng: rng.standard_normal((4, 3, 4)),
                          name="gqa-float-mask-grad", enable_gqa=True),
        _attention_sample((2, 1, 5, 2), (2, 1, 6, 2), (2, 1, 6, 1), _masked_rows, name="fully-masked-rows"),
        _attention_sample((0, 5, 4), (0, 6, 4), (0, 6, 3), name="empty-batch"),
        _attention_sample((2, 0, 4), (2, 6, 4), (2, 6, 3), name="no-queries")),
        errors=[(lambda t: F.scaled_dot_product_attention(t(2, 5, 4), t(2, 6, 4), t(2, 6, 3), attn_mask=t(5, 6) > 0, is_causal=True),
                 ValueError, "attn_mask or is_causal"),
                (lambda t: F.scaled_dot_product_attention(t(2, 5, 4), t(2, 6, 3), t(2, 6, 3)), ValueError, "expected key"),
                (lambda t: F.scaled_dot_product_attention(t(2, 5, 4), t(2, 6, 4), t(2, 6, 3), attn_mask=t(4, 6) > 0), ValueError,
                 "does not broadcast"),
                (lambda t: F.scaled_dot_product_attention(t(2, 5, 4), t(2, 6, 4), t(2, 6, 3), attn_mask=t.index([[1] * 6] * 5)), TypeError,
                 "must be bool or the query's dtype"),
                (lambda t: F.scaled_dot_product_attention(t(1, 3, 5, 4), t(1, 2, 6, 4), t(1, 2, 6, 3), enable_gqa=True), ValueError,
                 "divide the query heads"),
                (lambda t: F.scaled_dot_product_attention(t(2, 5, 4), t(2, 6, 4).float(), t(2, 6, 3)), TypeError, "one dtype"),
                (lambda t: F.scaled_dot_product_attention(t(2, 5, 4), t(2, 6, 4), t(2, 6, 3), dropout_p=1.5), ValueError, "dropout_p"),
                (lambda t: F.scaled_dot_product_attention(t.index([1, 2]), t(2, 6, 4), t(2, 6, 3)), TypeError, "float32 or float64")]),
    OpInfo("scaled_dot_product_attention_dropout_p0", lambda q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=0.0), ref_attention,
           fixed(_attention_sample((2, 2, 3, 2), (2, 2, 4, 2), (2, 2, 4, 1), name="p0"))),
]


P = 0.25


def _seeded(op, seed=7):
    """``op`` with a fixed mask: each call (gradcheck makes many) draws the same one."""
    def call(*args, **kwargs):
        mg.manual_seed(seed)
        return op(*args, **kwargs)
    return call


def _dropout_mask_ref(out, x, channel=False):
    """Every output entry is 0 or x / (1 - p); dropout2d drops whole channels."""
    kept = out != 0
    if channel:
        kept = np.broadcast_to(kept.reshape(kept.shape[:2] + (-1,)).any(-1).reshape(
            kept.shape[:2] + (1,) * (x.ndim - 2)), x.shape)
    return np.where(kept, x / (1 - P), 0.0)


DROPOUT = [
    unary("dropout_p0", lambda x: F.dropout(x, 0.0), lambda x: x, nonfinite=False,
          errors=[(lambda t: F.dropout(t(3), 1.5), ValueError, "probability")]),
    unary("dropout_eval", lambda x: F.dropout(x, 0.6, training=False), lambda x: x),
    OpInfo("dropout_mask", _seeded(lambda x: F.dropout(x, P)), _dropout_mask_ref,
           lambda rng: [S(away(margin=0.1)(rng, s), name=str(s)) for s in [(50,), (4, 30), (3, 0)]],
           ref_takes_output=True),
    OpInfo("dropout2d_mask", _seeded(lambda x: F.dropout2d(x, P)), lambda out, x: _dropout_mask_ref(out, x, True),
           lambda rng: [S(away(margin=0.1)(rng, (4, 6, 3, 2)))], ref_takes_output=True),
    OpInfo("dropout2d_other_dims_mask", _seeded(lambda x: F.dropout2d(x, P)),
           lambda out, x: _dropout_mask_ref(out, x, True),
           lambda rng: [S(away(margin=0.1)(rng, s), name=str(s)) for s in [(6, 5), (2, 3, 2, 1, 2)]],
           ref_takes_output=True),
    OpInfo("dropout1d_mask", _seeded(lambda x: F.dropout1d(x, P)), lambda out, x: _dropout_mask_ref(out, x, True),
           lambda rng: [S(away(margin=0.1)(rng, (4, 6, 3)))], ref_takes_output=True,
           errors=[(lambda t: F.dropout1d(t(2, 3, 4, 4)), RuntimeError, "Expected 2D or 3D input")]),
    OpInfo("dropout3d_mask", _seeded(lambda x: F.dropout3d(x, P)), lambda out, x: _dropout_mask_ref(out, x, True),
           lambda rng: [S(away(margin=0.1)(rng, (3, 4, 2, 1, 2)))], ref_takes_output=True),
    OpInfo("dropout2d_eval", lambda x: F.dropout2d(x, 0.5, training=False), lambda x: x,
           fixed(lambda rng: S(rng.standard_normal((2, 3, 4, 1))), lambda rng: S(rng.standard_normal((1, 2, 3, 3))))),
]


def without_grad(entry):
    """``entry`` as an op whose results are data without gradient (bool or integer): forward,
    float32, strided and error checks, no gradcheck."""
    entry.differentiable = False
    return entry


def _integer_binary(name, op, ref, divisor=integers(-3, 4)):
    return without_grad(binary(name, op, ref, integers(-3, 4), divisor, nonfinite=False, dtypes=(F64,)))


# Comparisons, predicates, logical and bitwise ops: no gradient, but 0-d, empty and broadcast
# samples as every op (NumPy gives scalars for 0-d operands; a tensor holds an array).
WITHOUT_GRAD = [
    *(without_grad(binary(name, getattr(mg, name), ref, method=name)) for name, ref in (
        ("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
        ("ge", np.greater_equal), ("logical_and", np.logical_and), ("logical_or", np.logical_or),
        ("logical_xor", np.logical_xor))),
    *(without_grad(elementwise(name, getattr(np, name))) for name in ("isnan", "isinf", "isfinite", "logical_not")),
    without_grad(binary("isclose", lambda a, b: mg.isclose(a, b, rtol=0.5), lambda a, b: np.isclose(a, b, rtol=0.5))),
    without_grad(unary("invert", lambda a: ~a, np.invert, integers(-3, 4), nonfinite=False, dtypes=(F64,))),
    _integer_binary("bitwise_and", lambda a, b: a & b, np.bitwise_and),
    _integer_binary("bitwise_or", lambda a, b: a | b, np.bitwise_or),
    _integer_binary("bitwise_xor", lambda a, b: a ^ b, np.bitwise_xor),
    *(without_grad(OpInfo(name, getattr(mg, name), ref_arg(getattr(np, name)), reduction_samples(
        distinct, [((4,), dict(dim=0)), ((2, 3, 4), dict(dim=1, keepdim=True)), ((5, 0), dict(dim=0))]),
        method=name, errors=[(lambda t, name=name: getattr(mg, name)(t(5, 0), 1), IndexError,
                              "expected reduction dim 1 to have non-zero size"),
                             (lambda t, name=name: getattr(mg, name)(t(5, 0)), IndexError,
                              "expected a reduction dim to be given for an empty input")]))
      for name in ("argmax", "argmin")),
    _integer_binary("floordiv", lambda a, b: a // b, np.floor_divide, nonzero_integers),
    _integer_binary("mod", lambda a, b: a % b, np.mod, nonzero_integers),
]


OPS = (ELEMENTWISE + ACTIVATIONS + REDUCTIONS + SHAPE + INDEXING + LINEAR + LOSSES + NORMALIZATION + RECURRENT + CONV_POOL
       + DROPOUT + ATTENTION + WITHOUT_GRAD)
assert len({op.name for op in OPS}) == len(OPS), "op names must be unique (they name the tests)"

# The entries whose op has no double backward yet (issue 26): create_graph through them must raise
# (test_ops checks it). Every op of the table has backward_graph now; add a name here for a new op without one.
WITHOUT_DOUBLE_BACKWARD = set()
for _op in OPS:
    _op.gradgrad = _op.name not in WITHOUT_DOUBLE_BACKWARD
