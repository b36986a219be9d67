"""Parameter initialisation, as torch.nn.init: each function fills a Tensor in place (without
recording a graph), from the generator that mg.manual_seed seeds (or the NumPy ``generator``
given), and returns the Tensor.

Example::

    layer = nn.Linear(256, 128)
    nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
    nn.init.zeros_(layer.bias)
"""
import math
import warnings

import numpy as np

from .. import _args, _random, backend
from .._dtypes import check_fill
from ..tensor import Tensor

_LINEAR_GAIN = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh, sqrt(2)
    for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope = param, default 0.01), 3/4 for selu.

    Example: ``nn.init.calculate_gain("leaky_relu", 0.2)`` -> 1.3867...
    """
    if nonlinearity in _LINEAR_GAIN:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else _args.real(param, "calculate_gain: param (leaky_relu's negative_slope)")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}; use one of {', '.join(_LINEAR_GAIN)}, tanh, "
                     "relu, leaky_relu, selu")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight (out, in, *kernel): in * prod(kernel) and out * prod(kernel)."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions "
                         f"(got shape {tensor.shape})")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    """Write the float64 array ``values`` into tensor's memory (its dtype and device)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init fills a Tensor, got {type(tensor).__name__}")
    tensor._data[...] = backend.to_device(np.asarray(values), tensor.device).astype(tensor.dtype, copy=False)
    tensor._bump_version()  # a graph that saved the old values now refuses backward, as torch's
    return tensor


def _generator(generator):
    if generator is None:
        return _random.generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"generator must be a numpy.random.Generator or None, got {type(generator).__name__}")
    return generator


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with draws from U(a, b). Example: ``nn.init.uniform_(w, -0.1, 0.1)``"""
    if not a <= b:
        raise ValueError(f"uniform_ needs a <= b, got a={a}, b={b}")
    return _fill(tensor, _generator(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with draws from N(mean, std^2). Example: ``nn.init.normal_(w, std=0.02)``"""
    if not std >= 0:
        raise ValueError(f"normal_ needs std >= 0, got {std}")
    return _fill(tensor, _generator(generator).normal(mean, std, tensor.shape))


def constant_(tensor, val):
    """Fill with ``val``. Example: ``nn.init.constant_(b, 0.1)``"""
    if isinstance(tensor, Tensor):
        check_fill(val, tensor.dtype)
    return _fill(tensor, np.full(tensor.shape, val, dtype=np.float64))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound) with bound = gain * sqrt(3 / fan) (He et al., 2015); gain from
    calculate_gain(nonlinearity, a), fan from mode ("fan_in" or "fan_out").

    Example: ``nn.init.kaiming_uniform_(w, a=math.sqrt(5))`` (nn.Linear's default)
    """
    fan = _fan(tensor, mode)
    bound = math.sqrt(3.0) * (calculate_gain(nonlinearity, a) / math.sqrt(fan))
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2) with std = gain / sqrt(fan) (He et al., 2015)."""
    fan = _fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with draws from N(mean, std^2) truncated to [a, b] (absolute bounds), as torch: redraw the
    values outside [a, b] while the bounds keep more than 30% of the mass, else propose uniformly in
    [a, b] and accept with the normal's density ratio. A mean more than 2 std outside [a, b] warns.

    Example: ``nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04)``
    """
    if not (std > 0 and a < b):
        raise ValueError(f"trunc_normal_ needs std > 0 and a < b, got std={std}, a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may "
                      "be incorrect.", stacklevel=2)
    rng, shape = _generator(generator), tensor.shape
    mass = (math.erf((b - mean) / std / math.sqrt(2)) - math.erf((a - mean) / std / math.sqrt(2))) / 2
    if mass > 0.3:
        values = rng.normal(mean, std, shape)
        outside = (values < a) | (values > b)
        while outside.any():
            values[outside] = rng.normal(mean, std, int(outside.sum()))
            outside = (values < a) | (values > b)
    else:
        peak = max(a, min(mean, b))  # the density is highest at the point of [a, b] nearest the mean
        values, pending = np.empty(shape), np.ones(shape, dtype=bool)
        while pending.any():
            candidates = rng.uniform(a, b, int(pending.sum()))
            log_ratio = (-0.5 * ((candidates - mean) / std) ** 2) - (-0.5 * ((peak - mean) / std) ** 2)
            accept = np.log(rng.uniform(size=candidates.size)) <= log_ratio
            flat = np.flatnonzero(pending)[accept]
            values.reshape(-1)[flat] = candidates[accept]
            pending.reshape(-1)[flat] = False
    return _fill(tensor, values)


def eye_(tensor):
    """The identity matrix in a 2-D tensor (ones on the diagonal, rectangular allowed), as torch.eye.
    Example: ``nn.init.eye_(mg.empty(3, 5))``"""
    if _dims(tensor) != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """The Dirac delta in a 3-, 4- or 5-D convolution weight (out, in, *kernel): a convolution with it
    passes each input channel through unchanged (the first min(out / groups, in) channels of each group;
    a 1 at the kernel's centre, index size // 2), as torch.

    Example: ``F.conv2d(x, nn.init.dirac_(mg.empty(3, 3, 3, 3)), padding=1)`` equals x
    """
    if _dims(tensor) not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    out_channels = tensor.shape[0]
    if not _args.is_int(groups) or groups < 1 or out_channels % groups:
        raise ValueError(f"dim 0 must be divisible by groups (dim 0 has size {out_channels}, groups={groups!r})")
    values = np.zeros(tensor.shape)
    per_group = out_channels // groups
    centre = tuple(size // 2 for size in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d) + centre] = 1
    return _fill(tensor, values)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix (Saxe et al., 2013) times ``gain``, as torch: the tensor seen as
    (rows, numel / rows), Q of the QR factorisation of a standard normal matrix with the signs of R's
    diagonal folded in (so Q is uniform over the orthogonal group); rows or columns orthonormal,
    whichever are fewer. Example: ``nn.init.orthogonal_(w, gain=nn.init.calculate_gain("tanh"))``
    """
    if _dims(tensor) < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flattened = _generator(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (q * gain).reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A sparse 2-D matrix (Martens, 2010), as torch: N(0, std^2) values with ceil(sparsity * rows)
    entries of each column set to zero (random rows, drawn per column).

    Example: ``nn.init.sparse_(w, sparsity=0.1)``
    """
    if _dims(tensor) != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    sparsity = _args.real(sparsity, "sparse_: sparsity", 0, 1)
    rows, cols = tensor.shape
    zeros_per_column = math.ceil(sparsity * rows)
    rng = _generator(generator)
    values = rng.normal(0.0, std, (rows, cols))
    for column in range(cols):
        values[rng.permutation(rows)[:zeros_per_column], column] = 0
    return _fill(tensor, values)


def _dims(tensor):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init fills a Tensor, got {type(tensor).__name__}")
    return tensor.ndim
