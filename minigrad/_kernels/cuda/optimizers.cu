// Optimizer steps, one thread per element (grid-stride); the updates are optimizers.h's, as in the CPU
// loops (optimizers.pyx). Coefficients arrive as doubles. Unused optional state arrays get a stand-in
// that is never touched.
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
    }
INSTANTIATE(float)
INSTANTIATE(double)
