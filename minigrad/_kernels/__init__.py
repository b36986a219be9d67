"""Compiled kernels. ``for_array(x)`` gives the module for x's device: the Cython kernels (``cpu``)
for numpy arrays, the CuPy kernels (``cuda``) for cupy arrays. Both export the same functions."""
import numpy as np

from . import cpu


def for_array(array):
    if isinstance(array, np.ndarray):
        return cpu
    from . import cuda  # imports cupy: only reached with a cupy array in hand

    return cuda
