// Dropout with Philox-4x32-10, bit-identical to the CPU kernel: element i keeps its value when word
// (i % 4) of Philox(counter = (i / 4, offset), key = seed) is >= threshold (= p * 2^32); the
// keep/scale rule is dropout.h's.
#include "common.cuh"
#include "philox.h"
#include "dropout.h"

template <typename T>
__device__ void dropout_forward(const T* x, T* y, unsigned char* mask, long long n,
                                unsigned long long threshold, T scale, unsigned long long seed,
                                unsigned long long offset) {
    MINIGRAD_GRID_STRIDE(block, (n + 3) / 4) {
        unsigned int words[4];
        philox4x32_10((unsigned long long)block, offset, seed, words);
        for (int lane = 0; lane < 4; ++lane) {
            long long i = block * 4 + lane;
            if (i < n) {
                const int keep = dropout_keeps(words[lane], threshold);
                mask[i] = keep;
                y[i] = dropout_apply(x[i], keep, scale);
            }
        }
    }
}

template <typename T>
__device__ void dropout_backward(const T* gy, const unsigned char* mask, T* gx, long long n, T scale) {
    MINIGRAD_GRID_STRIDE(i, n) { gx[i] = dropout_apply(gy[i], mask[i], scale); }
}

extern "C" __global__ void philox4x32_words(unsigned long long block, unsigned long long offset,
                                            unsigned long long seed, unsigned int* out) {
    philox4x32_10(block, offset, seed, out);
}

#define INSTANTIATE(T)                                                                              \
    extern "C" __global__ void dropout_forward_##T(const T* x, T* y, unsigned char* mask, long long n, \
                                                   unsigned long long threshold, T scale,           \
                                                   unsigned long long seed, unsigned long long offset) { \
        dropout_forward<T>(x, y, mask, n, threshold, scale, seed, offset);                          \
    }                                                                                               \
    extern "C" __global__ void dropout_backward_##T(const T* gy, const unsigned char* mask, T* gx,  \
                                                    long long n, T scale) {                         \
        dropout_backward<T>(gy, mask, gx, n, scale);                                                \
    }
INSTANTIATE(float)
INSTANTIATE(double)
