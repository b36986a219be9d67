// GELU, exact and tanh-approximated, and erf, elementwise: GELU in the array's dtype, erf in double (as
// the CPU loops); the formulas are gelu.h's.
#include "common.cuh"
#include "gelu.h"

__device__ __forceinline__ float gelu_of(float v, flag tanh_approximation) { return gelu_float(v, tanh_approximation); }
__device__ __forceinline__ double gelu_of(double v, flag tanh_approximation) { return gelu(v, tanh_approximation); }
__device__ __forceinline__ float gelu_derivative_of(float v, flag tanh_approximation) {
    return gelu_derivative_float(v, tanh_approximation);
}
__device__ __forceinline__ double gelu_derivative_of(double v, flag tanh_approximation) {
    return gelu_derivative(v, tanh_approximation);
}

#define INSTANTIATE(T)                                                                                    \
    extern "C" __global__ void gelu_forward_##T(const T* x, T* y, long long n, flag tanh_approximation) { \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = gelu_of(x[i], tanh_approximation); }                                 \
    }                                                                                                     \
    extern "C" __global__ void gelu_backward_##T(const T* gy, const T* x, T* gx, long long n,             \
                                                 flag tanh_approximation) {                               \
        MINIGRAD_GRID_STRIDE(i, n) { gx[i] = gy[i] * gelu_derivative_of(x[i], tanh_approximation); }    \
    }                                                                                                     \
    extern "C" __global__ void erf_forward_##T(const T* x, T* y, long long n) {                           \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = (T)erf((double)x[i]); }                                       \
    }
INSTANTIATE(float)
INSTANTIATE(double)
