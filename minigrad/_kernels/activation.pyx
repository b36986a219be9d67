"""ReLU kernels (CPU). Arrays of any shape, float32 or float64, C-contiguous."""
import numpy as np

from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, real
from ._checks import check_float_array, check_like


def relu_forward(x):
    """y = max(x, 0). x: any shape; returns a new array of the same shape and dtype.

    >>> relu_forward(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    check_float_array(x, "x")
    y = np.empty_like(x)
    if x.dtype == np.float32:
        _relu_forward[float](x.reshape(-1), y.reshape(-1))
    else:
        _relu_forward[double](x.reshape(-1), y.reshape(-1))
    return y


def relu_backward(gy, y):
    """gx = gy where the forward output y > 0, else 0. gy and y of the same shape and dtype."""
    check_float_array(y, "y")
    check_like(gy, "gy", y, "y")
    gx = np.empty_like(y)
    if y.dtype == np.float32:
        _relu_backward[float](gy.reshape(-1), y.reshape(-1), gx.reshape(-1))
    else:
        _relu_backward[double](gy.reshape(-1), y.reshape(-1), gx.reshape(-1))
    return gx


cdef void _relu_forward(const real[::1] x, real[::1] y) noexcept nogil:
    cdef Py_ssize_t i, n = x.shape[0]
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        y[i] = x[i] if x[i] > 0 else 0


cdef void _relu_backward(const real[::1] gy, const real[::1] y, real[::1] gx) noexcept nogil:
    cdef Py_ssize_t i, n = y.shape[0]
    cdef real g
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        g = gy[i]  # loaded unconditionally, so the select below compiles without a branch
        gx[i] = g if y[i] > 0 else 0
