// ReLU forward and backward; one thread per element (grid-stride).
#include "common.cuh"

template <typename T>
__device__ void relu_forward(const T* x, T* y, long long n) {
    MINIGRAD_GRID_STRIDE(i, n) { y[i] = x[i] <= T(0) ? T(0) : x[i]; }  // NaN propagates
}

template <typename T>
__device__ void relu_backward(const T* gy, const T* y, T* gx, long long n) {
    MINIGRAD_GRID_STRIDE(i, n) { gx[i] = y[i] <= T(0) ? T(0) : gy[i]; }
}

#define INSTANTIATE(T)                                                                        \
    extern "C" __global__ void relu_forward_##T(const T* x, T* y, long long n) {              \
        relu_forward<T>(x, y, n);                                                             \
    }                                                                                         \
    extern "C" __global__ void relu_backward_##T(const T* gy, const T* y, T* gx, long long n) { \
        relu_backward<T>(gy, y, gx, n);                                                       \
    }
INSTANTIATE(float)
INSTANTIATE(double)
