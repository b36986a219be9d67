/* Direct convolution vectorised over output channels (conv.pyx's _direct; the oneDNN way).
 *
 * A job is a block of output rows of one sample and one group. It copies the input rows under them,
 * with their padding, into a per-thread buffer, then for each block of MGD_V output channels and
 * each run of up to MGD_P output pixels of a row keeps acc[pixel] (MGD_V channels) in vector
 * registers: for every tap (input channel, kh, kw) one weight vector is loaded and each pixel's input
 * value is broadcast into one multiply-add. The sum of a pixel runs over the taps in one fixed order,
 * whatever the job split or thread count, so results are bitwise the same on any number of threads.
 *
 * Strides: at stride 1 and 2 the buffer holds each padded input row as it is (one copy) and a run's
 * pixels read every SW-th item: the step is a constant of the inner loop, so each broadcast is one
 * load at a fixed displacement, as at stride 1. Above 2 the buffer holds each padded row as SW
 * phases (padded column j at phase j % SW, position j / SW), so that the pixels of a run read
 * consecutive positions; a phase split costs a strided scalar copy of every input item, which took
 * as long as the products themselves on ResNet-14's stride-2 layers.
 *
 * Weights are packed per call as [group][channel block][input channel][kh][kw][MGD_V] (zeros past
 * the last channel). The adjoint packing gives the input gradient of a stride-1 convolution: gy
 * correlated with the weight flipped in both axes, input and output channels swapped.
 *
 * A full run's sums are transposed in registers (V x V tiles: one vector per channel) and stored as vectors.
 *
 * Rows of MGD_P / 2 output pixels or fewer (8x8 outputs, LeNet's) run two at a time, their outputs being
 * contiguous: a run twice as wide keeps twice the sums in registers per weight load (8x8 layers went
 * from 0.55x to 0.75x torch's rate). Each pixel's sum is the same as from a run of its row alone.
 *
 * Where g->pairs is set (conv.pyx: a block's packed weights beyond L1's share) and rows have MGD_PAIR_P
 * pixels or more, two channel blocks share a run of MGD_PAIR_P pixels: each input is broadcast into a
 * register once for two multiply-adds, and two weight vectors serve the run. In a microbenchmark with
 * AVX-512 a 2 x 8 run reached 160 GFLOP/s against 122-131 for a 16-pixel single-block run where the
 * weights came from L2 (64 channels) or the run read at stride 2; where neither (32 channels, stride 1)
 * the single-block run was the faster, 171 against 160, hence conv.pyx's threshold. Each channel's sum
 * is the same as from a single-block run.
 *
 * GCC vector extensions: 512-bit vectors where AVX-512 is on (Zen 4 runs them at the 256-bit FMA
 * rate with half the instructions), 256 with AVX, else 128 (SSE2, MINIGRAD_PORTABLE=1: still correct).
 */
#ifndef MINIGRAD_CONV_DIRECT_H
#define MINIGRAD_CONV_DIRECT_H

#include <stddef.h>
#include <string.h>

/* MGD_LANES_F / MGD_LANES_D: each lane's index, for the transpose's shuffle masks */
#if defined(__AVX512F__)
#define MGD_VECTOR_BYTES 64
#define MGD_P 16 /* 32 vector registers: 16 sums, the weight, room to spare */
#define MGD_PAIR_P 8 /* two channel blocks by 8 pixels: 16 sums, two weights, the broadcast input */
#define MGD_LANES_F {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
#define MGD_LANES_D {0, 1, 2, 3, 4, 5, 6, 7}
#elif defined(__AVX__)
#define MGD_VECTOR_BYTES 32
#define MGD_P 12 /* 16 vector registers */
#define MGD_LANES_F {0, 1, 2, 3, 4, 5, 6, 7}
#define MGD_LANES_D {0, 1, 2, 3}
#define MGD_PAIR_P 4 /* 16 vector registers: 8 sums, two weights, the broadcast input */
#else
#define MGD_VECTOR_BYTES 16
#define MGD_P 12
#define MGD_LANES_F {0, 1, 2, 3}
#define MGD_LANES_D {0, 1}
#define MGD_PAIR_P 4
#endif
#define MGD_FLOATS (MGD_VECTOR_BYTES / 4)
#define MGD_DOUBLES (MGD_VECTOR_BYTES / 8)

