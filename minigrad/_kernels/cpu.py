"""The CPU kernel module: every Cython kernel under one name, matching ``cuda.py`` function for
function."""
from .activation import relu_backward, relu_forward

__all__ = ["relu_forward", "relu_backward"]
