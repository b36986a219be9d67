"""The one place arguments are parsed and checked, with the messages users see.

Every checker takes the value and ``what`` (how the message names it: ``"Dropout: p"``,
``"SGD: lr"``), returns the value in its canonical Python type, and raises
:class:`ArgumentTypeError` for a value of the wrong type and ValueError for a value out of range.
Semantic checks run once, in the user-facing function; layers, optimizers and schedulers call the
same checkers at construction. The kernel front (``_kernels/_checks.py``) checks only what protects
memory.

Example::

    p = _args.probability(p, "dropout probability")      # 0.5 -> 0.5; "a" -> ArgumentTypeError
    kernel_size = _args.int_tuple(3, 2, "MaxPool2d: kernel_size", minimum=1)   # -> (3, 3)
"""
import math
import numbers
import warnings

import numpy as np


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type. A TypeError, as torch raises; also a ValueError, because
    minigrad raised ValueError for some of these before, and ``except ValueError`` must still catch them."""


def is_int(value):
    """True for Python and NumPy integers, False for bools (``True`` is not a size or a dim)."""
    return type(value) is int or (isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)))


def is_real(value):
    """True for Python and NumPy real numbers, False for bools."""
    return type(value) is float or type(value) is int or (
        isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)))


def integer(value, what, minimum=None):
    """``value`` as an int >= ``minimum`` (if given). Example: ``integer(3, "num_layers", 1)`` -> 3"""
    if not is_int(value):
        raise ArgumentTypeError(f"{what} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, got {value!r}")
    return int(value)


def positive_int(value, what):
    """``value`` as an int >= 1. Example: ``positive_int(64, "Linear: in_features")`` -> 64"""
    if not is_int(value):
        raise ArgumentTypeError(f"{what} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return int(value)


def real(value, what, low=-math.inf, high=math.inf, low_open=False, high_open=False):
    """``value`` as a float in the interval [low, high] (open at either end on request); NaN is
    always refused. Example: ``real(1e-5, "eps", 0, low_open=True)`` -> 1e-05"""
    if not is_real(value):
        raise ArgumentTypeError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    inside = (low < value if low_open else low <= value) and (value < high if high_open else value <= high)
    if not inside:
        raise ValueError(f"{what} must be a number {_interval(low, high, low_open, high_open)}, got {value!r}")
    return float(value)


def _interval(low, high, low_open, high_open):
    if (low, high, low_open, high_open) == (-math.inf, math.inf, False, False):  # only NaN is outside
        return "other than NaN"
    if high == math.inf:
        return f"{'>' if low_open else '>='} {low:g}"
    if low == -math.inf:
        return f"{'<' if high_open else '<='} {high:g}"
    return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def probability(p, what="probability"):
    """``p`` as a float in [0, 1]. Example: ``probability(0.5, "dropout probability")`` -> 0.5"""
    return real(p, what, 0.0, 1.0)


def flag(value, what):
    """``value`` as a bool; ints and strings are refused, as torch's bool arguments refuse them."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{what} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def choice(value, what, options):
    """``value`` if it is one of ``options``. Example: ``choice("mean", "reduction", REDUCTIONS)``"""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{what} must be one of {', '.join(map(repr, options))}, got {value!r}")
    return value


def int_tuple(value, n, what, minimum=0):
    """``value`` (one int, or n ints) as a tuple of n ints >= ``minimum``.

    Example: ``int_tuple((2, 3), 2, "Conv2d: stride", minimum=1)`` -> (2, 3)
    """
    values = (value,) * n if is_int(value) else value
    if not isinstance(values, (tuple, list)) or len(values) != n or not all(is_int(v) for v in values):
        raise ArgumentTypeError(f"{what} must be an int or {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{what} must be an int >= {minimum} or {n} such ints, got {value!r}")
    return tuple(int(v) for v in values)


def shape(sizes, what="sizes"):
    """A tuple of ints from ``f(2, 3)`` or ``f((2, 3))`` style arguments (``sizes`` is the args tuple).

    Example: ``shape(((2, 3),))`` -> (2, 3)
    """
    sizes = sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
    if not all(is_int(size) for size in sizes):
        raise ArgumentTypeError(f"{what} must be ints, got {tuple(sizes)!r}")
    return tuple(map(int, sizes))


def dim_index(dim, ndim):
    """``dim`` as an index in [0, ndim): IndexError out of range, as torch. A 0-d tensor accepts 0
    and -1, as torch's reductions do.

    Example: ``dim_index(-1, 3)`` -> 2
    """
    if type(dim) is not int and not is_int(dim):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(f"dim {dim} is out of range for a tensor with {ndim} dimensions "
                         f"(expected a dim in [{-bound}, {bound - 1}])")
    return int(dim) % bound


def dim_tuple(dim, ndim):
    """The sorted dims that ``dim`` names: all of them for None (or an empty tuple), else an int or a
    tuple/list of ints, each once. Example: ``dim_tuple((-1, 0), 3)`` -> (0, 2)"""
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, kept short
        return (dim % ndim,)
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    dims = [dim_index(d, ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,))]
    if len(set(dims)) != len(dims):
        raise ValueError(f"dim {tuple(dim)} names a dimension more than once")
    return tuple(sorted(d for d in dims if d < ndim))


def reduction_dims(dim, keepdim, axis, keepdims):
    """(dim, keepdim) from torch's names and their NumPy aliases axis and keepdims."""
    if axis is not None:
        if dim is not None:
            raise TypeError("pass dim or its alias axis, not both")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return (tuple(dim) if isinstance(dim, list) else dim), bool(keepdim)


def correction(unbiased, correction):
    """var/std's correction from torch's two spellings (default 1: unbiased)."""
    if unbiased is not None and correction is not None:
        raise TypeError("pass unbiased or correction, not both")
    return correction if correction is not None else (0 if unbiased is False else 1)


NO_ALPHA = object()  # alpha not given: tells the deprecated overload from a keyword alpha


def alpha_overload(name, other, extra, alpha, positional_alpha=False):
    """(other, alpha) of ``x.add(other, *extra, alpha=...)`` (and sub, add_, sub_), with torch's
    deprecated overload ``x.add_(Number alpha, Tensor other)`` (older scripts' ``p.data.add_(-lr,
    p.grad)``): accepted with torch's UserWarning (scalars commute, so ``x.add_(2, 3)`` is the same either
    way). positional_alpha: the in-place methods also keep minigrad's ``x.add_(tensor, alpha)``."""
    if not extra:
        return other, 1 if alpha is NO_ALPHA else alpha
    if len(extra) == 1 and alpha is NO_ALPHA and is_real(other):
        warnings.warn(f"This overload of {name} is deprecated:\n\t{name}(Number alpha, Tensor other)\nConsider using "
                      f"one of the following signatures instead:\n\t{name}(Tensor other, *, Number alpha = 1)",
                      UserWarning, stacklevel=3)
        return extra[0], other
    if len(extra) == 1 and alpha is NO_ALPHA and positional_alpha:
        return other, extra[0]
    if len(extra) == 1 and is_real(other):
        raise TypeError(f"{name}() received an invalid combination of arguments - got unrecognized keyword "
                        f"arguments: alpha (the deprecated {name}(Number alpha, Tensor other) takes no alpha=)")
    raise TypeError(f"{name}() takes 1 positional argument but {1 + len(extra)} were given; use "
                    f"{name}(other, alpha=...)")
