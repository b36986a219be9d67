"""Optimizer loops (CPU): Adam/AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam and ASGD, each one
fused pass over a parameter and its state. The per-element updates are optimizers.h's (PyTorch's order of operations),
shared with cuda/optimizers.cu. The loops take validated, flat C-contiguous arrays of one length and
dtype and the step's coefficients (computed once, in double, by the kernel front); they check and
allocate nothing.

An optional state array that a configuration does not use (amsgrad's max_exp_avg_sq, centered
RMSprop's grad_avg, its momentum_buffer) is passed as another array of the right shape and never
touched.
"""
from cython.parallel cimport prange

from ._types cimport PARALLEL_MIN, block_start, minigrad_max_threads, real

cdef extern from "optimizers.h" nogil:
    ctypedef struct adam_constants:
        pass
    ctypedef struct rmsprop_constants:
        pass
    ctypedef struct adagrad_constants:
        pass
    ctypedef struct adadelta_constants:
        pass
    adam_constants adam_make_constants(double lr, double beta1, double beta2, double eps, double weight_decay,
                                       double step_size, double bias_correction2_sqrt, int maximize, int decoupled)
    rmsprop_constants rmsprop_make_constants(double lr, double alpha, double eps, double weight_decay,
                                             double momentum, int maximize)
    adagrad_constants adagrad_make_constants(double clr, double eps, double weight_decay, int maximize)
    adadelta_constants adadelta_make_constants(double lr, double rho, double eps, double weight_decay, int maximize)
    float adam_update_float(float p, float g, float* m, float* v, float* v_max, int amsgrad, adam_constants c)
    double adam_update_double(double p, double g, double* m, double* v, double* v_max, int amsgrad, adam_constants c)
    float rmsprop_update_float(float p, float g, float* sq, float* g_avg, float* buf, int centered, int has_momentum,
                               rmsprop_constants c)
    double rmsprop_update_double(double p, double g, double* sq, double* g_avg, double* buf, int centered,
                                 int has_momentum, rmsprop_constants c)
    float adagrad_update_float(float p, float g, float* total, adagrad_constants c)
    double adagrad_update_double(double p, double g, double* total, adagrad_constants c)
    float adadelta_update_float(float p, float g, float* sq, float* acc, adadelta_constants c)
    double adadelta_update_double(double p, double g, double* sq, double* acc, adadelta_constants c)
    ctypedef struct adamax_constants:
        pass
    ctypedef struct nadam_constants:
        pass
    ctypedef struct radam_constants:
        pass
    ctypedef struct asgd_constants:
        pass
    adamax_constants adamax_make_constants(double clr, double beta1, double beta2, double eps, double weight_decay,
                                           int maximize)
    nadam_constants nadam_make_constants(double lr, double beta1, double beta2, double eps, double weight_decay,
                                         double bias_correction2, double mu, double mu_next, double mu_product,
                                         int maximize, int decoupled)
    radam_constants radam_make_constants(double lr, double beta1, double beta2, double eps, double weight_decay,
                                         double bias_correction1, double bias_correction2_sqrt, double rect,
                                         int rectified, int maximize, int decoupled)
    asgd_constants asgd_make_constants(double lambd, double eta, double mu, double weight_decay, int maximize)
    float adamax_update_float(float p, float g, float* m, float* u, adamax_constants c)
    double adamax_update_double(double p, double g, double* m, double* u, adamax_constants c)
    float nadam_update_float(float p, float g, float* m, float* v, nadam_constants c)
    double nadam_update_double(double p, double g, double* m, double* v, nadam_constants c)
    float radam_update_float(float p, float g, float* m, float* v, radam_constants c)
    double radam_update_double(double p, double g, double* m, double* v, radam_constants c)
    float asgd_update_float(float p, float g, float* ax, asgd_constants c)
    double asgd_update_double(double p, double g, double* ax, asgd_constants c)


def adam_step(real[::1] param, const real[::1] grad, real[::1] exp_avg, real[::1] exp_avg_sq,
              real[::1] max_exp_avg_sq, double lr, double beta1, double beta2, double eps, double weight_decay,
              double step_size, double bias_correction2_sqrt, bint amsgrad, bint maximize,
              bint decoupled_weight_decay):
    """One Adam (AdamW when ``decoupled_weight_decay``) step in place; step_size = lr / (1 - beta1^t),
    bias_correction2_sqrt = sqrt(1 - beta2^t)."""
    cdef Py_ssize_t n = param.shape[0], block, blocks = minigrad_max_threads()
    cdef adam_constants c = adam_make_constants(lr, beta1, beta2, eps, weight_decay, step_size, bias_correction2_sqrt,
                                                maximize, decoupled_weight_decay)
    with nogil:
        if n > PARALLEL_MIN:  # one block per thread; a plain call below (see _types.pxd)
            for block in prange(blocks, schedule="static"):
                _adam_range(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, block_start(block, blocks, n),
                            block_start(block + 1, blocks, n), amsgrad, c)
        else:
            _adam_range(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, 0, n, amsgrad, c)


