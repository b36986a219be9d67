"""SGD step loop (CPU): weight decay, momentum, dampening, nesterov and maximize in one fused pass."""
import numpy as np

from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, real


def sgd_step(param, grad, buf, double lr, double momentum, double dampening, double weight_decay,
             bint nesterov, bint maximize, bint first_step):
    """PyTorch's SGD update of ``param`` and ``buf`` in place (the rule is in front.py's sgd_step).
    param, grad, buf: C-contiguous, one shape and dtype; buf is never touched when momentum == 0."""
    if param.dtype == np.float32:
        _sgd_step[float](param.reshape(-1), grad.reshape(-1), buf.reshape(-1), lr, momentum, dampening,
                         weight_decay, nesterov, maximize, first_step)
    else:
        _sgd_step[double](param.reshape(-1), grad.reshape(-1), buf.reshape(-1), lr, momentum, dampening,
                          weight_decay, nesterov, maximize, first_step)


cdef struct SGDConstants:
    double lr, momentum, keep, weight_decay
    bint nesterov, maximize, first_step


cdef inline real _sgd_update(real p, real g, real* buf, SGDConstants c) noexcept nogil:
    """The new value of one parameter entry; updates its momentum buffer entry in place."""
    cdef real b, d = -g if c.maximize else g
    d = d + <real>c.weight_decay * p
    if c.momentum != 0:
        b = d if c.first_step else <real>c.momentum * buf[0] + <real>c.keep * d
        buf[0] = b
        d = d + <real>c.momentum * b if c.nesterov else b
    return p - <real>c.lr * d


cdef void _sgd_step(real[::1] param, const real[::1] grad, real[::1] buf, double lr, double momentum,
                    double dampening, double weight_decay, bint nesterov, bint maximize,
                    bint first_step) noexcept nogil:
    cdef Py_ssize_t i, n = param.shape[0]
    cdef SGDConstants c = SGDConstants(lr=lr, momentum=momentum, keep=1 - dampening, weight_decay=weight_decay,
                                       nesterov=nesterov, maximize=maximize, first_step=first_step)
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                param[i] = _sgd_update(param[i], grad[i], &buf[i], c)
        else:
            for i in range(n):
                param[i] = _sgd_update(param[i], grad[i], &buf[i], c)
