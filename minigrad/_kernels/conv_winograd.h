/* Winograd F(2x2, 3x3): the transforms of one block row (conv.pyx's _transform_input and _transform_output)
 * and the 16 products (mgw_product, on conv_direct.h's kernel).
 *
 * Vectorised over the row's blocks with GCC vector extensions, 32-byte vectors (8 floats, 4 doubles:
 * 28x28 outputs have 14 blocks a row, too few for 64-byte ones; without AVX GCC splits them in two).
 * The input's padded rows are combined (B^T d) and split into their even and odd columns, so that
 * block b's four columns 2b to 2b + 3 are positions b and b + 1 of the two halves; the output's two
 * columns per block are interleaved back in registers. A row of fewer blocks than a vector runs the
 * same formulas on scalars; a longer one ends with a vector that overlaps the one before it (every
 * pass writes apart from what it reads, so a value written twice is the same value).
 *
 * The arithmetic, and its order, is that of the formulas in conv.pyx: B^T d as rows
 * (d0 - d2, d1 + d2, d2 - d1, d1 - d3), then times B as columns; A^T M as rows
 * (m0 + m1 + m2, m1 - m2 - m3), then times A as columns, the bias added first.
 */
#ifndef MINIGRAD_CONV_WINOGRAD_H
#define MINIGRAD_CONV_WINOGRAD_H

#include <stddef.h>
#include <string.h>

#include "conv_direct.h"

#define MGW_VECTOR_BYTES 32

/* step(i) for i in [0, count): vectors of VL where count >= VL, the last one overlapping, else scalars */
#define MGW_FOR_CHUNKS(count, VL, vector_step, scalar_step)                                                   \
    do {                                                                                                      \
        ptrdiff_t i_;                                                                                         \
        if ((count) >= (VL)) {                                                                                \
            for (i_ = 0; i_ + (VL) <= (count); i_ += (VL))                                                    \
                vector_step(i_);                                                                              \
            if (i_ < (count))                                                                                 \
                vector_step((count) - (VL));                                                                  \
        } else {                                                                                              \
            for (i_ = 0; i_ < (count); i_++)                                                                  \
                scalar_step(i_);                                                                              \
        }                                                                                                     \
    } while (0)

#define MGW_LOAD(T, p) (*(const T*)(p))
#define MGW_STORE(T, p, value) (*(T*)(p) = (value))

/* rows k = 0..3 of B^T d from the padded rows' values r0..r3 at position j of one half, to half_k[j] */
#define MGW_ROW_COMBOS(T, dst, j, r0, r1, r2, r3)                                                             \
    do {                                                                                                      \
        MGW_STORE(T, dst + (j), r0 - r2);                                                                     \
        MGW_STORE(T, dst + half + (j), r1 + r2);                                                              \
        MGW_STORE(T, dst + 2 * half + (j), r2 - r1);                                                          \
        MGW_STORE(T, dst + 3 * half + (j), r1 - r3);                                                          \
    } while (0)

/* (B^T d B)[4k .. 4k + 3] of block b from row k of B^T d (halves e, o) */
#define MGW_COLUMN_COMBOS(T, e, o, out, b)                                                                    \
    do {                                                                                                      \
        const T e0_ = MGW_LOAD(T, e + (b)), e1_ = MGW_LOAD(T, e + (b) + 1);                                   \
        const T o0_ = MGW_LOAD(T, o + (b)), o1_ = MGW_LOAD(T, o + (b) + 1);                                   \
        MGW_STORE(T, out + (b), e0_ - e1_);                                                                   \
        MGW_STORE(T, out + stride + (b), o0_ + e1_);                                                          \
        MGW_STORE(T, out + 2 * stride + (b), e1_ - o0_);                                                      \
        MGW_STORE(T, out + 3 * stride + (b), o0_ - o1_);                                                      \
    } while (0)

/* the even and odd outputs of output row `row` of block b: row `row` of A^T M, then its products with A */
#define MGW_OUTPUT_PAIR(T, b, even, odd)                                                                      \
    T s0_, s1_, s2_, s3_;                                                                                     \
    if (row == 0) {                                                                                           \
        s0_ = MGW_LOAD(T, m + (b)) + MGW_LOAD(T, m + 4 * stride + (b)) + MGW_LOAD(T, m + 8 * stride + (b));   \
        s1_ = MGW_LOAD(T, m + stride + (b)) + MGW_LOAD(T, m + 5 * stride + (b))                               \
              + MGW_LOAD(T, m + 9 * stride + (b));                                                            \
        s2_ = MGW_LOAD(T, m + 2 * stride + (b)) + MGW_LOAD(T, m + 6 * stride + (b))                           \
              + MGW_LOAD(T, m + 10 * stride + (b));                                                           \
        s3_ = MGW_LOAD(T, m + 3 * stride + (b)) + MGW_LOAD(T, m + 7 * stride + (b))                           \
              + MGW_LOAD(T, m + 11 * stride + (b));                                                           \
    } else {                                                                                                  \
        s0_ = MGW_LOAD(T, m + 4 * stride + (b)) - MGW_LOAD(T, m + 8 * stride + (b))                           \
              - MGW_LOAD(T, m + 12 * stride + (b));                                                           \
        s1_ = MGW_LOAD(T, m + 5 * stride + (b)) - MGW_LOAD(T, m + 9 * stride + (b))                           \
              - MGW_LOAD(T, m + 13 * stride + (b));                                                           \
        s2_ = MGW_LOAD(T, m + 6 * stride + (b)) - MGW_LOAD(T, m + 10 * stride + (b))                          \
              - MGW_LOAD(T, m + 14 * stride + (b));                                                           \
        s3_ = MGW_LOAD(T, m + 7 * stride + (b)) - MGW_LOAD(T, m + 11 * stride + (b))                          \
              - MGW_LOAD(T, m + 15 * stride + (b));                                                           \
    }                                                                                                         \
    const T even = base + s0_ + s1_ + s2_;                                                                    \
    const T odd = base + s1_ - s2_ - s3_