typedef struct {
    ptrdiff_t N, groups, cin, cout;           /* batch, groups, channels per group read and written */
    ptrdiff_t H, W, OH, OW;                   /* read size, written size */
    ptrdiff_t KH, KW, SH, SW, DH, DW, top, left; /* written (0, 0) reads (-top, -left) at tap (0, 0) */
    ptrdiff_t blocks;                         /* channel blocks of MGD_V per group */
    ptrdiff_t rows, row_blocks;               /* output rows per job; jobs per (sample, group) */
    ptrdiff_t in_rows, pitch, phase;          /* buffer rows per channel, row length, phase length */
    ptrdiff_t phases;                         /* column phases of a buffer row: 1, or SW above MGD_MAX_STEP */
    ptrdiff_t pairs;                          /* 1: channel blocks run two at a time in rows of MGD_PAIR_P or more */
} mgd_geometry;

#define MGD_MAX_STEP 2 /* the largest column stride read from unsplit rows */

/* n bytes (a multiple of 4) from src to dst by fixed-size moves that GCC inlines, the last one overlapping
   the one before. Rows of 8 to 32 items copied by a memcpy call with a memset on either side spent more in
   the calls than in the moves: 13% of an 8x8 layer's forward, 23% of a 16x16 stride-2 one's. */
static inline void mgd_copy_row(char* dst, const char* src, size_t n) {
    size_t k;
    if (n >= 32) {
        for (k = 0; k + 32 < n; k += 32)
            memcpy(dst + k, src + k, 32);
        memcpy(dst + n - 32, src + n - 32, 32);
    } else if (n >= 16) {
        memcpy(dst, src, 16);
        memcpy(dst + n - 16, src + n - 16, 16);
    } else if (n >= 8) {
        memcpy(dst, src, 8);
        memcpy(dst + n - 8, src + n - 8, 8);
    } else if (n >= 4) {
        memcpy(dst, src, 4);
    }
}

/* rows[c][r][j] = image[c][top + r][j - left] for c < channels, r < count, j < pitch; 0 outside the image
   (H, W). Channel planes of rows lie in_rows * pitch items apart; items of itemsize bytes. */
static inline void mgd_copy_padded_rows(const void* image, void* rows, size_t itemsize, ptrdiff_t channels,
                                        ptrdiff_t H, ptrdiff_t W, ptrdiff_t top, ptrdiff_t count,
                                        ptrdiff_t in_rows, ptrdiff_t left, ptrdiff_t pitch) {
    const ptrdiff_t lo = left < 0 ? 0 : (left < pitch ? left : pitch); /* columns in the image: [lo, hi) */
    const ptrdiff_t hi = W + left < lo ? lo : (W + left < pitch ? W + left : pitch);
    const ptrdiff_t first = top < 0 ? -top : 0, last = H - top < count ? H - top : count; /* rows in it */
    ptrdiff_t c, r;
    for (c = 0; c < channels; c++) { /* zero the channel's rows in one call, then copy the image's part */
        char* const plane = (char*)rows + c * in_rows * pitch * itemsize;
        memset(plane, 0, count * pitch * itemsize);
        for (r = first; r < last; r++)
            mgd_copy_row(plane + (r * pitch + lo) * itemsize,
                         (const char*)image + ((c * H + top + r) * W + lo - left) * itemsize, (hi - lo) * itemsize);
    }
}

/* The taps' offsets into a job's buffer, in packing order (input channel, kh, kw). */
static inline void mgd_tap_offsets(const mgd_geometry* g, ptrdiff_t* offsets) {
    ptrdiff_t i, kh, kw, t = 0;
    for (i = 0; i < g->cin; i++)
        for (kh = 0; kh < g->KH; kh++)
            for (kw = 0; kw < g->KW; kw++)
                offsets[t++] = (i * g->in_rows + kh * g->DH) * g->pitch + (kw * g->DW) % g->phases * g->phase
                               + kw * g->DW / g->phases;
}

#define MGD_DEFINE(real, V, suffix, lane_index, LANES)                                                        \
typedef real mgd_vector_##suffix __attribute__((vector_size(MGD_VECTOR_BYTES)));                              \
typedef real mgd_unaligned_##suffix __attribute__((vector_size(MGD_VECTOR_BYTES), aligned(sizeof(real))));    \
typedef lane_index mgd_mask_##suffix __attribute__((vector_size(MGD_VECTOR_BYTES)));                          \
                                                                                                              \
/* rows[i][k] becomes rows[k][i] (i, k < V) in registers: the stage for bit s swaps bit s of the row index   \
   with bit s of the lane index, two shuffles of rows i and i + s (bit s of i clear) each */                  \
