"""The public kernel functions, written once for both devices.

``Kernels(loops, xp)`` binds this front to one device: ``loops`` is the module of typed loops
(``cpu_loops``: the Cython kernels; ``cuda_loops``: the CuPy kernels, same names and arguments) and
``xp`` is numpy or cupy. A method checks its arguments (wrong input raises here, never reaching a
loop), makes strided inputs contiguous, allocates the outputs and calls the loop. Arrays updated in
place (parameters, running statistics, optimizer state) may have any strides: a loop runs on a
contiguous copy of such an array and the result is written back.

    >>> from minigrad._kernels import cpu
    >>> cpu.relu_forward(np.array([-1.0, 2.0]))
    array([0., 2.])

The methods live in one module per topic (activation, attention, normalization, linear, pool, optim,
recurrent), each a
mixin of ``Kernels``; a new kernel's method goes into its topic's module, and a new topic's mixin
into the bases below.
"""
from ._base import KernelsBase
from .activation import ActivationKernels
from .attention import AttentionKernels
from .linear import LinearKernels
from .normalization import NormalizationKernels
from .optim import OptimizerKernels
from .pool import PoolKernels
from .recurrent import RecurrentKernels


class Kernels(ActivationKernels, AttentionKernels, NormalizationKernels, LinearKernels, PoolKernels, OptimizerKernels,
              RecurrentKernels, KernelsBase):
    """The kernel functions for one device. Example: ``Kernels(cpu_loops, numpy).relu_forward(x)``."""
