"""Functions that make tensors, with torch's names, arguments and default dtypes.

Python floats give float32, ints int64 and bools bool; ``dtype=``, ``requires_grad=`` and ``device=``
work as in torch. Random tensors come from the generator that ``mg.manual_seed`` seeds.
"""

import math

import numpy as np

from . import _args, _random, backend
from ._dtypes import check_fill, check_requires_grad, float32, int64, resolve_dtype, to_array
from .tensor import Tensor


def tensor(data, dtype=None, requires_grad=False, device="cpu"):
    """A new tensor from a number, nested list, numpy/cupy array or Tensor (always a copy).

    Example: ``mg.tensor([1, 2]).dtype`` -> int64; ``mg.tensor([1.0, 2]).dtype`` -> float32
    """
    return Tensor(data, dtype=dtype, requires_grad=requires_grad, device=device)


def _size(size):
    shape = _args.shape(size)
    if any(s < 0 for s in shape):
        raise ValueError(f"sizes must be non-negative, got {shape}")
    return shape


def _create(array, dtype, requires_grad, device, default=float32):
    dtype = resolve_dtype(dtype) or default
    check_requires_grad(dtype, requires_grad)
    return Tensor._wrap(backend.to_device(array.astype(dtype, copy=False), device), bool(requires_grad))


def _create_float(array, dtype, requires_grad, device, what):
    dtype = resolve_dtype(dtype) or float32
    if dtype.kind != "f":
        raise TypeError(f"{what} makes float32 or float64 tensors, not {dtype}")
    return _create(array, dtype, requires_grad, device)


def zeros(*size, dtype=None, requires_grad=False, device="cpu"):
    """Zeros of shape ``size`` (``zeros(2, 3)`` or ``zeros((2, 3))``), float32 by default."""
    return _create(np.zeros(_size(size)), dtype, requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device="cpu"):
    return _create(np.ones(_size(size)), dtype, requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device="cpu"):
    """A tensor of shape ``size`` whose values are whatever the memory held."""
    # allocated in its dtype: float garbage cast to an integer dtype would warn about invalid casts
    return _create(np.empty(_size(size), dtype=resolve_dtype(dtype) or float32), dtype, requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device="cpu"):
    """``fill_value`` everywhere; the dtype follows the value (float32, int64 or bool) unless given.

    Example: ``mg.full((2, 2), 7).dtype`` -> int64
    """
    # converted straight to a given dtype: through float32 first, 0.1 into float64 would be 0.10000000149
    check_fill(fill_value, resolve_dtype(dtype))
    fill = to_array(fill_value._data if isinstance(fill_value, Tensor) else fill_value, resolve_dtype(dtype))
    if fill.ndim:
        raise ValueError(f"full's fill_value must be a number, got shape {fill.shape}")
    return _create(np.full(_size((size,)), fill), dtype, requires_grad, device, default=fill.dtype)


def randn(*size, dtype=None, requires_grad=False, device="cpu"):
    """Standard normal samples."""
    return _create_float(_random.generator().standard_normal(_size(size)), dtype, requires_grad, device, "randn")


def rand(*size, dtype=None, requires_grad=False, device="cpu"):
    """Uniform samples in [0, 1)."""
    return _create_float(_random.generator().random(_size(size)), dtype, requires_grad, device, "rand")


def randint(*args, size=None, dtype=None, requires_grad=False, device="cpu"):
    """Uniform integers in [low, high), int64 by default: ``randint(low, high, size)`` or
    ``randint(high, size)`` (low 0). Example: ``mg.randint(0, 10, (3,))`` -> e.g. tensor([4, 0, 7])"""
    if size is None and args:
        args, size = args[:-1], args[-1]
    if len(args) not in (1, 2) or size is None:
        raise TypeError("randint takes (low, high, size) or (high, size)")
    low, high = (0, args[0]) if len(args) == 1 else args
    low, high = _args.integer(low, "randint: low"), _args.integer(high, "randint: high")
    if not low < high:
        raise ValueError(f"randint needs low < high, got low={low}, high={high}")
    shape = _size(size if isinstance(size, (tuple, list)) else (size,))
    return _create(_random.generator().integers(low, high, shape), dtype, requires_grad, device, default=int64)


def randperm(n, dtype=None, requires_grad=False, device="cpu"):
    """A random permutation of 0 .. n-1 (int64 by default), from the generator mg.manual_seed seeds.
    Example: ``mg.randperm(4)`` -> e.g. tensor([2, 0, 3, 1])"""
    n = _args.integer(n, "randperm: n", 0)
    return _create(_random.generator().permutation(n), dtype, requires_grad, device, default=int64)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device="cpu"):
    """Values start, start + step, ... below end (``arange(end)`` starts at 0): int64 when all three
    are ints, else float32. Example: ``mg.arange(1, 7, 2)`` -> tensor([1, 3, 5])"""
    if end is None:
        start, end = 0, start
    bounds = (start, end, step)
    for name, bound in zip(("start", "end", "step"), bounds):
        _args.real(bound, f"arange: {name}")
    if (step > 0 and end < start) or (step < 0 and end > start):  # as torch (NumPy gives an empty range)
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign: start {start}, "
                           f"end {end}, step {step}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    integral = all(_args.is_int(b) for b in bounds)
    dtype = resolve_dtype(dtype) or (int64 if integral else float32)
    return _create(_range_values(start, end, step, dtype), dtype, requires_grad, device)


