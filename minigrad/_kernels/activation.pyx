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


cdef inline real _relu(real v) noexcept nogil:
    return 0 if v <= 0 else v  # NaN <= 0 is false: NaN passes; still a branchless select


cdef inline real _relu_gradient(real g, real y) noexcept nogil:
    # g is loaded unconditionally, so the select compiles without a branch
    return 0 if y <= 0 else g


cdef void _relu_forward(const real[::1] x, real[::1] y) noexcept nogil:
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                y[i] = _relu(x[i])
        else:
            for i in range(n):
                y[i] = _relu(x[i])


cdef void _relu_backward(const real[::1] gy, const real[::1] y, real[::1] gx) noexcept nogil:
    cdef Py_ssize_t i, n = y.shape[0]
    with nogil:
        if n > PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = _relu_gradient(gy[i], y[i])
        else:
            for i in range(n):
                gx[i] = _relu_gradient(gy[i], y[i])
