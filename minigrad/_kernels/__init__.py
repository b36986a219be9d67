"""Compiled kernels. ``for_array(x)`` gives the module for x's device: the Cython kernels (``cpu``)
for numpy arrays, the CuPy kernels (``cuda``) for cupy arrays. Both export the same functions."""
import os

import numpy as np

from . import cpu, runtime

if os.environ.get("MINIGRAD_MALLOC_TUNING", "1") != "0":
    runtime.tune_malloc()


def for_array(array):
    if isinstance(array, np.ndarray):
        return cpu
    from . import cuda  # imports cupy: only reached with a cupy array in hand

    return cuda
