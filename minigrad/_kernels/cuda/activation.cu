// ReLU forward and backward; one thread per element (grid-stride). The rule is activation.h's.
#include "common.cuh"
#include "activation.h"

#define INSTANTIATE(T)                                                                          \
    extern "C" __global__ void relu_forward_##T(const T* x, T* y, long long n) {                \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = relu(x[i]); }                                       \
    }                                                                                           \
    extern "C" __global__ void relu_backward_##T(const T* gy, const T* y, T* gx, long long n) { \
        MINIGRAD_GRID_STRIDE(i, n) { gx[i] = relu_gradient(gy[i], y[i]); }                      \
    }
INSTANTIATE(float)
INSTANTIATE(double)
