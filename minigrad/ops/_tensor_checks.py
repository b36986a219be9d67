"""Checks of the Tensor arguments that the topic files' functions share: float dtype, one dtype
across an input and its layer's tensors. Numbers, tuples and dims are parsed by minigrad/_args.py."""
import numpy as np

from .. import backend
from ..tensor import Tensor


def float_tensor(x, name):
    """x, refused unless it is a float32 or float64 Tensor. Example: ``float_tensor(x, "silu")``"""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} takes a Tensor, got {type(x).__name__}")
    if x.dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"{name} needs a float32 or float64 tensor, got {x.dtype}; convert it with .float() "
                        f"(or .double())")
    return x


def check_same_dtype(x, **others):
    """Raise unless x is float32/float64 and each of ``others`` (name -> Tensor or None) has x's
    dtype; the message says how to make input and model agree. Example: ``check_same_dtype(x, weight=w)``"""
    if x.dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"input must be float32 or float64, got {x.dtype}; convert it with .float() (or .double())")
    for name, t in others.items():
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"dtype mismatch: input is {x.dtype} but {name} is {t.dtype}; "
                            + _DTYPE_FIXES[np.dtype(x.dtype).name])


# how a user makes an input and a layer agree, by the input's dtype
_DTYPE_FIXES = {
    "float64": "convert the input with x.float(), or the model with model.double() to compute in float64",
    "float32": "convert the input with x.double(), or the model with model.float() to compute in float32",
}