cdef inline void _adam_range(real[::1] param, const real[::1] grad, real[::1] m, real[::1] v, real[::1] v_max,
                             Py_ssize_t start, Py_ssize_t stop, bint amsgrad, adam_constants c) noexcept nogil:
    cdef Py_ssize_t i
    # one loop per configuration that stores to different arrays: a store under a condition inside
    # the loop would keep the compiler from vectorizing it
    if amsgrad:
        for i in range(start, stop):
            param[i] = _adam_update(param[i], grad[i], &m[i], &v[i], &v_max[i], True, c)
    else:
        for i in range(start, stop):
            param[i] = _adam_update(param[i], grad[i], &m[i], &v[i], &v[i], False, c)


cdef inline real _adam_update(real p, real g, real* m, real* v, real* v_max, bint amsgrad,
                              adam_constants c) noexcept nogil:
    if real is float:
        return adam_update_float(p, g, m, v, v_max, amsgrad, c)
    return adam_update_double(p, g, m, v, v_max, amsgrad, c)


def rmsprop_step(real[::1] param, const real[::1] grad, real[::1] square_avg, real[::1] grad_avg,
                 real[::1] momentum_buffer, double lr, double alpha, double eps, double weight_decay, double momentum,
                 bint centered, bint maximize):
    """One RMSprop step in place (grad_avg used when ``centered``, momentum_buffer when momentum > 0)."""
    cdef Py_ssize_t n = param.shape[0], block, blocks = minigrad_max_threads()
    cdef rmsprop_constants c = rmsprop_make_constants(lr, alpha, eps, weight_decay, momentum, maximize)
    with nogil:
        if n > PARALLEL_MIN:  # one block per thread; a plain call below (see _types.pxd)
            for block in prange(blocks, schedule="static"):
                _rmsprop_range(param, grad, square_avg, grad_avg, momentum_buffer, block_start(block, blocks, n),
                               block_start(block + 1, blocks, n), centered, momentum > 0, c)
        else:
            _rmsprop_range(param, grad, square_avg, grad_avg, momentum_buffer, 0, n, centered, momentum > 0, c)


cdef inline void _rmsprop_range(real[::1] param, const real[::1] grad, real[::1] sq, real[::1] g_avg,
                                real[::1] buf, Py_ssize_t start, Py_ssize_t stop, bint centered,
                                bint has_momentum, rmsprop_constants c) noexcept nogil:
    cdef Py_ssize_t i
    # one loop per configuration that stores to different arrays (see _adam_range); unused ones get sq
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


cdef inline real _rmsprop_update(real p, real g, real* sq, real* g_avg, real* buf, bint centered,
                                 bint has_momentum, rmsprop_constants c) noexcept nogil:
    if real is float:
        return rmsprop_update_float(p, g, sq, g_avg, buf, centered, has_momentum, c)
    return rmsprop_update_double(p, g, sq, g_avg, buf, centered, has_momentum, c)


def adagrad_step(real[::1] param, const real[::1] grad, real[::1] state_sum, double clr, double eps,
                 double weight_decay, bint maximize):
    """One Adagrad step in place with the decayed learning rate clr = lr / (1 + (t - 1) * lr_decay)."""
    cdef Py_ssize_t i, n = param.shape[0]
    cdef adagrad_constants c = adagrad_make_constants(clr, eps, weight_decay, maximize)
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                param[i] = _adagrad_update(param[i], grad[i], &state_sum[i], c)
        else:
            for i in range(n):
                param[i] = _adagrad_update(param[i], grad[i], &state_sum[i], c)


cdef inline real _adagrad_update(real p, real g, real* total, adagrad_constants c) noexcept nogil:
    if real is float:
        return adagrad_update_float(p, g, total, c)
    return adagrad_update_double(p, g, total, c)


def adadelta_step(real[::1] param, const real[::1] grad, real[::1] square_avg, real[::1] acc_delta, double lr,
                  double rho, double eps, double weight_decay, bint maximize):
    """One Adadelta step in place."""
    cdef Py_ssize_t i, n = param.shape[0]
    cdef adadelta_constants c = adadelta_make_constants(lr, rho, eps, weight_decay, maximize)
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                param[i] = _adadelta_update(param[i], grad[i], &square_avg[i], &acc_delta[i], c)
        else:
            for i in range(n):
                param[i] = _adadelta_update(param[i], grad[i], &square_avg[i], &acc_delta[i], c)


