// ReLU, hardtanh, sigmoid, tanh, softplus and logsigmoid forward and backward; one thread per element (grid-stride). The rules are activation.h's.
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
    }                                                                                           \
    extern "C" __global__ void tanh_forward_##T(const T* x, T* y, long long n) {                \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = tanh_vectorizable(x[i]); }                          \
    }                                                                                           \
    extern "C" __global__ void tanh_backward_##T(const T* gy, const T* y, T* gx, long long n) { \
        MINIGRAD_GRID_STRIDE(i, n) { gx[i] = tanh_gradient(gy[i], y[i]); }                      \
    }                                                                                           \
    extern "C" __global__ void softplus_forward_##T(const T* x, T* y, long long n, double beta, \
                                                    double threshold) {                         \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = softplus(x[i], (T)beta, (T)threshold); }            \
    }                                                                                           \
    extern "C" __global__ void softplus_backward_##T(const T* gy, const T* x, T* gx, long long n, \
                                                     double beta, double threshold) {           \
        MINIGRAD_GRID_STRIDE(i, n) { gx[i] = softplus_gradient(gy[i], x[i], (T)beta, (T)threshold); } \
    }                                                                                           \
    extern "C" __global__ void logsigmoid_forward_##T(const T* x, T* y, long long n) {          \
        MINIGRAD_GRID_STRIDE(i, n) { y[i] = logsigmoid(x[i]); }                                 \
    }                                                                                           \
    extern "C" __global__ void logsigmoid_backward_##T(const T* gy, const T* x, T* gx, long long n) { \
        MINIGRAD_GRID_STRIDE(i, n) { gx[i] = logsigmoid_gradient(gy[i], x[i]); }                \
    }
INSTANTIATE(float)
INSTANTIATE(double)
