"""minigrad: a small reverse-mode autodiff deep-learning framework.

    import minigrad as mg
    x = mg.randn(3, 4, requires_grad=True)
    (x * x).sum().backward()
"""
import builtins
import os

# Idle OpenMP threads sleep rather than spin (a spinning thread takes a core from the next kernel's
# threads, or from another process). libgomp reads this once, when it loads with the first kernel
# module below; a user's setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import accelerator, autograd, backend, backends, cuda, data, datasets, functional, nn, onnx, ops, optim
from . import profiler, utils  # tools for looking inside (observe, never change, the graph)
from ._kernels.runtime import get_num_threads, set_num_threads
from ._random import initial_seed, manual_seed
from .autograd import Op, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .dlpack import from_dlpack
from .gradcheck import GradcheckError, gradcheck
from .serialization import load, save
from .backend import device
from . import _dtypes
from ._dtypes import float32, float64, int32, int64
from ._dtypes import bool_ as bool  # noqa: A001  (mg.bool as torch.bool)
from .tensor import Tensor
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, is_tensor, linspace,
                       ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros,
                       zeros_like)

# torch's dtype names: mg.int, mg.float, mg.bool shadow builtins only as attributes (not in __all__)
long, int, float, double = int64, int32, float32, float64  # noqa: A001
int16 = short = _dtypes.DTYPE_NAMES["int16"]
int8, uint8 = _dtypes.DTYPE_NAMES["int8"], _dtypes.DTYPE_NAMES["uint8"]
float16 = half = _dtypes.float16  # storage only: ops refuse float16 tensors (autograd/op.py)
from ._legacy import BoolTensor, ByteTensor, DoubleTensor, FloatTensor, IntTensor, LongTensor  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "empty", "full", "randn", "rand", "randint", "arange", "linspace", "eye",
    "zeros_like", "ones_like", "empty_like", "full_like", "randn_like", "rand_like", "from_numpy", "as_tensor",
    "randperm",
    "is_tensor", "device", "float32", "float64", "int32", "int64", "long", "manual_seed",
    "initial_seed", "Op", "no_grad", "enable_grad", "inference_mode", "set_grad_enabled", "is_grad_enabled", "gradcheck", "GradcheckError", "cuda",
    "functional", "nn", "optim", "data", "datasets", "save", "load", "set_num_threads", "get_num_threads",
]


def _function_form(name, method):
    """mg.<name>(input, ...) for the Tensor method ``method``, with a clear error when input is not a Tensor."""
    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"mg.{name} expects a Tensor as its first argument, got {type(input).__name__}")
        return method(input, *args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``mg.{name}(x, ...)`` is ``x.{name}(...)``:\n\n{method.__doc__ or ''}"
    return function


# mg.<name>: the op table (ops/_table.py)
_functions = {name: _function_form(name, fn) if ops.TENSOR_METHODS.get(name) is fn else fn
              for name, fn in ops.TORCH_FUNCTIONS.items()}
globals().update(_functions)
# `from minigrad import *` must not replace Python's own sum, max, abs, all, int, bool, ...
__all__ += [name for name in _functions if not hasattr(builtins, name)]
__all__ += ["profiler", "utils", "from_dlpack", "accelerator", "backends", "onnx", "double", "short", "half",
            "float16", "int16", "int8", "uint8", "FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor",
            "ByteTensor"]
