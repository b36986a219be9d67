"""torch's type promotion for ops whose operands may be integer or bool arrays."""
import numpy as np

_FLOAT32 = np.dtype(np.float32)


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


def promote(a, b):
    """``a`` and ``b`` cast to their result dtype (see result_dtype)."""
    dtype = result_dtype(a, b)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def as_float(x):
    """``x`` itself when it is a float array, else as float32 (torch's exp, sqrt, ... of integers)."""
    return x if x.dtype.kind == "f" else x.astype(_FLOAT32)
