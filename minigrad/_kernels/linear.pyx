"""Linear layer kernels (CPU). The matrix products go to BLAS through NumPy's matmul; the Cython
part is the epilogue: the bias added into the product's output and the bias gradient, with no
extra temporaries."""
import numpy as np

from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, real
from ._checks import check_linear, check_linear_backward


def linear_forward(x, weight, bias):
    """y = x @ weight.T + bias. x: (N, in); weight: (out, in); bias: (out,) or None. Returns (N, out).

    >>> linear_forward(np.ones((2, 3)), np.ones((4, 3)), np.zeros(4)).shape
    (2, 4)
    """
    check_linear(x, weight, bias)
    y = np.matmul(x, weight.T)
    if bias is not None:
        if y.dtype == np.float32:
            _add_bias[float](y, bias)
        else:
            _add_bias[double](y, bias)
    return y


def linear_backward(gy, x, weight, bint needs_x, bint needs_weight, bint needs_bias):
    """(gx, gweight, gbias) for y = x @ weight.T + bias, each None when not needed.

    gy: (N, out) C-contiguous; x: (N, in); weight: (out, in), all of one dtype.
    """
    check_linear_backward(gy, x, weight)
    gx = np.matmul(gy, weight) if needs_x else None
    gweight = np.matmul(gy.T, x) if needs_weight else None
    gbias = None
    if needs_bias:
        sums = np.zeros(gy.shape[1])
        if gy.dtype == np.float32:
            _column_sum[float](gy, sums)
        else:
            _column_sum[double](gy, sums)
        gbias = sums.astype(gy.dtype)
    return gx, gweight, gbias


cdef void _add_bias(real[:, ::1] y, const real[::1] bias) noexcept nogil:
    cdef Py_ssize_t n, j, rows = y.shape[0], cols = y.shape[1]
    for n in prange(rows, schedule="static", use_threads_if=rows * cols > PARALLEL_MIN):
        for j in range(cols):
            y[n, j] += bias[j]


cdef void _column_sum(const real[:, ::1] g, double[::1] sums) noexcept nogil:
    # row by row into one double accumulator per column: contiguous reads, independent lanes
    cdef Py_ssize_t n, j
    for n in range(g.shape[0]):
        for j in range(g.shape[1]):
            sums[j] += g[n, j]
