"""Optimizer loops (CPU): Adam/AdamW, RMSprop, Adagrad and Adadelta, each one fused pass over a
parameter and its state, in PyTorch's order of operations (so float64 results agree with torch's to
rounding). The loops take validated, C-contiguous arrays of one shape and dtype and the step's
coefficients (computed once, in double, by the kernel front); they check and allocate nothing.

An optional state array that a configuration does not use (amsgrad's max_exp_avg_sq, centered
RMSprop's grad_avg, its momentum_buffer) is passed as another array of the right shape and never
touched.
"""
import numpy as np

from cython.parallel cimport prange
from libc.math cimport sqrt, sqrtf

from ._types cimport PARALLEL_MIN, real


cdef inline real _sqrt(real v) noexcept nogil:
    if real is float:
        return sqrtf(v)
    else:
        return sqrt(v)


cdef inline real _lerp(real start, real end, real weight) noexcept nogil:
    # torch's lerp: the form that stays exact at the end that weight is closer to
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


cdef inline real _nan_max(real a, real b) noexcept nogil:
    # torch.maximum: NaN in either argument gives NaN
    if a != a or a >= b:
        return a
    return b


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, double lr, double beta1, double beta2,
              double eps, double weight_decay, double step_size, double bias_correction2_sqrt,
              bint amsgrad, bint maximize, bint decoupled_weight_decay):
    """One Adam (AdamW when ``decoupled_weight_decay``) step in place; step_size = lr / (1 - beta1^t),
    bias_correction2_sqrt = sqrt(1 - beta2^t). All arrays C-contiguous, one shape and dtype."""
    if param.dtype == np.float32:
        _adam[float](param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
                     max_exp_avg_sq.reshape(-1), lr, beta1, beta2, eps, weight_decay, step_size,
                     bias_correction2_sqrt, amsgrad, maximize, decoupled_weight_decay)
    else:
        _adam[double](param.reshape(-1), grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
                      max_exp_avg_sq.reshape(-1), lr, beta1, beta2, eps, weight_decay, step_size,
                      bias_correction2_sqrt, amsgrad, maximize, decoupled_weight_decay)


cdef void _adam(real[::1] param, const real[::1] grad, real[::1] m, real[::1] v, real[::1] v_max,
                double lr, double beta1, double beta2, double eps, double weight_decay, double step_size,
                double bias_correction2_sqrt, bint amsgrad, bint maximize,
                bint decoupled) noexcept nogil:
    cdef Py_ssize_t i, n = param.shape[0]
    cdef real g, p, second, denom
    cdef real wd = <real>weight_decay, decay = <real>(1 - lr * weight_decay)
    cdef real m_weight = <real>(1 - beta1), b2 = <real>beta2, v_weight = <real>(1 - beta2)
    cdef real eps_ = <real>eps, step_ = <real>step_size, bc2 = <real>bias_correction2_sqrt
    cdef bint has_decay = weight_decay != 0
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        g = -grad[i] if maximize else grad[i]
        p = param[i]
        if has_decay:
            if decoupled:
                p = p * decay
            else:
                g = g + wd * p
        m[i] = _lerp(m[i], g, m_weight)
        second = v[i] * b2 + v_weight * g * g
        v[i] = second
        if amsgrad:
            second = _nan_max(v_max[i], second)
            v_max[i] = second
        denom = _sqrt(second) / bc2 + eps_
        param[i] = p - step_ * (m[i] / denom)


def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, double lr, double alpha, double eps,
                 double weight_decay, double momentum, bint centered, bint maximize):
    """One RMSprop step in place (grad_avg used when ``centered``, momentum_buffer when momentum > 0).
    All arrays C-contiguous, one shape and dtype."""
    if param.dtype == np.float32:
        _rmsprop[float](param.reshape(-1), grad.reshape(-1), square_avg.reshape(-1), grad_avg.reshape(-1),
                        momentum_buffer.reshape(-1), lr, alpha, eps, weight_decay, momentum, centered, maximize)
    else:
        _rmsprop[double](param.reshape(-1), grad.reshape(-1), square_avg.reshape(-1), grad_avg.reshape(-1),
                         momentum_buffer.reshape(-1), lr, alpha, eps, weight_decay, momentum, centered, maximize)


