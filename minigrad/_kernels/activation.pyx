"""ReLU, hardtanh, sigmoid, tanh, softplus and logsigmoid loops (CPU). The front checks and allocates; these take flat C-contiguous arrays of one
length and dtype and fill the output. The per-element rule is activation.h's, shared with
cuda/activation.cu."""
from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, real

cdef extern from "activation.h" nogil:
    float relu_float(float v)
    double relu_double(double v)
    float relu_gradient_float(float g, float y)
    double relu_gradient_double(double g, double y)
    float hardtanh_float(float v, float min_val, float max_val)
    double hardtanh_double(double v, double min_val, double max_val)
    float hardtanh_gradient_float(float g, float v, float min_val, float max_val)
    double hardtanh_gradient_double(double g, double v, double min_val, double max_val)
    float sigmoid_float(float v)
    double sigmoid_double(double v)
    float sigmoid_gradient_float(float g, float y)
    double sigmoid_gradient_double(double g, double y)
    float tanh_vectorizable_float(float v)
    double tanh_vectorizable_double(double v)
    float tanh_gradient_float(float g, float y)
    double tanh_gradient_double(double g, double y)
    float softplus_float(float v, float beta, float threshold)
    double softplus_double(double v, double beta, double threshold)
    float softplus_gradient_float(float g, float v, float beta, float threshold)
    double softplus_gradient_double(double g, double v, double beta, double threshold)
    float logsigmoid_float(float v)
    double logsigmoid_double(double v)
    float logsigmoid_gradient_float(float g, float v)
    double logsigmoid_gradient_double(double g, double v)

cdef enum:
    # an exp per element costs tens of cycles: threads pay off at fewer elements than a copy-like loop
    EXP_PARALLEL_MIN = PARALLEL_MIN // 8


def relu_forward(const real[::1] x, real[::1] y):
    """y = max(x, 0) with NaN propagating (as torch)."""
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                y[i] = _relu(x[i])
        else:
            for i in range(n):
                y[i] = _relu(x[i])


def relu_backward(const real[::1] gy, const real[::1] y, real[::1] gx):
    """gx = 0 where the forward output y <= 0, else gy (a NaN output passes gy, as torch)."""
    cdef Py_ssize_t i, n = y.shape[0]
    with nogil:
        if n > PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = _relu_gradient(gy[i], y[i])
        else:
            for i in range(n):
                gx[i] = _relu_gradient(gy[i], y[i])


cdef inline real _relu(real v) noexcept nogil:
    if real is float:
        return relu_float(v)
    return relu_double(v)


cdef inline real _relu_gradient(real g, real y) noexcept nogil:
    if real is float:
        return relu_gradient_float(g, y)
    return relu_gradient_double(g, y)


def hardtanh_forward(const real[::1] x, real[::1] y, double min_val, double max_val):
    """y = x limited to [min_val, max_val] (bounds rounded to x's dtype, as torch); NaN stays NaN."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef real low = <real>min_val, high = <real>max_val
    with nogil:
        if n > PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                y[i] = _hardtanh(x[i], low, high)
        else:
            for i in range(n):
                y[i] = _hardtanh(x[i], low, high)


def hardtanh_backward(const real[::1] gy, const real[::1] x, real[::1] gx, double min_val, double max_val):
    """gx = gy where min_val < x < max_val, else 0."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef real low = <real>min_val, high = <real>max_val
    with nogil:
        if n > PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = _hardtanh_gradient(gy[i], x[i], low, high)
        else:
            for i in range(n):
                gx[i] = _hardtanh_gradient(gy[i], x[i], low, high)


cdef inline real _hardtanh(real v, real low, real high) noexcept nogil:
    if real is float:
        return hardtanh_float(v, low, high)
    return hardtanh_double(v, low, high)


cdef inline real _hardtanh_gradient(real g, real v, real low, real high) noexcept nogil:
    if real is float:
        return hardtanh_gradient_float(g, v, low, high)
    return hardtanh_gradient_double(g, v, low, high)


def sigmoid_forward(const real[::1] x, real[::1] y):
    """y = 1 / (1 + exp(-x)) in the stable form of activation.h (accurate for negative x too)."""
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > EXP_PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                y[i] = _sigmoid(x[i])
        else:
            for i in range(n):
                y[i] = _sigmoid(x[i])


