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

from ._types cimport PARALLEL_MIN, block_start, minigrad_max_threads, real


cdef inline real _sqrt(real v) noexcept nogil:
    if real is float:
        return sqrtf(v)
    else:
        return sqrt(v)


# Helpers are single expressions without branches, so that the loops calling them vectorize.
cdef inline real _lerp(real start, real end, real weight) noexcept nogil:
    # torch's lerp: the form that stays exact at the end that weight is closer to
    return start + weight * (end - start) if weight < 0.5 else end - (end - start) * (1 - weight)


cdef inline real _nan_max(real a, real b) noexcept nogil:
    # torch.maximum: NaN in either argument gives NaN
    return a if (a != a) | (a >= b) else b


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


cdef struct AdamConstants:
    double weight_decay, decay, m_weight, beta2, v_weight, eps, step_size, bias_correction2_sqrt
    bint maximize, has_decay, decoupled


cdef inline real _adam_update(real p, real g, real* m, real* v, real* v_max, bint amsgrad,
                              AdamConstants c) noexcept nogil:
    """The new value of one parameter entry; updates its moments in place."""
    cdef real second
    if c.maximize:
        g = -g
    if c.has_decay:
        if c.decoupled:
            p = p * <real>c.decay
        else:
            g = g + <real>c.weight_decay * p
    m[0] = _lerp(m[0], g, <real>c.m_weight)
    second = v[0] * <real>c.beta2 + <real>c.v_weight * g * g
    v[0] = second
    if amsgrad:
        second = _nan_max(v_max[0], second)
        v_max[0] = second
    return p - <real>c.step_size * (m[0] / (_sqrt(second) / <real>c.bias_correction2_sqrt + <real>c.eps))


cdef void _adam(real[::1] param, const real[::1] grad, real[::1] m, real[::1] v, real[::1] v_max,
                double lr, double beta1, double beta2, double eps, double weight_decay, double step_size,
                double bias_correction2_sqrt, bint amsgrad, bint maximize,
                bint decoupled) noexcept nogil:
    cdef Py_ssize_t n = param.shape[0]
    cdef AdamConstants c = AdamConstants(
        weight_decay=weight_decay, decay=1 - lr * weight_decay, m_weight=1 - beta1, beta2=beta2, v_weight=1 - beta2,
        eps=eps, step_size=step_size, bias_correction2_sqrt=bias_correction2_sqrt, maximize=maximize,
        has_decay=weight_decay != 0, decoupled=decoupled)
    cdef Py_ssize_t block, blocks = minigrad_max_threads()
    with nogil:
        if n > PARALLEL_MIN:  # one block per thread; a plain call below (see _types.pxd)
            for block in prange(blocks, schedule="static"):
                _adam_range(param, grad, m, v, v_max, block_start(block, blocks, n),
                            block_start(block + 1, blocks, n), amsgrad, c)
        else:
            _adam_range(param, grad, m, v, v_max, 0, n, amsgrad, c)


cdef inline void _adam_range(real[::1] param, const real[::1] grad, real[::1] m, real[::1] v, real[::1] v_max,
                             Py_ssize_t start, Py_ssize_t stop, bint amsgrad, AdamConstants c) noexcept nogil:
    cdef Py_ssize_t i
    # one loop per configuration that stores to different arrays: a store under a condition inside
    # the loop would keep the compiler from vectorizing it
    if amsgrad:
        for i in range(start, stop):
            param[i] = _adam_update(param[i], grad[i], &m[i], &v[i], &v_max[i], True, c)
    else:
        for i in range(start, stop):
            param[i] = _adam_update(param[i], grad[i], &m[i], &v[i], &v[i], False, c)


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


cdef struct RMSpropConstants:
    double lr, alpha, weight, eps, weight_decay, momentum
    bint maximize, has_decay


cdef inline real _rmsprop_update(real p, real g, real* sq, real* g_avg, real* buf, bint centered,
                                 bint has_momentum, RMSpropConstants c) noexcept nogil:
    """The new value of one parameter entry; updates its state in place."""
    cdef real s, avg
    if c.maximize:
        g = -g
    if c.has_decay:
        g = g + <real>c.weight_decay * p
    s = sq[0] * <real>c.alpha + <real>c.weight * g * g
    sq[0] = s
    if centered:
        g_avg[0] = _lerp(g_avg[0], g, <real>c.weight)
        avg = _sqrt(s - g_avg[0] * g_avg[0]) + <real>c.eps
    else:
        avg = _sqrt(s) + <real>c.eps
    if has_momentum:
        buf[0] = buf[0] * <real>c.momentum + g / avg
        return p - <real>c.lr * buf[0]
    return p - <real>c.lr * (g / avg)


