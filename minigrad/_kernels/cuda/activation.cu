// ReLU, hardtanh and sigmoid forward and backward; one thread per element (grid-stride). The rules are activation.h's.
#include "common.cuh"
#include "activation.h"

#define INSTANTIATE(T)                                                                          \
    extern "C" __global__ void relu_forward_##T(const T* x, T* y, long long n) {                \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = relu(x[i]); }                                       \
    }                                                                                           \
    extern "C" __global__ void relu_backward_##T(const T* gy, const T* y, T* gx, long long n) { \
        MINIGRAD_GRID_STRIDE(i, n) { gx[i] = relu_gradient(gy[i], y[i]); }                      \
    }                                                                                           \
    extern "C" __global__ void hardtanh_forward_##T(const T* x, T* y, long long n, double min_val, \
                                                    double max_val) {                             \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = hardtanh(x[i], (T)min_val, (T)max_val); }           \
    }                                                                                           \
    extern "C" __global__ void hardtanh_backward_##T(const T* gy, const T* x, T* gx, long long n, \
                                                     double min_val, double max_val) {            \
        MINIGRAD_GRID_STRIDE(i, n) { gx[i] = hardtanh_gradient(gy[i], x[i], (T)min_val, (T)max_val); } \
    }                                                                                           \
    extern "C" __global__ void sigmoid_forward_##T(const T* x, T* y, long long n) {             \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = sigmoid(x[i]); }                                    \
    }                                                                                           \
    extern "C" __global__ void sigmoid_backward_##T(const T* gy, const T* y, T* gx, long long n) { \
        MINIGRAD_GRID_STRIDE(i, n) { gx[i] = sigmoid_gradient(gy[i], y[i]); }                   \
    }
INSTANTIATE(float)
INSTANTIATE(double)
