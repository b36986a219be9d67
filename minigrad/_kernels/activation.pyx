"""ReLU loops (CPU). The front (front.py) checks and allocates; these take C-contiguous arrays of
one shape and dtype and fill the output."""
import numpy as np

from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, real


def relu_forward(x, y):
    """y = max(x, 0) with NaN propagating (as torch)."""
    if x.dtype == np.float32:
        _relu_forward[float](x.reshape(-1), y.reshape(-1))
    else:
        _relu_forward[double](x.reshape(-1), y.reshape(-1))


def relu_backward(gy, y, gx):
    """gx = 0 where the forward output y <= 0, else gy (a NaN output passes gy, as torch)."""
    if y.dtype == np.float32:
        _relu_backward[float](gy.reshape(-1), y.reshape(-1), gx.reshape(-1))
    else:
        _relu_backward[double](gy.reshape(-1), y.reshape(-1), gx.reshape(-1))


cdef void _relu_forward(const real[::1] x, real[::1] y) noexcept nogil:
    cdef Py_ssize_t i, n = x.shape[0]
    cdef real v
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        v = x[i]
        y[i] = 0 if v <= 0 else v  # NaN <= 0 is false: NaN passes; still a branchless select


cdef void _relu_backward(const real[::1] gy, const real[::1] y, real[::1] gx) noexcept nogil:
    cdef Py_ssize_t i, n = y.shape[0]
    cdef real g
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        g = gy[i]  # loaded unconditionally, so the select below compiles without a branch
        gx[i] = 0 if y[i] <= 0 else g
