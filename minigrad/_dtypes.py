"""The dtype rules, as torch's: the dtypes and their names, the dtype data gets when it becomes a
tensor, the dtype of a Python number next to a tensor, and type promotion between operands.

Example::

    resolve_dtype("long")                      # -> int64
    to_array([1.0, 2.0], None).dtype           # -> float32 (Python floats, as torch)
    result_dtype(ints, np.asarray(2.5, float32))   # int64 (3,) with a float 0-d -> float32
"""
import math
import numbers

import numpy as np

from . import backend

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
DTYPE_NAMES = {
    "float32": float32, "float": float32, "float64": float64, "double": float64,
    "int64": int64, "long": int64, "int32": int32, "int": int32, "bool": bool_,
    "int16": np.dtype(np.int16), "short": np.dtype(np.int16), "int8": np.dtype(np.int8),
    "uint8": np.dtype(np.uint8),
}
float16 = np.dtype(np.float16)  # mg.half: storage only (create, convert, save, load); ops refuse it
TYPE_NAMES = {float32: "Float", float64: "Double", float16: "Half", int64: "Long", int32: "Int", bool_: "Bool",
              np.dtype(np.int16): "Short", np.dtype(np.int8): "Char", np.dtype(np.uint8): "Byte"}
KIND_NAMES = {"iub": "integer and bool", "iuf": "integer and float", "iufb": "integer, float and bool"}  # dtype kinds as messages name them


def resolve_dtype(dtype):
    """A numpy dtype from a dtype, its name ('float32', 'long', 'bool', ...) or a Python type;
    None stays None. Floats other than float32/float64/float16 (storage only) and non-numeric dtypes are refused."""
    if dtype is None:
        return None
    try:
        resolved = DTYPE_NAMES.get(dtype) if isinstance(dtype, str) else None
        resolved = resolved or np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}: use mg.float32, mg.float64, mg.int64, mg.int32, mg.bool or "
                        "their names (devices are 'cpu', 'cuda' or 'cuda:0')") from None
    if resolved not in backend.FLOAT_DTYPES and resolved != float16 and resolved.kind not in "iub":
        raise TypeError(f"unsupported dtype {resolved}: minigrad computes in float32 or float64 "
                        "and keeps integer and bool tensors for indices, targets and masks")
    return resolved


def check_requires_grad(dtype, requires_grad):
    if requires_grad and dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"only float32 and float64 tensors can require grad, got {dtype} "
                        "(integer and bool tensors hold indices, targets and masks)")


def python_dtype(array):
    """The dtype torch gives data built from Python numbers: floats float32, ints int64, bools bool."""
    kind = array.dtype.kind
    if kind == "f":
        return float32
    if kind in "iu":
        return int64
    return bool_ if kind == "b" else array.dtype


def to_array(data, dtype):
    """An array for ``data`` (not a Tensor: callers pass a Tensor's ``._data``) following the dtype
    rules: Python floats become float32, ints int64, bools bool; arrays (and NumPy scalars) keep
    their dtype."""
    if isinstance(data, np.ndarray) or (not isinstance(data, (numbers.Number, list, tuple))
                                        and hasattr(data, "__cuda_array_interface__")):
        array = data
    elif isinstance(data, np.generic):
        array = np.asarray(data)
    else:
        try:
            array = np.asarray(data)
        except ValueError:  # NumPy's words for a ragged list ("inhomogeneous shape") name no fix
            raise ValueError("cannot make a tensor from nested sequences of different lengths: every row "
                             "of a (nested) list must have the same length") from None
        if dtype is None and array.dtype.kind in "iufb":
            array = array.astype(python_dtype(array), copy=False)
    if array.dtype.kind not in "iufb":
        raise TypeError(f"cannot make a tensor from data of dtype {array.dtype}")
    if dtype is not None:
        return array.astype(dtype, copy=False)
    if array.dtype.kind == "f" and array.dtype not in backend.FLOAT_DTYPES and array.dtype != float16:
        raise TypeError(f"unsupported dtype {array.dtype}: minigrad computes in float32 or float64")
    return array