cdef void _rmsprop(real[::1] param, const real[::1] grad, real[::1] sq, real[::1] g_avg, real[::1] buf,
                   double lr, double alpha, double eps, double weight_decay, double momentum,
                   bint centered, bint maximize) noexcept nogil:
    cdef Py_ssize_t n = param.shape[0], block, blocks = minigrad_max_threads()
    cdef RMSpropConstants c = RMSpropConstants(lr=lr, alpha=alpha, weight=1 - alpha, eps=eps, weight_decay=weight_decay,
                                               momentum=momentum, maximize=maximize, has_decay=weight_decay != 0)
    with nogil:
        if n > PARALLEL_MIN:  # one block per thread; a plain call below (see _types.pxd)
            for block in prange(blocks, schedule="static"):
                _rmsprop_range(param, grad, sq, g_avg, buf, block_start(block, blocks, n),
                               block_start(block + 1, blocks, n), centered, momentum > 0, c)
        else:
            _rmsprop_range(param, grad, sq, g_avg, buf, 0, n, centered, momentum > 0, c)


cdef inline void _rmsprop_range(real[::1] param, const real[::1] grad, real[::1] sq, real[::1] g_avg,
                                real[::1] buf, Py_ssize_t start, Py_ssize_t stop, bint centered,
                                bint has_momentum, RMSpropConstants c) noexcept nogil:
    cdef Py_ssize_t i
    # one loop per configuration that stores to different arrays (see _adam); unused ones get sq
    if centered and has_momentum:
        for i in range(start, stop):
            param[i] = _rmsprop_update(param[i], grad[i], &sq[i], &g_avg[i], &buf[i], True, True, c)
    elif centered:
        for i in range(start, stop):
            param[i] = _rmsprop_update(param[i], grad[i], &sq[i], &g_avg[i], &sq[i], True, False, c)
    elif has_momentum:
        for i in range(start, stop):
            param[i] = _rmsprop_update(param[i], grad[i], &sq[i], &sq[i], &buf[i], False, True, c)
    else:
        for i in range(start, stop):
            param[i] = _rmsprop_update(param[i], grad[i], &sq[i], &sq[i], &sq[i], False, False, c)


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
    cdef AdagradConstants c = AdagradConstants(clr=clr, eps=eps, weight_decay=weight_decay, maximize=maximize)
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                param[i] = _adagrad_update(param[i], grad[i], &total[i], c)
        else:
            for i in range(n):
                param[i] = _adagrad_update(param[i], grad[i], &total[i], c)


cdef struct AdagradConstants:
    double clr, eps, weight_decay
    bint maximize


cdef inline real _adagrad_update(real p, real g, real* total, AdagradConstants c) noexcept nogil:
    """The new value of one parameter entry; updates its sum of squares in place."""
    cdef real s
    if c.maximize:
        g = -g
    if c.weight_decay != 0:
        g = g + <real>c.weight_decay * p
    s = total[0] + g * g
    total[0] = s
    return p - <real>c.clr * (g / (_sqrt(s) + <real>c.eps))


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
    cdef AdadeltaConstants c = AdadeltaConstants(lr=lr, rho=rho, weight=1 - rho, eps=eps, weight_decay=weight_decay,
                                                 maximize=maximize)
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                param[i] = _adadelta_update(param[i], grad[i], &sq[i], &acc[i], c)
        else:
            for i in range(n):
                param[i] = _adadelta_update(param[i], grad[i], &sq[i], &acc[i], c)


cdef struct AdadeltaConstants:
    double lr, rho, weight, eps, weight_decay
    bint maximize


cdef inline real _adadelta_update(real p, real g, real* sq, real* acc, AdadeltaConstants c) noexcept nogil:
    """The new value of one parameter entry; updates its square averages in place."""
    cdef real s, delta
    if c.maximize:
        g = -g
    if c.weight_decay != 0:
        g = g + <real>c.weight_decay * p
    s = sq[0] * <real>c.rho + <real>c.weight * g * g
    sq[0] = s
    delta = _sqrt(acc[0] + <real>c.eps) / _sqrt(s + <real>c.eps) * g
    acc[0] = acc[0] * <real>c.rho + <real>c.weight * delta * delta
    return p - <real>c.lr * delta
