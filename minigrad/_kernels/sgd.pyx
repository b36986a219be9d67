"""SGD step (CPU): weight decay, momentum, dampening, nesterov and maximize in one fused pass."""
import numpy as np

from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, real
from ._checks import check_sgd


def sgd_step(param, grad, momentum_buffer, double lr, double momentum, double dampening,
             double weight_decay, bint nesterov, bint maximize, bint first_step):
    """Update ``param`` (and ``momentum_buffer``) in place with PyTorch's SGD rule::

        d = -grad if maximize else grad;  d += weight_decay * param
        buf = d on the first step, else momentum * buf + (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf;  param -= lr * d

    param, grad, momentum_buffer: C-contiguous, one shape and dtype; momentum_buffer may be None
    when momentum == 0.
    """
    momentum_buffer = check_sgd(param, grad, momentum_buffer, momentum)
    if param.dtype == np.float32:
        _sgd_step[float](param.reshape(-1), grad.reshape(-1), momentum_buffer.reshape(-1), lr, momentum,
                         dampening, weight_decay, nesterov, maximize, first_step)
    else:
        _sgd_step[double](param.reshape(-1), grad.reshape(-1), momentum_buffer.reshape(-1), lr, momentum,
                          dampening, weight_decay, nesterov, maximize, first_step)


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