def sigmoid_backward(const real[::1] gy, const real[::1] y, real[::1] gx):
    """gx = gy * y * (1 - y) from the forward output y."""
    cdef Py_ssize_t i, n = y.shape[0]
    with nogil:
        if n > PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = _sigmoid_gradient(gy[i], y[i])
        else:
            for i in range(n):
                gx[i] = _sigmoid_gradient(gy[i], y[i])


cdef inline real _sigmoid(real v) noexcept nogil:
    if real is float:
        return sigmoid_float(v)
    return sigmoid_double(v)


cdef inline real _sigmoid_gradient(real g, real y) noexcept nogil:
    if real is float:
        return sigmoid_gradient_float(g, y)
    return sigmoid_gradient_double(g, y)


def tanh_forward(const real[::1] x, real[::1] y):
    """y = tanh(x) in activation.h's vectorizable form (within a few ulp of the type, NaN staying NaN)."""
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > EXP_PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                y[i] = _tanh(x[i])
        else:
            for i in range(n):
                y[i] = _tanh(x[i])


def tanh_backward(const real[::1] gy, const real[::1] y, real[::1] gx):
    """gx = gy * (1 - y^2) from the forward output y."""
    cdef Py_ssize_t i, n = y.shape[0]
    with nogil:
        if n > PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = _tanh_gradient(gy[i], y[i])
        else:
            for i in range(n):
                gx[i] = _tanh_gradient(gy[i], y[i])


cdef inline real _tanh(real v) noexcept nogil:
    if real is float:
        return tanh_vectorizable_float(v)
    return tanh_vectorizable_double(v)


cdef inline real _tanh_gradient(real g, real y) noexcept nogil:
    if real is float:
        return tanh_gradient_float(g, y)
    return tanh_gradient_double(g, y)


def softplus_forward(const real[::1] x, real[::1] y, double beta, double threshold):
    """y = log(1 + exp(beta x)) / beta, and x where beta x > threshold (beta, threshold rounded to x's
    dtype, as torch); stable for any x."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef real b = <real>beta, t = <real>threshold
    with nogil:
        if n > EXP_PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                y[i] = _softplus(x[i], b, t)
        else:
            for i in range(n):
                y[i] = _softplus(x[i], b, t)


def softplus_backward(const real[::1] gy, const real[::1] x, real[::1] gx, double beta, double threshold):
    """gx = gy * sigmoid(beta x), and gy where beta x > threshold."""
    cdef Py_ssize_t i, n = x.shape[0]
    cdef real b = <real>beta, t = <real>threshold
    with nogil:
        if n > EXP_PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = _softplus_gradient(gy[i], x[i], b, t)
        else:
            for i in range(n):
                gx[i] = _softplus_gradient(gy[i], x[i], b, t)


cdef inline real _softplus(real v, real beta, real threshold) noexcept nogil:
    if real is float:
        return softplus_float(v, beta, threshold)
    return softplus_double(v, beta, threshold)


cdef inline real _softplus_gradient(real g, real v, real beta, real threshold) noexcept nogil:
    if real is float:
        return softplus_gradient_float(g, v, beta, threshold)
    return softplus_gradient_double(g, v, beta, threshold)


def logsigmoid_forward(const real[::1] x, real[::1] y):
    """y = log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), finite for every finite x."""
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > EXP_PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                y[i] = _logsigmoid(x[i])
        else:
            for i in range(n):
                y[i] = _logsigmoid(x[i])


def logsigmoid_backward(const real[::1] gy, const real[::1] x, real[::1] gx):
    """gx = gy * sigmoid(-x)."""
    cdef Py_ssize_t i, n = x.shape[0]
    with nogil:
        if n > EXP_PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = _logsigmoid_gradient(gy[i], x[i])
        else:
            for i in range(n):
                gx[i] = _logsigmoid_gradient(gy[i], x[i])


cdef inline real _logsigmoid(real v) noexcept nogil:
    if real is float:
        return logsigmoid_float(v)
    return logsigmoid_double(v)


cdef inline real _logsigmoid_gradient(real g, real v) noexcept nogil:
    if real is float:
        return logsigmoid_gradient_float(g, v)
    return logsigmoid_gradient_double(g, v)
