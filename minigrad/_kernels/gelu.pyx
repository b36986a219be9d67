"""GELU loops (CPU), exact and tanh-approximated, and erf itself, on flat C-contiguous arrays checked
and allocated by the kernel front. Computed in the array's dtype (float32 without libm calls, so the
loops vectorize); the formulas are gelu.h's, shared with cuda/gelu.cu."""
from cython.parallel cimport prange
from libc.math cimport erf

from ._types cimport PARALLEL_MIN, real

cdef extern from "gelu.h" nogil:
    double gelu(double v, int tanh_approximation)
    double gelu_derivative(double v, int tanh_approximation)
    float gelu_float(float v, int tanh_approximation)
    float gelu_derivative_float(float v, int tanh_approximation)

cdef enum:
    # an erf or exp per element (float32: a few cycles vectorized, float64: libm's tens) costs several
    # times a copy: threads pay off at an eighth of the elements that a memory-bound loop needs
    GELU_PARALLEL_MIN = PARALLEL_MIN // 8


cdef inline real gelu_of(real v, int tanh_approximation) noexcept nogil:
    if real is float:
        return gelu_float(v, tanh_approximation)
    return gelu(v, tanh_approximation)


cdef inline real gelu_derivative_of(real v, int tanh_approximation) noexcept nogil:
    if real is float:
        return gelu_derivative_float(v, tanh_approximation)
    return gelu_derivative(v, tanh_approximation)


def gelu_forward(const real[::1] x, real[::1] y, bint tanh_approximation):
    """Fill y = gelu(x); x, y: 1-D of one dtype."""
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > GELU_PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                y[i] = gelu_of(x[i], tanh_approximation)
        else:
            for i in range(n):
                y[i] = gelu_of(x[i], tanh_approximation)


def erf_forward(const real[::1] x, real[::1] y):
    """Fill y = erf(x) (the math library's, in double); x, y: 1-D of one dtype."""
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > GELU_PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                y[i] = <real>erf(<double>x[i])
        else:
            for i in range(n):
                y[i] = <real>erf(<double>x[i])


def gelu_backward(const real[::1] gy, const real[::1] x, real[::1] gx, bint tanh_approximation):
    """Fill gx = gy * gelu'(x); all 1-D of one dtype."""
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > GELU_PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = gy[i] * gelu_derivative_of(x[i], tanh_approximation)
        else:
            for i in range(n):
                gx[i] = gy[i] * gelu_derivative_of(x[i], tanh_approximation)
