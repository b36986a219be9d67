"""torch's type promotion for ops whose operands may be integer or bool arrays."""
import numpy as np

_FLOAT32 = np.dtype(np.float32)


def common_dtype(dtypes):
    """The dtype that operands of ``dtypes`` compute in, as torch: a float operand's dtype wins over
    integer and bool ones; between floats or between integers NumPy's rule (the wider) agrees with
    torch. Example: ``common_dtype([int64, float32])`` -> float32"""
    floats = [d for d in dtypes if d.kind == "f"]
    return np.result_type(*(floats or dtypes))


def promote(a, b):
    """``a`` and ``b`` cast to their common dtype."""
    dtype = common_dtype((a.dtype, b.dtype))
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def as_float(x):
    """``x`` itself when it is a float array, else as float32 (torch's exp, sqrt, ... of integers)."""
    return x if x.dtype.kind == "f" else x.astype(_FLOAT32)
