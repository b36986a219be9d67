"""minigrad: a small reverse-mode autodiff deep-learning framework.

    import minigrad as mg
    x = mg.randn(3, 4, requires_grad=True)
    (x * x).sum().backward()
"""
from . import autograd, backend, cuda, data, datasets, functional, nn, ops, optim
from . import profiler, utils  # tools for looking inside (observe, never change, the graph)
from ._kernels.runtime import get_num_threads, set_num_threads
from ._random import initial_seed, manual_seed
from .autograd import Op, is_grad_enabled, no_grad
from .dlpack import from_dlpack
from .gradcheck import GradcheckError, gradcheck
from .serialization import load, save
from .tensor import Tensor, float32, float64, ones, rand, randn, tensor, zeros

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "zeros", "ones", "randn", "rand", "float32", "float64", "manual_seed",
    "initial_seed", "Op", "no_grad", "is_grad_enabled", "gradcheck", "GradcheckError", "cuda",
    "functional", "nn", "optim", "data", "datasets", "save", "load", "set_num_threads", "get_num_threads",
]
__all__ += ["profiler", "utils", "from_dlpack"]