static inline __attribute__((always_inline)) void mgd_transpose_##suffix(mgd_vector_##suffix* rows) {        \
    const mgd_mask_##suffix lane = LANES;                                                                     \
    int s, i;                                                                                                 \
    _Pragma("GCC unroll 4")                                                                                   \
    for (s = 1; s < V; s *= 2) {                                                                              \
        const mgd_mask_##suffix high = (lane & s) != 0; /* all ones in the lanes with bit s set */            \
        const mgd_mask_##suffix low_row = (high & (V + (lane ^ s))) | (~high & lane);                         \
        const mgd_mask_##suffix high_row = (high & (V + lane)) | (~high & (lane ^ s));                        \
        _Pragma("GCC unroll 16")                                                                              \
        for (i = 0; i < V; i++)                                                                               \
            if (!(i & s)) {                                                                                   \
                const mgd_vector_##suffix a = rows[i], b = rows[i + s];                                       \
                rows[i] = __builtin_shuffle(a, b, low_row);                                                   \
                rows[i + s] = __builtin_shuffle(a, b, high_row);                                              \
            }                                                                                                 \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* packed[group][block][i][kh][kw][V] from weight (groups, cout, cin * KH * KW); adjoint: from the forward   \
   weight (groups, cin, cout * KH * KW), flipped */                                                          \
static void mgd_pack_##suffix(const real* weight, real* packed, const mgd_geometry* g, int adjoint) {         \
    ptrdiff_t group, block, i, tap, v, o, taps = g->KH * g->KW;                                               \
    real* dst = packed;                                                                                       \
    for (group = 0; group < g->groups; group++)                                                               \
        for (block = 0; block < g->blocks; block++)                                                           \
            for (i = 0; i < g->cin; i++)                                                                      \
                for (tap = 0; tap < taps; tap++)                                                              \
                    for (v = 0; v < V; v++) {                                                                 \
                        o = block * V + v;                                                                    \
                        if (o >= g->cout)                                                                     \
                            *dst++ = 0;                                                                       \
                        else if (adjoint)                                                                     \
                            *dst++ = weight[((group * g->cin + i) * g->cout + o) * taps + taps - 1 - tap];    \
                        else                                                                                  \
                            *dst++ = weight[((group * g->cout + o) * g->cin + i) * taps + tap];              \
                    }                                                                                         \
}                                                                                                             \
                                                                                                              \
/* Channel v's V pixels, rows[v][k] after the transpose (+ bias[v] where bias is not NULL), to dst + v * plane \
   for v < count; V a constant, so that the unrolled rows stay in registers */                                \
static inline __attribute__((always_inline)) void mgd_store_tile_##suffix(                                   \
        mgd_vector_##suffix* rows, real* dst, ptrdiff_t plane, const real* bias, ptrdiff_t count) {           \
    int v;                                                                                                    \
    mgd_transpose_##suffix(rows);                                                                             \
    _Pragma("GCC unroll 16")                                                                                  \
    for (v = 0; v < V; v++)                                                                                   \
        if (v < count)                                                                                        \
            *(mgd_unaligned_##suffix*)(dst + v * plane) = rows[v] + (bias ? bias[v] : 0);                     \
}                                                                                                             \
                                                                                                              \