def _range_values(start, end, step, dtype):
    """arange's values as torch computes them for ``dtype``: ceil((end - start) / step) values
    start + i * step, in double with one rounding (a fused multiply-add, as torch's CUDA and scalar CPU
    loops; its CPU vector loop, for the elements before the last 16 floats or 8 doubles, starts each
    vector of 8 floats or 4 doubles at a rounded value, which can differ in the last place).
    Integer dtypes step from the bounds truncated to integers, and int64 also counts from them:
    arange(0, 2.5, dtype=int64) is [0, 1], with int32 [0, 1, 2]."""
    if dtype == int64:
        first, stride = int(start), int(step)
        if stride == 0:
            raise ValueError(f"arange: step {step!r} is 0 once truncated to an integer (dtype int64)")
        count = (int(end) - first + stride - (1 if stride > 0 else -1)) // stride
        return first + stride * np.arange(max(count, 0), dtype=np.int64)
    count = (float(end) - float(start)) / float(step)
    if not math.isfinite(count):
        raise ValueError(f"arange: unsupported range {start} -> {end} with step {step}")
    indices = np.arange(max(math.ceil(count), 0), dtype=np.float64)
    if dtype.kind != "f":
        return int(start) + int(step) * indices.astype(np.int64)
    return _fused_multiply_add(float(step), indices, float(start))


def _split(a):
    """(high, low): a = high + low exactly, each half of a double's bits (Veltkamp's splitting)."""
    c = 134217729.0 * a  # 2^27 + 1
    high = c - (c - a)
    return high, a - high


def _fused_multiply_add(a, b, c):
    """a * b + c rounded once (up to rare double roundings), for a float a and c and an array b:
    the exact product as p + e (Dekker's two-product) and the sum's error (Knuth's two-sum)."""
    p = a * b
    (a_high, a_low), (b_high, b_low) = _split(a), _split(b)
    e = ((a_high * b_high - p) + a_high * b_low + a_low * b_high) + a_low * b_low
    s = p + c
    s_part = s - p
    return s + (((p - (s - s_part)) + (c - s_part)) + e)


def linspace(start, end, steps, dtype=None, requires_grad=False, device="cpu"):
    """``steps`` evenly spaced values from start to end, both included (float32 by default)."""
    steps = _args.integer(steps, "linspace: steps", 0)
    return _create(np.linspace(start, end, steps), dtype, requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device="cpu"):
    """The n x m (m defaults to n) identity matrix."""
    rows, columns = _size((n, n if m is None else m))
    return _create(np.eye(rows, columns), dtype, requires_grad, device)


def zeros_like(input, dtype=None, requires_grad=False, device=None):
    """Zeros with ``input``'s shape, dtype and device (unless given)."""
    return _like(input, np.zeros(input.shape), dtype, requires_grad, device)


def ones_like(input, dtype=None, requires_grad=False, device=None):
    return _like(input, np.ones(input.shape), dtype, requires_grad, device)


def empty_like(input, dtype=None, requires_grad=False, device=None):
    return _like(input, np.empty(input.shape, dtype=resolve_dtype(dtype) or input.dtype), dtype, requires_grad, device)


def full_like(input, fill_value, dtype=None, requires_grad=False, device=None):
    check_fill(fill_value, resolve_dtype(dtype) or input.dtype)
    return _like(input, np.full(input.shape, fill_value), dtype, requires_grad, device)


def randn_like(input, dtype=None, requires_grad=False, device=None):
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, device=device or input.device)


def rand_like(input, dtype=None, requires_grad=False, device=None):
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, device=device or input.device)


def _like(input, array, dtype, requires_grad, device):
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a Tensor, got {type(input).__name__}")
    return _create(array, dtype or input.dtype, requires_grad, device or input.device)


def from_numpy(array):
    """A tensor that shares memory with the NumPy ``array`` (changes show in both), dtype kept."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(to_array(array, None), False)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory when it already is one (or an array) of that dtype and
    device; otherwise a converted copy. Python data follows mg.tensor's dtype rules."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    array = to_array(data, resolve_dtype(dtype))
    return Tensor._wrap(backend.to_device(array, device or backend.device_of(array)), False)


def is_tensor(obj):
    return isinstance(obj, Tensor)
