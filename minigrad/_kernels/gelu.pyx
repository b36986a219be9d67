"""GELU loops (CPU), exact and tanh-approximated, and erf itself, on flat C-contiguous arrays checked
and allocated by the kernel front. Computed in double for both dtypes (erf and tanh from libm).

exact:  y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)),   y' = Phi(x) + x phi(x)
tanh:   y = 0.5 x (1 + tanh(u)), u = sqrt(2 / pi) (x + 0.044715 x^3),
        y' = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2 / pi) (1 + 3 * 0.044715 x^2)
"""
import numpy as np

from cython.parallel cimport prange
from libc.math cimport erf, exp, tanh

from ._types cimport PARALLEL_MIN, real

cdef double SQRT_HALF = 0.7071067811865476
cdef double INV_SQRT_2PI = 0.3989422804014327
cdef double SQRT_2_OVER_PI = 0.7978845608028654
cdef double CUBIC = 0.044715

cdef enum:
    # erf or tanh costs tens of cycles per element: threads pay off at an eighth of the elements
    # that a memory-bound loop needs
    GELU_PARALLEL_MIN = PARALLEL_MIN // 8


def gelu_forward(x, y, bint tanh_approximation):
    """Fill y = gelu(x); x, y: 1-D of one dtype."""
    if x.dtype == np.float32:
        _forward[float](x, y, tanh_approximation)
    else:
        _forward[double](x, y, tanh_approximation)


def erf_forward(x, y):
    """Fill y = erf(x) (libm's, in double); x, y: 1-D of one dtype."""
    if x.dtype == np.float32:
        _erf[float](x, y)
    else:
        _erf[double](x, y)


def gelu_backward(gy, x, gx, bint tanh_approximation):
    """Fill gx = gy * gelu'(x); all 1-D of one dtype."""
    if x.dtype == np.float32:
        _backward[float](gy, x, gx, tanh_approximation)
    else:
        _backward[double](gy, x, gx, tanh_approximation)


cdef void _forward(const real[::1] x, real[::1] y, bint tanh_approximation) noexcept nogil:
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > GELU_PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                y[i] = <real>_gelu(x[i], tanh_approximation)
        else:
            for i in range(n):
                y[i] = <real>_gelu(x[i], tanh_approximation)


cdef void _backward(const real[::1] gy, const real[::1] x, real[::1] gx, bint tanh_approximation) noexcept nogil:
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > GELU_PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = <real>(gy[i] * _gelu_derivative(x[i], tanh_approximation))
        else:
            for i in range(n):
                gx[i] = <real>(gy[i] * _gelu_derivative(x[i], tanh_approximation))


cdef void _erf(const real[::1] x, real[::1] y) noexcept nogil:
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > GELU_PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                y[i] = <real>erf(<double>x[i])
        else:
            for i in range(n):
                y[i] = <real>erf(<double>x[i])


cdef inline double _gelu(double v, bint tanh_approximation) noexcept nogil:
    if tanh_approximation:
        return 0.5 * v * (1 + tanh(SQRT_2_OVER_PI * (v + CUBIC * v * v * v)))
    return 0.5 * v * (1 + erf(v * SQRT_HALF))


cdef inline double _gelu_derivative(double v, bint tanh_approximation) noexcept nogil:
    cdef double t, sech2
    if tanh_approximation:
        t = tanh(SQRT_2_OVER_PI * (v + CUBIC * v * v * v))
        sech2 = 1 - t * t
        # where tanh saturates the second term is 0, also for |x| so large that x^3 overflows
        return 0.5 * (1 + t) + (0.5 * v * sech2 * SQRT_2_OVER_PI * (1 + 3 * CUBIC * v * v) if sech2 > 0 else 0)
    return 0.5 * (1 + erf(v * SQRT_HALF)) + v * INV_SQRT_2PI * exp(-0.5 * v * v)
