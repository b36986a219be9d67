/* The GEMM micro-kernel of the CPU attention loops (attention.pyx): C[r, c] += sum_x A[r, x] * B[x, c]
   for the TILE_ROWS = 4 rows of C and c < W; A and C with row strides lda and ldc, B (X, W) with row
   stride ldb. Each 4 x (2 vectors) block of C is held in eight vector registers (GCC/Clang vector
   types of 64 bytes with AVX-512, else 32; unaligned loads through memcpy) while x runs over the shared
   dimension, so every loaded B vector feeds four multiply-adds; columns past the last whole block
   go in a scalar loop. */
#ifndef MINIGRAD_ATTENTION_TILE_H
#define MINIGRAD_ATTENTION_TILE_H
#include <string.h>

#ifdef __AVX512F__ /* 32 registers of 64 bytes */
#define ATTENTION_VECTOR_BYTES 64
#else
#define ATTENTION_VECTOR_BYTES 32
#endif
typedef float attention_floats __attribute__((vector_size(ATTENTION_VECTOR_BYTES)));
typedef double attention_doubles __attribute__((vector_size(ATTENTION_VECTOR_BYTES)));

#define ATTENTION_TILE_PRODUCT(NAME, T, VEC)                                                              \
    static inline void NAME(const T* A, long lda, const T* B, long ldb, T* C, long ldc, long X, long W) {  \
        const long lanes = sizeof(VEC) / sizeof(T), width = 2 * lanes;                                    \
        long c0 = 0;                                                                                      \
        for (; c0 + width <= W; c0 += width) {                                                            \
            VEC acc[4][2], b0, b1;                                                                        \
            for (int r = 0; r < 4; ++r) {                                                                 \
                memcpy(&acc[r][0], C + r * ldc + c0, sizeof(VEC));                                        \
                memcpy(&acc[r][1], C + r * ldc + c0 + lanes, sizeof(VEC));                                \
            }                                                                                             \
            for (long x = 0; x < X; ++x) {                                                                \
                memcpy(&b0, B + x * ldb + c0, sizeof(VEC));                                               \
                memcpy(&b1, B + x * ldb + c0 + lanes, sizeof(VEC));                                       \
                for (int r = 0; r < 4; ++r) {                                                             \
                    const T a = A[r * lda + x];                                                           \
                    acc[r][0] += a * b0;                                                                  \
                    acc[r][1] += a * b1;                                                                  \
                }                                                                                         \
            }                                                                                             \
            for (int r = 0; r < 4; ++r) {                                                                 \
                memcpy(C + r * ldc + c0, &acc[r][0], sizeof(VEC));                                        \
                memcpy(C + r * ldc + c0 + lanes, &acc[r][1], sizeof(VEC));                                \
            }                                                                                             \
        }                                                                                                 \
        for (; c0 < W; ++c0)                                                                              \
            for (int r = 0; r < 4; ++r) {                                                                 \
                T total = C[r * ldc + c0];                                                                \
                for (long x = 0; x < X; ++x) total += A[r * lda + x] * B[x * ldb + c0];                   \
                C[r * ldc + c0] = total;                                                                  \
            }                                                                                             \
    }

ATTENTION_TILE_PRODUCT(attention_tile_product_float, float, attention_floats)
ATTENTION_TILE_PRODUCT(attention_tile_product_double, double, attention_doubles)
#endif
