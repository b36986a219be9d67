"""In-place fills that torch offers as Tensor methods: random draws (``normal_``, ``uniform_``,
``exponential_``) from the generator that ``mg.manual_seed`` seeds (the one nn.init draws from), and
``fill_diagonal_``.

Each writes through ``copy_`` or item assignment, so it is an in-place op like any other: the version
counter moves, a leaf that requires grad is refused outside ``no_grad``, and a graph through the
overwritten tensor gets a zero gradient for the values it replaced.

Example::

    mg.manual_seed(0)
    w = mg.empty(3, 4).normal_(0, 0.02)
    mg.zeros(3, 3).fill_diagonal_(1.0)      # the identity
"""
import math

import numpy as np

from .. import _args, _random
from ..tensor import Tensor
from ._table import tensor_method


def _fill_with_draws(input, draws, name):
    """Write ``draws(generator, shape)`` (a float64 NumPy array) into the float tensor ``input``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name} fills a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{name} needs a float32 or float64 tensor (its draws are continuous), got {input.dtype}")
    return input.copy_(Tensor._wrap(draws(_random.generator(), input.shape), False))


@tensor_method(function=False)
def normal_(input, mean=0.0, std=1.0):
    """Fill in place with draws from N(mean, std**2); returns input.
    Example: ``mg.empty(2, 3).normal_(0, 0.02)``"""
    mean = _args.real(mean, "normal_: mean")
    std = _args.real(std, "normal_: std", 0.0)
    return _fill_with_draws(input, lambda rng, shape: rng.normal(mean, std, shape), "normal_")


@tensor_method(function=False)
def uniform_(input, from_=0.0, to=1.0):
    """Fill in place with draws from U[from_, to) (torch's ``from``, a Python keyword, is ``from_``:
    pass the bounds by position as torch scripts do); returns input.
    Example: ``mg.empty(2, 3).uniform_(-0.1, 0.1)``"""
    low, high = _args.real(from_, "uniform_: from"), _args.real(to, "uniform_: to")
    if not math.isfinite(low) or not math.isfinite(high):
        raise ValueError(f"uniform_: from and to must be finite, got from={from_}, to={to}")
    if low > high:
        raise ValueError(f"uniform_ expects a [from, to) range, but found from={from_} > to={to}")
    return _fill_with_draws(input, lambda rng, shape: rng.uniform(low, high, shape), "uniform_")


@tensor_method(function=False)
def exponential_(input, lambd=1.0):
    """Fill in place with draws from the exponential distribution of rate ``lambd`` (mean 1 / lambd);
    returns input. Example: ``mg.empty(4).exponential_(2.0)``"""
    rate = _args.real(lambd, "exponential_: lambd", 0.0, low_open=True)
    return _fill_with_draws(input, lambda rng, shape: rng.exponential(1.0 / rate, shape), "exponential_")


@tensor_method(function=False)
def fill_diagonal_(input, fill_value, wrap=False):
    """Set the main diagonal (entries (i, i, ..., i)) to ``fill_value`` in place; returns input.
    A 2-D input may be any shape; more dims must all be equal, as torch. ``wrap=True`` on a matrix
    taller than wide + 1 restarts the diagonal every ``columns + 1`` rows (NumPy's and torch's wrap).
    Example: ``mg.zeros(2, 3).fill_diagonal_(1.0)`` -> [[1, 0, 0], [0, 1, 0]]"""
    if not isinstance(input, Tensor):
        raise TypeError(f"fill_diagonal_ fills a Tensor, got {type(input).__name__}")
    if not (_args.is_real(fill_value) or isinstance(fill_value, (bool, np.bool_))):
        raise TypeError(f"fill_diagonal_: fill_value must be a number, got {type(fill_value).__name__}")
    wrap = _args.flag(wrap, "fill_diagonal_: wrap")
    if input.ndim < 2:
        raise ValueError(f"fill_diagonal_ needs a tensor of at least 2 dimensions, got shape {input.shape}")
    if input.ndim > 2 and len(set(input.shape)) > 1:
        raise ValueError(f"fill_diagonal_: all dimensions of input must be of equal length, got shape {input.shape}")
    height, width = input.shape[:2]
    diagonal = np.arange(min(height, width))
    index = (diagonal,) * input.ndim
    if wrap and input.ndim == 2 and height > width + 1:
        # torch continues the diagonal's stride (width + 1 elements) through the flat storage
        flat = np.arange(0, height * width, width + 1)
        index = (flat // width, flat % width)
    input[index] = fill_value
    return input
