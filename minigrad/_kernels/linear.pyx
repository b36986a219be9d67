"""Linear layer loops (CPU). The matrix products go to BLAS through matmul in the front (front/);
the Cython part is the epilogue: the bias added into the product's output and the bias gradient, with no
extra temporaries."""
from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, real


def add_bias(real[:, ::1] y, const real[::1] bias):
    """y[n, :] += bias. y: (N, out) contiguous; bias: (out,) contiguous, y's dtype."""
    _add_bias(y, bias)


def column_sum(const real[:, ::1] g, double[::1] sums):
    """sums[j] += sum_n g[n, j], in double. g: (N, out) contiguous; sums: float64 (out,)."""
    _column_sum(g, sums)


cdef void _add_bias(real[:, ::1] y, const real[::1] bias) noexcept nogil:
    cdef Py_ssize_t n, rows = y.shape[0], cols = y.shape[1]
    with nogil:
        if rows * cols > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for n in prange(rows, schedule="static"):
                _add_to_row(&y[n, 0], &bias[0], cols)
        else:
            for n in range(rows):
                _add_to_row(&y[n, 0], &bias[0], cols)


cdef inline void _add_to_row(real* row, const real* bias, Py_ssize_t cols) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(cols):
        row[j] += bias[j]


cdef void _column_sum(const real[:, ::1] g, double[::1] sums) noexcept nogil:
    # row by row into one double accumulator per column: contiguous reads, independent lanes
    cdef Py_ssize_t n, j
    for n in range(g.shape[0]):
        for j in range(g.shape[1]):
            sums[j] += g[n, j]