cdef inline real _adadelta_update(real p, real g, real* sq, real* acc, adadelta_constants c) noexcept nogil:
    if real is float:
        return adadelta_update_float(p, g, sq, acc, c)
    return adadelta_update_double(p, g, sq, acc, c)


def adamax_step(real[::1] param, const real[::1] grad, real[::1] exp_avg, real[::1] exp_inf, double clr, double beta1,
                double beta2, double eps, double weight_decay, bint maximize):
    """One Adamax step in place with the bias-corrected learning rate clr = lr / (1 - beta1^t)."""
    cdef Py_ssize_t i, n = param.shape[0]
    cdef adamax_constants c = adamax_make_constants(clr, beta1, beta2, eps, weight_decay, maximize)
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                param[i] = _adamax_update(param[i], grad[i], &exp_avg[i], &exp_inf[i], c)
        else:
            for i in range(n):
                param[i] = _adamax_update(param[i], grad[i], &exp_avg[i], &exp_inf[i], c)


cdef inline real _adamax_update(real p, real g, real* m, real* u, adamax_constants c) noexcept nogil:
    if real is float:
        return adamax_update_float(p, g, m, u, c)
    return adamax_update_double(p, g, m, u, c)


def nadam_step(real[::1] param, const real[::1] grad, real[::1] exp_avg, real[::1] exp_avg_sq, double lr,
               double beta1, double beta2, double eps, double weight_decay, double bias_correction2, double mu,
               double mu_next, double mu_product, bint maximize, bint decoupled_weight_decay):
    """One NAdam step in place (optimizers.h's nadam_make_constants says what the coefficients are)."""
    cdef Py_ssize_t i, n = param.shape[0]
    cdef nadam_constants c = nadam_make_constants(lr, beta1, beta2, eps, weight_decay, bias_correction2, mu, mu_next,
                                                  mu_product, maximize, decoupled_weight_decay)
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                param[i] = _nadam_update(param[i], grad[i], &exp_avg[i], &exp_avg_sq[i], c)
        else:
            for i in range(n):
                param[i] = _nadam_update(param[i], grad[i], &exp_avg[i], &exp_avg_sq[i], c)


cdef inline real _nadam_update(real p, real g, real* m, real* v, nadam_constants c) noexcept nogil:
    if real is float:
        return nadam_update_float(p, g, m, v, c)
    return nadam_update_double(p, g, m, v, c)


def radam_step(real[::1] param, const real[::1] grad, real[::1] exp_avg, real[::1] exp_avg_sq, double lr,
               double beta1, double beta2, double eps, double weight_decay, double bias_correction1,
               double bias_correction2_sqrt, double rect, bint rectified, bint maximize, bint decoupled_weight_decay):
    """One RAdam step in place (optimizers.h's radam_make_constants says what the coefficients are)."""
    cdef Py_ssize_t i, n = param.shape[0]
    cdef radam_constants c = radam_make_constants(lr, beta1, beta2, eps, weight_decay, bias_correction1,
                                                  bias_correction2_sqrt, rect, rectified, maximize,
                                                  decoupled_weight_decay)
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                param[i] = _radam_update(param[i], grad[i], &exp_avg[i], &exp_avg_sq[i], c)
        else:
            for i in range(n):
                param[i] = _radam_update(param[i], grad[i], &exp_avg[i], &exp_avg_sq[i], c)


cdef inline real _radam_update(real p, real g, real* m, real* v, radam_constants c) noexcept nogil:
    if real is float:
        return radam_update_float(p, g, m, v, c)
    return radam_update_double(p, g, m, v, c)


def asgd_step(real[::1] param, const real[::1] grad, real[::1] ax, double lambd, double eta, double mu,
              double weight_decay, bint maximize):
    """One ASGD step in place with the step's learning rate eta and averaging weight mu."""
    cdef Py_ssize_t i, n = param.shape[0]
    cdef asgd_constants c = asgd_make_constants(lambd, eta, mu, weight_decay, maximize)
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for i in prange(n, schedule="static"):
                param[i] = _asgd_update(param[i], grad[i], &ax[i], c)
        else:
            for i in range(n):
                param[i] = _asgd_update(param[i], grad[i], &ax[i], c)


cdef inline real _asgd_update(real p, real g, real* ax, asgd_constants c) noexcept nogil:
    if real is float:
        return asgd_update_float(p, g, ax, c)
    return asgd_update_double(p, g, ax, c)
