// Optimizer steps, one thread per element (grid-stride); the updates are optimizers.h's, as in the CPU
// loops (optimizers.pyx). Coefficients arrive as doubles. Unused optional state arrays get a stand-in
// that is never touched.
#include "common.cuh"
#include "optimizers.h"

#define INSTANTIATE(T)                                                                                        \
    extern "C" __global__ void adam_step_##T(T* param, const T* grad, T* m, T* v, T* v_max, long long n,      \
                                             double lr, double beta1, double beta2, double eps,               \
                                             double weight_decay, double step_size,                           \
                                             double bias_correction2_sqrt, int amsgrad, int maximize,         \
                                             int decoupled) {                                                 \
        const adam_constants c = adam_make_constants(lr, beta1, beta2, eps, weight_decay, step_size,          \
                                                     bias_correction2_sqrt, maximize, decoupled);             \
        MINIGRAD_GRID_STRIDE(i, n) {                                                                          \
            param[i] = adam_update(param[i], grad[i], &m[i], &v[i], amsgrad ? &v_max[i] : &v[i], amsgrad, c); \
        }                                                                                                     \
    }                                                                                                         \
    extern "C" __global__ void rmsprop_step_##T(T* param, const T* grad, T* sq, T* g_avg, T* buf,             \
                                                long long n, double lr, double alpha, double eps,             \
                                                double weight_decay, double momentum, int centered,           \
                                                int maximize) {                                               \
        const rmsprop_constants c = rmsprop_make_constants(lr, alpha, eps, weight_decay, momentum, maximize); \
        MINIGRAD_GRID_STRIDE(i, n) {                                                                          \
            param[i] = rmsprop_update(param[i], grad[i], &sq[i], &g_avg[i], &buf[i], centered, momentum > 0, c); \
        }                                                                                                     \
    }                                                                                                         \
    extern "C" __global__ void adagrad_step_##T(T* param, const T* grad, T* total, long long n,               \
                                                double clr, double eps, double weight_decay, int maximize) {  \
        const adagrad_constants c = adagrad_make_constants(clr, eps, weight_decay, maximize);                 \
        MINIGRAD_GRID_STRIDE(i, n) { param[i] = adagrad_update(param[i], grad[i], &total[i], c); }            \
    }                                                                                                         \
    extern "C" __global__ void adadelta_step_##T(T* param, const T* grad, T* sq, T* acc, long long n,         \
                                                 double lr, double rho, double eps, double weight_decay,      \
                                                 int maximize) {                                              \
        const adadelta_constants c = adadelta_make_constants(lr, rho, eps, weight_decay, maximize);           \
        MINIGRAD_GRID_STRIDE(i, n) { param[i] = adadelta_update(param[i], grad[i], &sq[i], &acc[i], c); }     \
    }
INSTANTIATE(float)
INSTANTIATE(double)
