"""SGD step loop (CPU): weight decay, momentum, dampening, nesterov and maximize in one fused pass.
The per-element update is optimizers.h's, shared with cuda/sgd.cu."""
from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, real

cdef extern from "optimizers.h" nogil:
    ctypedef struct sgd_constants:
        pass
    sgd_constants sgd_make_constants(double lr, double momentum, double dampening, double weight_decay, int nesterov,
                                     int maximize, int first_step)
    float sgd_update_float(float p, float g, float* buf, sgd_constants c)
    double sgd_update_double(double p, double g, double* buf, sgd_constants c)


def sgd_step(real[::1] param, const real[::1] grad, real[::1] buf, double lr, double momentum, double dampening,
             double weight_decay, bint nesterov, bint maximize, bint first_step):
    """PyTorch's SGD update of ``param`` and ``buf`` in place (the rule is in optimizers.h).
    param, grad, buf: flat C-contiguous, one length and dtype; buf is never touched when momentum == 0."""
    cdef Py_ssize_t i, n = param.shape[0]
    cdef sgd_constants c = sgd_make_constants(lr, momentum, dampening, weight_decay, nesterov, maximize, first_step)
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                param[i] = _sgd_update(param[i], grad[i], &buf[i], c)
        else:
            for i in range(n):
                param[i] = _sgd_update(param[i], grad[i], &buf[i], c)


cdef inline real _sgd_update(real p, real g, real* buf, sgd_constants c) noexcept nogil:
    if real is float:
        return sgd_update_float(p, g, buf, c)
    return sgd_update_double(p, g, buf, c)