/* Pixels [first, last) one by one, sums[p][v] to dst[v * plane + p] (+ bias[v]) for v < count */            \
static inline __attribute__((always_inline)) void mgd_store_pixels_##suffix(                                 \
        const mgd_vector_##suffix* sums, real* dst, ptrdiff_t plane, const real* bias, ptrdiff_t count,        \
        int first, int last) {                                                                                \
    ptrdiff_t v;                                                                                              \
    int p;                                                                                                    \
    for (v = 0; v < count; v++) {                                                                             \
        const real base = bias ? bias[v] : 0;                                                                 \
        for (p = first; p < last; p++)                                                                        \
            dst[v * plane + p] = sums[p][v] + base;                                                           \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* P pixels' sums to dst[v * plane + p] (+ bias[v]) for v < count: a full run as transposed tiles */          \
static inline __attribute__((always_inline)) void mgd_store_run_##suffix(                                     \
        mgd_vector_##suffix* sums, real* dst, ptrdiff_t plane, const real* bias, ptrdiff_t count, int P) {    \
    int p0;                                                                                                   \
    if (P == MGD_P) {                                                                                         \
        for (p0 = 0; p0 + V <= MGD_P; p0 += V)                                                                \
            mgd_store_tile_##suffix(sums + p0, dst + p0, plane, bias, count);                                 \
        if (MGD_P % V)                                                                                        \
            mgd_store_pixels_##suffix(sums, dst, plane, bias, count, MGD_P / V * V, MGD_P);                   \
    } else {                                                                                                  \
        mgd_store_pixels_##suffix(sums, dst, plane, bias, count, 0, P);                                       \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* sums[p] = the sum over taps t of in[offsets[t] + p * S] * w[t] for p < P; P and S constants once inlined,  \
   so that the sums live in registers and each load has a fixed displacement */                               \
static inline __attribute__((always_inline)) void mgd_run_##suffix(                                          \
        const real* in, const ptrdiff_t* offsets, ptrdiff_t taps, const real* w, mgd_vector_##suffix* sums,   \
        const int P, const int S) {                                                                           \
    mgd_vector_##suffix acc[MGD_P];                                                                           \
    ptrdiff_t t;                                                                                              \
    int p;                                                                                                    \
    for (p = 0; p < P; p++)                                                                                   \
        acc[p] = (mgd_vector_##suffix){0};                                                                    \
    for (t = 0; t < taps; t++) {                                                                              \
        const mgd_vector_##suffix wv = *(const mgd_unaligned_##suffix*)(w + t * V);                           \
        const real* s = in + offsets[t];                                                                      \
        __asm__("" : "+r"(s)); /* one base register for the P loads: else GCC keeps P addresses, spilled */  \
        for (p = 0; p < P; p++)                                                                               \
            acc[p] += s[p * S] * wv;                                                                          \
    }                                                                                                         \
    for (p = 0; p < P; p++)                                                                                   \
        sums[p] = acc[p];                                                                                     \
}                                                                                                             \
                                                                                                              \
static inline __attribute__((always_inline)) void mgd_run_any_##suffix(                                       \
        const real* in, const ptrdiff_t* offsets, ptrdiff_t taps, const real* w, mgd_vector_##suffix* sums,   \
        int P, const int S) {                                                                                 \
    switch (P) {                                                                                              \
    case 1: mgd_run_##suffix(in, offsets, taps, w, sums, 1, S); break;                                        \
    case 2: mgd_run_##suffix(in, offsets, taps, w, sums, 2, S); break;                                        \
    case 3: mgd_run_##suffix(in, offsets, taps, w, sums, 3, S); break;                                        \
    case 4: mgd_run_##suffix(in, offsets, taps, w, sums, 4, S); break;                                        \
    case 5: mgd_run_##suffix(in, offsets, taps, w, sums, 5, S); break;                                        \
    case 6: mgd_run_##suffix(in, offsets, taps, w, sums, 6, S); break;                                        \
    case 7: mgd_run_##suffix(in, offsets, taps, w, sums, 7, S); break;                                        \
    case 8: mgd_run_##suffix(in, offsets, taps, w, sums, 8, S); break;                                        \
    case 9: mgd_run_##suffix(in, offsets, taps, w, sums, 9, S); break;                                        \
    case 10: mgd_run_##suffix(in, offsets, taps, w, sums, 10, S); break;                                      \
    case 11: mgd_run_##suffix(in, offsets, taps, w, sums, 11, S); break;                                      \
    case 12: mgd_run_##suffix(in, offsets, taps, w, sums, 12, S); break;                                      \
    MGD_WIDE_CASES(suffix)                                                                                    \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* out[v * plane + p] = the sum over taps t of in[offsets[t] + p * S] * w[t * V + v] (+ bias[v]) for          \
   p < width and v < count: one output row of a channel block, its pixels S items apart in the input */       \
static inline __attribute__((always_inline)) void mgd_row_by_##suffix(                                        \
        const real* in, const ptrdiff_t* offsets, ptrdiff_t taps, const real* w, real* out, ptrdiff_t plane,  \
        const real* bias, ptrdiff_t count, ptrdiff_t width, const int S) {                                    \
    mgd_vector_##suffix sums[MGD_P];                                                                          \
    ptrdiff_t ow;                                                                                             \
    for (ow = 0; ow < width; ow += MGD_P) {                                                                   \
        const int P = width - ow < MGD_P ? (int)(width - ow) : MGD_P;                                         \
        if (P == MGD_P)                                                                                       \
            mgd_run_##suffix(in + ow * S, offsets, taps, w, sums, MGD_P, S);                                  \
        else                                                                                                  \
            mgd_run_any_##suffix(in + ow * S, offsets, taps, w, sums, P, S);                                  \
        mgd_store_run_##suffix(sums, out + ow, plane, bias, count, P);                                        \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* mgd_row_by with consecutive pixels (S = 1) */                                                              \
static void mgd_row_##suffix(const real* in, const ptrdiff_t* offsets, ptrdiff_t taps, const real* w,         \
                             real* out, ptrdiff_t plane, const real* bias, ptrdiff_t count, ptrdiff_t width) { \
    mgd_row_by_##suffix(in, offsets, taps, w, out, plane, bias, count, width, 1);                             \
}                                                                                                             \
                                                                                                              \
/* mgd_row_by with every other item (S = 2) */                                                                \
static void mgd_row_step2_##suffix(const real* in, const ptrdiff_t* offsets, ptrdiff_t taps, const real* w,   \
                                   real* out, ptrdiff_t plane, const real* bias, ptrdiff_t count,             \
                                   ptrdiff_t width) {                                                         \
    mgd_row_by_##suffix(in, offsets, taps, w, out, plane, bias, count, width, 2);                             \
}                                                                                                             \
                                                                                                              \
/* mgd_run for the 2 * W pixels of two output rows of width W: pixel p < W reads in[offsets[t] + p * S] and   \
   pixel W + p in[offsets[t] + rows + p * S]; W and S constants once inlined */                               \
static inline __attribute__((always_inline)) void mgd_run_two_rows_##suffix(                                  \
        const real* in, ptrdiff_t rows, const ptrdiff_t* offsets, ptrdiff_t taps, const real* w,              \
        mgd_vector_##suffix* sums, const int W, const int S) {                                                \
    mgd_vector_##suffix acc[MGD_P];                                                                           \
    ptrdiff_t t;                                                                                              \
    int p;                                                                                                    \
    for (p = 0; p < 2 * W; p++)                                                                               \
        acc[p] = (mgd_vector_##suffix){0};                                                                    \
    for (t = 0; t < taps; t++) {                                                                              \
        const mgd_vector_##suffix wv = *(const mgd_unaligned_##suffix*)(w + t * V);                           \
        const real* s = in + offsets[t];                                                                      \
        const real* s2 = s + rows;                                                                            \
        __asm__("" : "+r"(s), "+r"(s2)); /* two base registers, as in mgd_run */                              \
        for (p = 0; p < W; p++) {                                                                             \
            acc[p] += s[p * S] * wv;                                                                          \
            acc[W + p] += s2[p * S] * wv;                                                                     \
        }                                                                                                     \
    }                                                                                                         \
    for (p = 0; p < 2 * W; p++)                                                                               \
        sums[p] = acc[p];                                                                                     \
}                                                                                                             \
                                                                                                              \
/* Output rows oh and oh + 1 of a channel block (width <= MGD_P / 2; out and in at row oh, the input of row   \
   oh + 1 `rows` items after in) as one run: the same sums as two mgd_row_by calls, from a run twice as wide */ \
static inline __attribute__((always_inline)) void mgd_two_rows_by_##suffix(                                   \
        const real* in, ptrdiff_t rows, const ptrdiff_t* offsets, ptrdiff_t taps, const real* w, real* out,   \
        ptrdiff_t plane, const real* bias, ptrdiff_t count, ptrdiff_t width, const int S) {                   \
    mgd_vector_##suffix sums[MGD_P];                                                                          \
    switch (width) {                                                                                          \
    case 1: mgd_run_two_rows_##suffix(in, rows, offsets, taps, w, sums, 1, S); break;                         \
    case 2: mgd_run_two_rows_##suffix(in, rows, offsets, taps, w, sums, 2, S); break;                         \
    case 3: mgd_run_two_rows_##suffix(in, rows, offsets, taps, w, sums, 3, S); break;                         \
    case 4: mgd_run_two_rows_##suffix(in, rows, offsets, taps, w, sums, 4, S); break;                         \
    case 5: mgd_run_two_rows_##suffix(in, rows, offsets, taps, w, sums, 5, S); break;                         \
    case 6: mgd_run_two_rows_##suffix(in, rows, offsets, taps, w, sums, 6, S); break;                         \
    MGD_WIDE_HALF_CASES(suffix)                                                                               \
    }                                                                                                         \
    mgd_store_run_##suffix(sums, out, plane, bias, count, 2 * (int)width);                                    \
}                                                                                                             \
                                                                                                              \
static void mgd_two_rows_##suffix(const real* in, ptrdiff_t rows, const ptrdiff_t* offsets, ptrdiff_t taps,   \
                                  const real* w, real* out, ptrdiff_t plane, const real* bias, ptrdiff_t count, \
                                  ptrdiff_t width, ptrdiff_t step) {                                          \
    if (step == 2)                                                                                            \
        mgd_two_rows_by_##suffix(in, rows, offsets, taps, w, out, plane, bias, count, width, 2);              \
    else                                                                                                      \
        mgd_two_rows_by_##suffix(in, rows, offsets, taps, w, out, plane, bias, count, width, 1);              \
}                                                                                                             \
                                                                                                              \
/* mgd_run for two channel blocks: sums[p] from weights w, sums[P + p] from w + second, P pixels (at most     \
   MGD_PAIR_P). Each broadcast input feeds two multiply-adds, so a tap's loads per multiply-add fall from     \
   (P + 1) / P to (P + 2) / (2 * P); the sums are those of two single-block runs, bit for bit. */             \
static inline __attribute__((always_inline)) void mgd_pair_run_##suffix(                                      \
        const real* in, const ptrdiff_t* offsets, ptrdiff_t taps, const real* w, ptrdiff_t second,            \
        mgd_vector_##suffix* sums, const int P, const int S) {                                                \
    mgd_vector_##suffix acc[2 * MGD_PAIR_P];                                                                  \
    ptrdiff_t t;                                                                                              \
    int p;                                                                                                    \
    for (p = 0; p < 2 * P; p++)                                                                               \
        acc[p] = (mgd_vector_##suffix){0};                                                                    \
    for (t = 0; t < taps; t++) {                                                                              \
        const mgd_vector_##suffix w0 = *(const mgd_unaligned_##suffix*)(w + t * V);                           \
        const mgd_vector_##suffix w1 = *(const mgd_unaligned_##suffix*)(w + second + t * V);                  \
        const real* s = in + offsets[t];                                                                      \
        __asm__("" : "+r"(s)); /* one base register, as in mgd_run */                                         \
        for (p = 0; p < P; p++) {                                                                             \
            const mgd_vector_##suffix b = s[p * S] - (mgd_vector_##suffix){0}; /* a broadcast: x - 0 is x */ \
            acc[p] += b * w0;                                                                                 \
            acc[P + p] += b * w1;                                                                             \
        }                                                                                                     \
    }                                                                                                         \
    for (p = 0; p < 2 * P; p++)                                                                               \
        sums[p] = acc[p];                                                                                     \
}                                                                                                             \
                                                                                                              \
/* The two blocks' P pixels (sums as mgd_pair_run leaves them) to dst (+ bias[v]), channels V apart in bias   \
   and V * plane apart in dst; the second block's first count channels. A full run of V / 2 pixels (float)    \
   is one V x V transpose whose rows hold both blocks, channel v's pixels in the low half of row v and        \
   channel V + v's in the high half; of V pixels (double), one transpose per block. */                        \
static inline __attribute__((always_inline)) void mgd_store_pair_##suffix(                                    \
        mgd_vector_##suffix* sums, real* dst, ptrdiff_t plane, const real* bias, ptrdiff_t count, int P) {    \
    typedef real half __attribute__((vector_size(MGD_VECTOR_BYTES / 2), aligned(sizeof(real))));              \
    int v;                                                                                                    \
    if (P == MGD_PAIR_P && 2 * MGD_PAIR_P == V) {                                                             \
        mgd_transpose_##suffix(sums);                                                                         \
        _Pragma("GCC unroll 16")                                                                              \
        for (v = 0; v < V; v++) {                                                                             \
            half low, high;                                                                                   \
            memcpy(&low, &sums[v], sizeof low);                                                               \
            memcpy(&high, (const char*)&sums[v] + sizeof low, sizeof high);                                   \
            *(half*)(dst + v * plane) = low + (bias ? bias[v] : 0);                                           \
            if (v < count)                                                                                    \
                *(half*)(dst + (V + v) * plane) = high + (bias ? bias[V + v] : 0);                            \
        }                                                                                                     \
    } else if (P == MGD_PAIR_P && MGD_PAIR_P == V) {                                                          \
        mgd_store_tile_##suffix(sums, dst, plane, bias, V);                                                   \
        mgd_store_tile_##suffix(sums + P, dst + V * plane, plane, bias ? bias + V : NULL, count);             \
    } else {                                                                                                  \
        mgd_store_pixels_##suffix(sums, dst, plane, bias, V, 0, P);                                           \
        mgd_store_pixels_##suffix(sums + P, dst + V * plane, plane, bias ? bias + V : NULL, count, 0, P);     \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* mgd_row_by for two channel blocks (weights w and w + second; the second block's first count channels) */   \
static inline __attribute__((always_inline)) void mgd_pair_row_by_##suffix(                                   \
        const real* in, const ptrdiff_t* offsets, ptrdiff_t taps, const real* w, ptrdiff_t second, real* out, \
        ptrdiff_t plane, const real* bias, ptrdiff_t count, ptrdiff_t width, const int S) {                   \
    mgd_vector_##suffix sums[2 * MGD_PAIR_P];                                                                 \
    ptrdiff_t ow;                                                                                             \
    for (ow = 0; ow < width; ow += MGD_PAIR_P) {                                                              \
        const int P = width - ow < MGD_PAIR_P ? (int)(width - ow) : MGD_PAIR_P;                               \
        switch (P) {                                                                                          \
        MGD_PAIR_CASES(suffix)                                                                                \
        }                                                                                                     \
        mgd_store_pair_##suffix(sums, out + ow, plane, bias, count, P);                                       \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
static void mgd_pair_row_##suffix(const real* in, const ptrdiff_t* offsets, ptrdiff_t taps, const real* w,    \
                                  ptrdiff_t second, real* out, ptrdiff_t plane, const real* bias,             \
                                  ptrdiff_t count, ptrdiff_t width, ptrdiff_t step) {                         \
    if (step == 2)                                                                                            \
        mgd_pair_row_by_##suffix(in, offsets, taps, w, second, out, plane, bias, count, width, 2);            \
    else                                                                                                      \
        mgd_pair_row_by_##suffix(in, offsets, taps, w, second, out, plane, bias, count, width, 1);            \
}                                                                                                             \
                                                                                                              \
/* Output rows [first, last) of sample n, group `group`: y (N, groups * cout, OH, OW) (+ bias or NULL), read  \
   from x (N, groups * cin, H, W) through buffer (cin * in_rows * pitch). */                                  \
static void mgd_job_##suffix(const real* x, const real* packed, const ptrdiff_t* offsets, const real* bias,   \
                             real* y, real* buffer, const mgd_geometry* g, ptrdiff_t job) {                   \
    const ptrdiff_t rb = job % g->row_blocks, ng = job / g->row_blocks, group = ng % g->groups;               \
    const ptrdiff_t first = rb * g->rows, last = first + g->rows < g->OH ? first + g->rows : g->OH;           \
    const ptrdiff_t taps = g->cin * g->KH * g->KW, plane = g->OH * g->OW;                                     \
    const ptrdiff_t width = (g->OW - 1) * g->SW + (g->KW - 1) * g->DW + 1; /* padded columns read */          \
    const ptrdiff_t lo = g->left < 0 ? 0 : (g->left < width ? g->left : width); /* columns in x: [lo, hi) */  \
    const ptrdiff_t hi = g->W + g->left < lo ? lo : (g->W + g->left < width ? g->W + g->left : width);        \
    const ptrdiff_t step = g->SW / g->phases; /* items between a run's pixels in the buffer */                \
    ptrdiff_t i, r, ih, j, ph, block, oh, count, pair = 0;                                                    \
    if (g->phases == 1)                                                                                       \
        mgd_copy_padded_rows(x + ng * g->cin * g->H * g->W, buffer, sizeof(real), g->cin, g->H, g->W,         \
                             first * g->SH - g->top, g->in_rows, g->in_rows, g->left, g->pitch);              \
    else                                                                                                      \
        for (i = 0; i < g->cin; i++) {                                                                        \
            const real* plane_in = x + (ng * g->cin + i) * g->H * g->W;                                       \
            for (r = 0; r < g->in_rows; r++) {                                                                \
                real* row = buffer + (i * g->in_rows + r) * g->pitch;                                         \
                ih = first * g->SH - g->top + r;                                                              \
                if (ih < 0 || ih >= g->H) {                                                                   \
                    memset(row, 0, g->pitch * sizeof(real));                                                  \
                    continue;                                                                                 \
                }                                                                                             \
                for (ph = 0; ph < g->SW; ph++) { /* padded columns q * SW + ph, q in [q0, q1), lie in x */    \
                    const ptrdiff_t q0 = lo > ph ? (lo - ph + g->SW - 1) / g->SW : 0;                         \
                    const ptrdiff_t q1 = hi > ph ? (hi - ph + g->SW - 1) / g->SW : 0;                         \
                    const real* src = plane_in + ih * g->W + ph - g->left;                                    \
                    real* dst = row + ph * g->phase;                                                          \
                    for (j = 0; j < q0; j++)                                                                  \
                        dst[j] = 0;                                                                           \
                    for (j = q0; j < q1; j++)                                                                 \
                        dst[j] = src[j * g->SW];                                                              \
                    for (j = q1; j < g->phase; j++)                                                           \
                        dst[j] = 0;                                                                           \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
    for (block = 0; block < g->blocks; block += pair ? 2 : 1) {                                               \
        const real* w = packed + (group * g->blocks + block) * taps * V;                                      \
        const real* const block_bias = bias ? bias + group * g->cout + block * V : NULL;                      \
        pair = g->pairs && g->OW >= MGD_PAIR_P && block + 1 < g->blocks;                                      \
        count = g->cout - (block + pair) * V < V ? g->cout - (block + pair) * V : V; /* of the last block */  \
        for (oh = first; oh < last; oh++) {                                                                   \
            const real* const in = buffer + (oh - first) * g->SH * g->pitch;                                  \
            real* const out = y + (ng * g->cout + block * V) * plane + oh * g->OW;                            \
            if (pair) {                                                                                       \
                mgd_pair_row_##suffix(in, offsets, taps, w, taps * V, out, plane, block_bias, count, g->OW,   \
                                      step);                                                                  \
            } else if (2 * g->OW <= MGD_P && oh + 1 < last) { /* narrow rows: two per run */                  \
                mgd_two_rows_##suffix(in, g->SH * g->pitch, offsets, taps, w, out, plane, block_bias, count,  \
                                      g->OW, step);                                                           \
                oh++;                                                                                         \
            } else if (step == 2) {                                                                           \
                mgd_row_step2_##suffix(in, offsets, taps, w, out, plane, block_bias, count, g->OW);           \
            } else {                                                                                          \
                mgd_row_##suffix(in, offsets, taps, w, out, plane, block_bias, count, g->OW);                 \
            }                                                                                                 \
        }                                                                                                     \
    }                                                                                                         \
}

#define MGD_PAIR_CASE(suffix, P) case P: mgd_pair_run_##suffix(in + ow * S, offsets, taps, w, second, sums, P, S); break;
#if MGD_PAIR_P > 4
#define MGD_PAIR_CASES(suffix)                                                                                \
    MGD_PAIR_CASE(suffix, 1) MGD_PAIR_CASE(suffix, 2) MGD_PAIR_CASE(suffix, 3) MGD_PAIR_CASE(suffix, 4)      \
    MGD_PAIR_CASE(suffix, 5) MGD_PAIR_CASE(suffix, 6) MGD_PAIR_CASE(suffix, 7) MGD_PAIR_CASE(suffix, 8)
#else
#define MGD_PAIR_CASES(suffix)                                                                                \
    MGD_PAIR_CASE(suffix, 1) MGD_PAIR_CASE(suffix, 2) MGD_PAIR_CASE(suffix, 3) MGD_PAIR_CASE(suffix, 4)
#endif

#if MGD_P > 12
#define MGD_WIDE_CASES(suffix)                                                                                \
    case 13: mgd_run_##suffix(in, offsets, taps, w, sums, 13, S); break;                                      \
    case 14: mgd_run_##suffix(in, offsets, taps, w, sums, 14, S); break;                                      \
    case 15: mgd_run_##suffix(in, offsets, taps, w, sums, 15, S); break;                                      \
    case 16: mgd_run_##suffix(in, offsets, taps, w, sums, 16, S); break;
#define MGD_WIDE_HALF_CASES(suffix)                                                                           \
    case 7: mgd_run_two_rows_##suffix(in, rows, offsets, taps, w, sums, 7, S); break;                         \
    case 8: mgd_run_two_rows_##suffix(in, rows, offsets, taps, w, sums, 8, S); break;
#else
#define MGD_WIDE_CASES(suffix)
#define MGD_WIDE_HALF_CASES(suffix)
#endif

MGD_DEFINE(float, MGD_FLOATS, f, int, MGD_LANES_F)
MGD_DEFINE(double, MGD_DOUBLES, d, long long, MGD_LANES_D)

#endif
