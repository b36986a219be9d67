"""Parameter initialisation, as torch.nn.init: each function fills a Tensor in place (without
recording a graph), from the generator that mg.manual_seed seeds (or the NumPy ``generator``
given), and returns the Tensor.

Example::

    layer = nn.Linear(256, 128)
    nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
    nn.init.zeros_(layer.bias)
"""
import math

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
