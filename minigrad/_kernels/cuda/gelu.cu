// GELU, exact and tanh-approximated, and erf, elementwise in double for both dtypes (as the CPU
// loops); the formulas are gelu.h's.
#include "common.cuh"
#include "gelu.h"

#define INSTANTIATE(T)                                                                                    \
    extern "C" __global__ void gelu_forward_##T(const T* x, T* y, long long n, flag tanh_approximation) { \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = (T)gelu((double)x[i], tanh_approximation); }                  \
    }                                                                                                     \
    extern "C" __global__ void gelu_backward_##T(const T* gy, const T* x, T* gx, long long n,             \
                                                 flag tanh_approximation) {                               \
        MINIGRAD_GRID_STRIDE(i, n) { gx[i] = (T)((double)gy[i] * gelu_derivative((double)x[i], tanh_approximation)); } \
    }                                                                                                     \
    extern "C" __global__ void erf_forward_##T(const T* x, T* y, long long n) {                           \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = (T)erf((double)x[i]); }                                       \
    }
INSTANTIATE(float)
INSTANTIATE(double)