cdef void _rmsprop(real[::1] param, const real[::1] grad, real[::1] sq, real[::1] g_avg, real[::1] buf,
                   double lr, double alpha, double eps, double weight_decay, double momentum,
                   bint centered, bint maximize) noexcept nogil:
    cdef Py_ssize_t i, n = param.shape[0]
    cdef real g, s, avg
    cdef real lr_ = <real>lr, a = <real>alpha, weight = <real>(1 - alpha), eps_ = <real>eps
    cdef real wd = <real>weight_decay, mom = <real>momentum
    cdef bint has_decay = weight_decay != 0, has_momentum = momentum > 0
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        g = -grad[i] if maximize else grad[i]
        if has_decay:
            g = g + wd * param[i]
        s = sq[i] * a + weight * g * g
        sq[i] = s
        if centered:
            g_avg[i] = _lerp(g_avg[i], g, weight)
            avg = _sqrt(s - g_avg[i] * g_avg[i]) + eps_
        else:
            avg = _sqrt(s) + eps_
        if has_momentum:
            buf[i] = buf[i] * mom + g / avg
            param[i] = param[i] - lr_ * buf[i]
        else:
            param[i] = param[i] - lr_ * (g / avg)


def adagrad_step(param, grad, state_sum, double clr, double eps, double weight_decay, bint maximize):
    """One Adagrad step in place with the decayed learning rate clr = lr / (1 + (t - 1) * lr_decay).
    All arrays C-contiguous, one shape and dtype."""
    if param.dtype == np.float32:
        _adagrad[float](param.reshape(-1), grad.reshape(-1), state_sum.reshape(-1), clr, eps, weight_decay, maximize)
    else:
        _adagrad[double](param.reshape(-1), grad.reshape(-1), state_sum.reshape(-1), clr, eps, weight_decay, maximize)


cdef void _adagrad(real[::1] param, const real[::1] grad, real[::1] total, double clr, double eps,
                   double weight_decay, bint maximize) noexcept nogil:
    cdef Py_ssize_t i, n = param.shape[0]
    cdef real g, s
    cdef real clr_ = <real>clr, eps_ = <real>eps, wd = <real>weight_decay
    cdef bint has_decay = weight_decay != 0
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        g = -grad[i] if maximize else grad[i]
        if has_decay:
            g = g + wd * param[i]
        s = total[i] + g * g
        total[i] = s
        param[i] = param[i] - clr_ * (g / (_sqrt(s) + eps_))


def adadelta_step(param, grad, square_avg, acc_delta, double lr, double rho, double eps, double weight_decay,
                  bint maximize):
    """One Adadelta step in place. All arrays C-contiguous, one shape and dtype."""
    if param.dtype == np.float32:
        _adadelta[float](param.reshape(-1), grad.reshape(-1), square_avg.reshape(-1), acc_delta.reshape(-1),
                         lr, rho, eps, weight_decay, maximize)
    else:
        _adadelta[double](param.reshape(-1), grad.reshape(-1), square_avg.reshape(-1), acc_delta.reshape(-1),
                          lr, rho, eps, weight_decay, maximize)


cdef void _adadelta(real[::1] param, const real[::1] grad, real[::1] sq, real[::1] acc, double lr, double rho,
                    double eps, double weight_decay, bint maximize) noexcept nogil:
    cdef Py_ssize_t i, n = param.shape[0]
    cdef real g, s, delta
    cdef real lr_ = <real>lr, r = <real>rho, weight = <real>(1 - rho), eps_ = <real>eps, wd = <real>weight_decay
    cdef bint has_decay = weight_decay != 0
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        g = -grad[i] if maximize else grad[i]
        if has_decay:
            g = g + wd * param[i]
        s = sq[i] * r + weight * g * g
        sq[i] = s
        delta = _sqrt(acc[i] + eps_) / _sqrt(s + eps_) * g
        acc[i] = acc[i] * r + weight * delta * delta
        param[i] = param[i] - lr_ * delta
