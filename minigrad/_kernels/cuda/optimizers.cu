// Optimizer steps (Adam, RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, ASGD), one thread per element
// (grid-stride); the updates are optimizers.h's, as in the CPU loops (optimizers.pyx). Coefficients arrive
// as doubles. Unused optional state arrays get a stand-in that is never touched.
#include "common.cuh"
#include "optimizers.h"

#define INSTANTIATE(T)                                                                                        \
    extern "C" __global__ void adam_step_##T(T* param, const T* grad, T* exp_avg, T* exp_avg_sq,              \
                                             T* max_exp_avg_sq, long long n, double lr, double beta1,         \
                                             double beta2, double eps, double weight_decay, double step_size, \
                                             double bias_correction2_sqrt, flag amsgrad, flag maximize,       \
                                             flag decoupled_weight_decay) {                                   \
        const adam_constants c = adam_make_constants(lr, beta1, beta2, eps, weight_decay, step_size,          \
                                                     bias_correction2_sqrt, maximize, decoupled_weight_decay); \
        MINIGRAD_GRID_STRIDE(i, n) {                                                                          \
            param[i] = adam_update(param[i], grad[i], &exp_avg[i], &exp_avg_sq[i],                            \
                                   amsgrad ? &max_exp_avg_sq[i] : &exp_avg_sq[i], amsgrad, c);                \
        }                                                                                                     \
    }                                                                                                         \
    extern "C" __global__ void rmsprop_step_##T(T* param, const T* grad, T* square_avg, T* grad_avg,          \
                                                T* momentum_buffer, long long n, double lr, double alpha,     \
                                                double eps, double weight_decay, double momentum,             \
                                                flag centered, flag maximize) {                               \
        const rmsprop_constants c = rmsprop_make_constants(lr, alpha, eps, weight_decay, momentum, maximize); \
        MINIGRAD_GRID_STRIDE(i, n) {                                                                          \
            param[i] = rmsprop_update(param[i], grad[i], &square_avg[i], &grad_avg[i], &momentum_buffer[i],   \
                                      centered, momentum > 0, c);                                             \
        }                                                                                                     \
    }                                                                                                         \
    extern "C" __global__ void adagrad_step_##T(T* param, const T* grad, T* state_sum, long long n,           \
                                                double clr, double eps, double weight_decay, flag maximize) { \
        const adagrad_constants c = adagrad_make_constants(clr, eps, weight_decay, maximize);                 \
        MINIGRAD_GRID_STRIDE(i, n) { param[i] = adagrad_update(param[i], grad[i], &state_sum[i], c); }        \
    }                                                                                                         \
    extern "C" __global__ void adadelta_step_##T(T* param, const T* grad, T* square_avg, T* acc_delta,        \
                                                 long long n, double lr, double rho, double eps,              \
                                                 double weight_decay, flag maximize) {                        \
        const adadelta_constants c = adadelta_make_constants(lr, rho, eps, weight_decay, maximize);           \
        MINIGRAD_GRID_STRIDE(i, n) {                                                                          \
            param[i] = adadelta_update(param[i], grad[i], &square_avg[i], &acc_delta[i], c);                  \
        }                                                                                                     \
    }                                                                                                         \
    extern "C" __global__ void adamax_step_##T(T* param, const T* grad, T* exp_avg, T* exp_inf, long long n,  \
                                               double clr, double beta1, double beta2, double eps,            \
                                               double weight_decay, flag maximize) {                          \
        const adamax_constants c = adamax_make_constants(clr, beta1, beta2, eps, weight_decay, maximize);     \
        MINIGRAD_GRID_STRIDE(i, n) { param[i] = adamax_update(param[i], grad[i], &exp_avg[i], &exp_inf[i], c); } \
    }                                                                                                         \
    extern "C" __global__ void nadam_step_##T(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, long long n, \
                                              double lr, double beta1, double beta2, double eps,              \
                                              double weight_decay, double bias_correction2, double mu,        \
                                              double mu_next, double mu_product, flag maximize,               \
                                              flag decoupled_weight_decay) {                                  \
        const nadam_constants c = nadam_make_constants(lr, beta1, beta2, eps, weight_decay, bias_correction2, \
                                                       mu, mu_next, mu_product, maximize,                     \
                                                       decoupled_weight_decay);                               \
        MINIGRAD_GRID_STRIDE(i, n) { param[i] = nadam_update(param[i], grad[i], &exp_avg[i], &exp_avg_sq[i], c); } \
    }                                                                                                         \
    extern "C" __global__ void radam_step_##T(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, long long n, \
                                              double lr, double beta1, double beta2, double eps,              \
                                              double weight_decay, double bias_correction1,                   \
                                              double bias_correction2_sqrt, double rect, flag rectified,      \
                                              flag maximize, flag decoupled_weight_decay) {                   \
        const radam_constants c = radam_make_constants(lr, beta1, beta2, eps, weight_decay, bias_correction1, \
                                                       bias_correction2_sqrt, rect, rectified, maximize,      \
                                                       decoupled_weight_decay);                               \
        MINIGRAD_GRID_STRIDE(i, n) { param[i] = radam_update(param[i], grad[i], &exp_avg[i], &exp_avg_sq[i], c); } \
    }                                                                                                         \
    extern "C" __global__ void asgd_step_##T(T* param, const T* grad, T* ax, long long n, double lambd,       \
                                             double eta, double mu, double weight_decay, flag maximize) {     \
        const asgd_constants c = asgd_make_constants(lambd, eta, mu, weight_decay, maximize);                 \
        MINIGRAD_GRID_STRIDE(i, n) { param[i] = asgd_update(param[i], grad[i], &ax[i], c); }                  \
    }
INSTANTIATE(float)
INSTANTIATE(double)