#define MGW_DEFINE(real, suffix, index, V)                                                 \
typedef real mgw_vector_##suffix __attribute__((vector_size(MGW_VECTOR_BYTES), aligned(sizeof(real))));       \
typedef index mgw_mask_##suffix __attribute__((vector_size(MGW_VECTOR_BYTES)));                               \
enum { MGW_LANES_##suffix = MGW_VECTOR_BYTES / sizeof(real) };                                                \
                                                                                                              \
/* v[xi * stride + b] = (B^T d B)[xi] for the blocks b < BW of one block row, d the 4x4 input under block b:   \
   rows top to top + 3, columns left + 2b to left + 2b + 3 of plane (H, W), 0 outside it. scratch holds       \
   16 * (BW + 1) values. */                                                                                   \
static void mgw_input_##suffix(const real* plane, ptrdiff_t H, ptrdiff_t W, ptrdiff_t top, ptrdiff_t left,      \
                               ptrdiff_t BW, real* scratch, real* v, ptrdiff_t stride) {                      \
    typedef mgw_vector_##suffix vec;                                                                          \
    typedef real scalar;                                                                                      \
    const ptrdiff_t pitch = 2 * BW + 2, half = BW + 1, VL = MGW_LANES_##suffix;                              \
    const ptrdiff_t lo = -left < 0 ? 0 : (-left < pitch ? -left : pitch); /* padded columns in x: [lo, hi) */ \
    const ptrdiff_t hi = W - left < lo ? lo : (W - left < pitch ? W - left : pitch);                          \
    const mgw_mask_##suffix even_lanes = MGW_EVEN_##suffix, odd_lanes = MGW_ODD_##suffix;                     \
    real* const d = scratch;                                                                                  \
    real* const even = scratch + 4 * pitch; /* row k of B^T d: even[k * half + j] = column 2j */              \
    real* const odd = even + 4 * half;                                                                        \
    ptrdiff_t r, k;                                                                                           \
    for (r = 0; r < 4; r++) {                                                                                 \
        real* const row = d + r * pitch;                                                                      \
        if (top + r < 0 || top + r >= H) {                                                                    \
            memset(row, 0, pitch * sizeof(real));                                                             \
        } else {                                                                                              \
            memset(row, 0, lo * sizeof(real));                                                                \
            memcpy(row + lo, plane + (top + r) * W + left + lo, (hi - lo) * sizeof(real));                    \
            memset(row + hi, 0, (pitch - hi) * sizeof(real));                                                 \
        }                                                                                                     \
    }                                                                                                         \
    /* positions [j, j + VL) of every row's halves from its columns [2j, 2j + 2 VL) */                         \
    MGW_FOR_CHUNKS(half, VL, MGW_SPLIT_VECTOR, MGW_SPLIT_SCALAR);                                             \
    for (k = 0; k < 4; k++) {                                                                                 \
        const real* const e = even + k * half;                                                                \
        const real* const o = odd + k * half;                                                                 \
        real* const out = v + 4 * k * stride;                                                                 \
        MGW_FOR_CHUNKS(BW, VL, MGW_COLUMNS_VECTOR, MGW_COLUMNS_SCALAR);                                       \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* Row `row` (a constant once inlined) of A^T M A + base for one block row, M[xi] = m[xi * stride + b]: OW    \
   columns of y (odd: the last block's second column dropped) */                                              \
static inline __attribute__((always_inline)) void mgw_output_row_##suffix(                                   \
        const real* m, ptrdiff_t stride, real base, real* y, ptrdiff_t OW, const int row) {                   \
    typedef mgw_vector_##suffix vec;                                                                          \
    typedef real scalar;                                                                                      \
    const ptrdiff_t VL = MGW_LANES_##suffix, pairs = OW / 2;                                                  \
    const mgw_mask_##suffix low_lanes = MGW_LOW_##suffix, high_lanes = MGW_HIGH_##suffix;                     \
    MGW_FOR_CHUNKS(pairs, VL, MGW_PAIRS_VECTOR, MGW_PAIRS_SCALAR);                                            \
    if (OW % 2) {                                                                                             \
        MGW_OUTPUT_PAIR(real, pairs, last_even, last_odd);                                                    \
        (void)last_odd;                                                                                       \
        y[2 * pairs] = last_even;                                                                             \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* m[o * stride + b] = the sum over i of u[o, i] * v[offsets[i] + b] for o < cout, b < blocks: one of the 16    \
   products, on conv_direct.h's kernel (packed: u as [o // V][i][o % V], zeros past cout) */                    \
static void mgw_product_##suffix(const real* v, const ptrdiff_t* offsets, const real* packed, ptrdiff_t cin,     \
                                 ptrdiff_t cout, ptrdiff_t blocks, real* m, ptrdiff_t stride) {               \
    ptrdiff_t block;                                                                                          \
    for (block = 0; block * V < cout; block++)                                                                \
        mgd_row_##suffix(v, offsets, cin, packed + block * cin * V, m + block * V * stride, stride, NULL,     \
                         cout - block * V < V ? cout - block * V : V, blocks);                                \
}                                                                                                             \
                                                                                                              \
/* The outputs A^T M A + base of one block row: row 0 to y0, row 1 to y1 (NULL: past the image's last row) */ \
static void mgw_output_##suffix(const real* m, ptrdiff_t stride, real base, real* y0, real* y1, ptrdiff_t OW) { \
    mgw_output_row_##suffix(m, stride, base, y0, OW, 0);                                                      \
    if (y1)                                                                                                   \
        mgw_output_row_##suffix(m, stride, base, y1, OW, 1);                                                  \
}

/* the chunk steps, written against the names in scope where MGW_FOR_CHUNKS runs them */
#define MGW_SPLIT_VECTOR(j)                                                                                   \
    do {                                                                                                      \
        vec e_[4], o_[4];                                                                                     \
        for (r = 0; r < 4; r++) {                                                                             \
            const vec a_ = MGW_LOAD(vec, d + r * pitch + 2 * (j)), b_ = MGW_LOAD(vec, d + r * pitch + 2 * (j) + VL); \
            e_[r] = __builtin_shuffle(a_, b_, even_lanes);                                                    \
            o_[r] = __builtin_shuffle(a_, b_, odd_lanes);                                                     \
        }                                                                                                     \
        MGW_ROW_COMBOS(vec, even, j, e_[0], e_[1], e_[2], e_[3]);                                             \
        MGW_ROW_COMBOS(vec, odd, j, o_[0], o_[1], o_[2], o_[3]);                                              \
    } while (0)
#define MGW_SPLIT_SCALAR(j)                                                                                   \
    do {                                                                                                      \
        MGW_ROW_COMBOS(scalar, even, j, d[2 * (j)], d[pitch + 2 * (j)], d[2 * pitch + 2 * (j)],                 \
                       d[3 * pitch + 2 * (j)]);                                                               \
        MGW_ROW_COMBOS(scalar, odd, j, d[2 * (j) + 1], d[pitch + 2 * (j) + 1], d[2 * pitch + 2 * (j) + 1],      \
                       d[3 * pitch + 2 * (j) + 1]);                                                           \
    } while (0)
#define MGW_COLUMNS_VECTOR(b) MGW_COLUMN_COMBOS(vec, e, o, out, b)
#define MGW_COLUMNS_SCALAR(b) MGW_COLUMN_COMBOS(scalar, e, o, out, b)
#define MGW_PAIRS_VECTOR(b)                                                                                   \
    do {                                                                                                      \
        MGW_OUTPUT_PAIR(vec, b, even_, odd_);                                                                 \
        MGW_STORE(vec, y + 2 * (b), __builtin_shuffle(even_, odd_, low_lanes));                               \
        MGW_STORE(vec, y + 2 * (b) + VL, __builtin_shuffle(even_, odd_, high_lanes));                         \
    } while (0)
#define MGW_PAIRS_SCALAR(b)                                                                                   \
    do {                                                                                                      \
        MGW_OUTPUT_PAIR(scalar, b, even_, odd_);                                                                \
        y[2 * (b)] = even_;                                                                                   \
        y[2 * (b) + 1] = odd_;                                                                                \
    } while (0)

/* shuffle masks: the even and odd lanes of two vectors; the low and high halves of two interleaved */
#define MGW_EVEN_f {0, 2, 4, 6, 8, 10, 12, 14}
#define MGW_ODD_f {1, 3, 5, 7, 9, 11, 13, 15}
#define MGW_LOW_f {0, 8, 1, 9, 2, 10, 3, 11}
#define MGW_HIGH_f {4, 12, 5, 13, 6, 14, 7, 15}
#define MGW_EVEN_d {0, 2, 4, 6}
#define MGW_ODD_d {1, 3, 5, 7}
#define MGW_LOW_d {0, 4, 1, 5}
#define MGW_HIGH_d {2, 6, 3, 7}

MGW_DEFINE(float, f, int, MGD_FLOATS)
MGW_DEFINE(double, d, long long, MGD_DOUBLES)

#endif