def like_value(array, value):
    """A Python number ``value`` as a 0-d array in the dtype torch gives it next to ``array``: a float
    array's own dtype; next to integers and bools, floats become float32 and ints keep the integer
    dtype (int64 next to bools). Example: int64 tensor * 2.5 -> float32, int64 tensor + 1 -> int64."""
    dtype = array.dtype
    if dtype.kind != "f":
        if isinstance(value, (bool, np.bool_)):
            pass
        elif isinstance(value, numbers.Integral):
            dtype = dtype if dtype.kind in "iu" else int64
        else:
            dtype = float32
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"unsupported operand {value!r} for a tensor of dtype {array.dtype}") from None


def check_fill(value, dtype):
    """Refuse, as torch's fills do (full, new_full, full_like, fill_, masked_fill, x[i] = v, scatter,
    nn.init.constant_), a number that ``dtype`` cannot hold: a finite float beyond its range (1e300
    in float32 would be inf) or an integer beyond its bounds (it would wrap). NaN and +-inf fill
    float tensors; anything fills bool. dtype None: the value's own (a NumPy scalar's dtype; float32
    for a Python float, int64 for an int). Example: ``check_fill(1e300, float32)`` raises."""
    if dtype is None:
        dtype = value.dtype if isinstance(value, np.generic) else float32 if isinstance(value, float) else int64
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)) or dtype.kind == "b":
        return
    if dtype.kind == "f":
        fits = not math.isfinite(value) or abs(value) <= float(np.finfo(dtype).max)
    else:
        bounds = np.iinfo(dtype)
        fits = math.isfinite(value) and bounds.min <= int(value) <= bounds.max
    if not fits:
        raise RuntimeError(f"value {value!r} cannot be converted to type {dtype} without overflow")


def common_dtype(dtypes):
    """The dtype that operands of ``dtypes`` compute in, as torch: a float operand's dtype wins over
    integer and bool ones; between floats or between integers NumPy's rule (the wider) agrees with
    torch. Example: ``common_dtype([int64, float32])`` -> float32"""
    floats = [d for d in dtypes if d.kind == "f"]
    return np.result_type(*(floats or dtypes))


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def result_dtype(a, b):
    """torch's result type of two operands: those with dimensions decide, and a 0-d one (a 0-d
    tensor, or a Python number, which arrives as a 0-d array already in torch's dtype for it) only
    counts when its category is higher (float over integer over bool). Example: float32 (3,) with a
    float64 0-d tensor -> float32; int64 (3,) with a float64 0-d tensor -> float64."""
    if (a.ndim == 0) == (b.ndim == 0):
        return common_dtype((a.dtype, b.dtype))
    dims, zero = (a.dtype, b.dtype) if b.ndim == 0 else (b.dtype, a.dtype)
    return zero if _CATEGORY[zero.kind] > _CATEGORY[dims.kind] else dims


def alpha_factor(dtype, alpha, what):
    """add/sub's ``alpha`` as the factor of the other operand for a result of ``dtype``: as torch,
    alpha never changes the result's dtype, so a bool result takes bool(alpha) (True + 2 * True is
    True); a bool alpha needs a bool result, a float alpha a float one.
    Example: ``alpha_factor(bool_, 2, "add")`` -> True"""
    if isinstance(alpha, (bool, np.bool_)) and dtype.kind != "b":
        raise RuntimeError(f"{what}: a bool alpha is only supported for bool results, got {dtype}")
    if dtype.kind != "f" and not isinstance(alpha, numbers.Integral):
        raise TypeError(f"{what}: for integer and bool tensors alpha must not be a float, got {alpha!r}")
    return bool(alpha) if dtype.kind == "b" else alpha


def promote(a, b):
    """``a`` and ``b`` cast to their result dtype (see result_dtype)."""
    dtype = result_dtype(a, b)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def as_float(x):
    """``x`` itself when it is a float array, else as float32 (torch's exp, sqrt, ... of integers)."""
    return x if x.dtype.kind == "f" else x.astype(float32)
