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


cdef void _sgd_step(real[::1] param, const real[::1] grad, real[::1] buf, double lr, double momentum,
                    double dampening, double weight_decay, bint nesterov, bint maximize,
                    bint first_step) noexcept nogil:
    cdef Py_ssize_t i, n = param.shape[0]
    cdef real d, b
    cdef real lr_ = <real>lr, m = <real>momentum, wd = <real>weight_decay, keep = <real>(1 - dampening)
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        d = -grad[i] if maximize else grad[i]
        d = d + wd * param[i]
        if m != 0:
            b = d if first_step else m * buf[i] + keep * d
            buf[i] = b
            d = d + m * b if nesterov else b
        param[i] = param[i] - lr_ * d
