/* The micro-kernel of the direct weight gradient (conv.pyx, _direct_weight_gradient): for a block
   of J kernel taps and VECTORS (1 or 2) vectors of LANES output channels,

       out[j][v * LANES + lane] += sum over the pixels p of g[v][p][lane] * x[offsets[j] + pixel(p)]

   where g is the output gradient transposed to [vector][pixel][lane], vectors g_stride apart (lanes
   past the group's channels hold zeros) and x a padded copy of the input rows, pixel(p) = image *
   image_step + row * row_step + column * step (mg_wg_pixels). The J x VECTORS sums stay in vector
   registers over all the pixels, each summed in pixel order: per pixel VECTORS vector loads of g,
   then per tap one broadcast input value and VECTORS fused multiply-adds. What bounds the loop is
   its loads, not its multiply-adds: two vectors let one broadcast feed two multiply-adds, and one
   vector takes two pixels a step. The taps come in runs of RUN at consecutive offsets (RUN 3: a
   3-wide kernel row at dilation 1; offsets[j] = offsets[j - j % RUN] + j % RUN), so that a block's
   offsets fit in the general registers: each load is a base register (one per pixel of the step),
   an offset register and a constant displacement, with no address arithmetic and no offset reloads
   (with RUN 1 and 27 taps, half the offsets were reloaded from the stack, a second load per
   multiply-add). J, VECTORS and RUN are compile-time constants of each instance (so that the loops
   unroll and the accumulators are registers), J a multiple of RUN, at most MG_WG_MAX_TAPS with one
   vector and MG_WG_MAX_PAIR_TAPS with two: the accumulators, the g vectors and the broadcast value
   fill the 32 vector registers of AVX-512, or 16 otherwise. */
#ifndef MINIGRAD_CONV_WEIGHT_H
#define MINIGRAD_CONV_WEIGHT_H
#include <stddef.h>
#include <stdlib.h>

#if defined(__AVX512F__)
#define MG_WG_VECTOR_BYTES 64
#define MG_WG_MAX_TAPS 27
#define MG_WG_MAX_PAIR_TAPS 14
#else
#define MG_WG_VECTOR_BYTES 32
#define MG_WG_MAX_TAPS 12
#define MG_WG_MAX_PAIR_TAPS 6
#endif
enum { MG_WG_LANES_F32 = MG_WG_VECTOR_BYTES / 4, MG_WG_LANES_F64 = MG_WG_VECTOR_BYTES / 8,
       MG_WG_TAPS = MG_WG_MAX_TAPS, MG_WG_PAIR_TAPS = MG_WG_MAX_PAIR_TAPS };

/* The pixels of a job: images x rows x width, at these steps in x (elements). */
typedef struct {
    ptrdiff_t images, image_step, rows, row_step, width, step;
} mg_wg_pixels;

typedef float mg_wg_vf32 __attribute__((vector_size(MG_WG_VECTOR_BYTES)));
typedef double mg_wg_vf64 __attribute__((vector_size(MG_WG_VECTOR_BYTES)));
/* the same vectors at element alignment: g and out need not be vector-aligned */
typedef float mg_wg_uf32 __attribute__((vector_size(MG_WG_VECTOR_BYTES), aligned(4)));
typedef double mg_wg_uf64 __attribute__((vector_size(MG_WG_VECTOR_BYTES), aligned(8)));

/* One instance per element type; always_inline so that each caller's constant J, VECTORS, RUN and PIXELS
   unroll it. mg_wg_T_step adds PIXELS consecutive pixels of a row, each tap's sum in pixel order. */
#define MG_WG_KERNEL(T, V, U)                                                                           \
    static inline __attribute__((always_inline)) void mg_wg_##T##_step(                               \
        const int J, const int VECTORS, const int RUN, const int PIXELS, V acc[2][MG_WG_MAX_TAPS],      \
        const ptrdiff_t* offset, const T* g, ptrdiff_t g_stride, const T* pixel, ptrdiff_t step) {     \
        enum { LANES = MG_WG_VECTOR_BYTES / sizeof(T) };                                                \
        V gv[2][2];                                                                                     \
        const T* at_pixel[2];                                                                           \
        _Pragma("GCC unroll 2") for (int u = 0; u < PIXELS; u++) {                                      \
            at_pixel[u] = pixel + u * step;                                                             \
            __asm__("" : "+r"(at_pixel[u])); /* a base register per pixel, an offset per run */        \
        }                                                                                               \
        _Pragma("GCC unroll 2") for (int v = 0; v < VECTORS; v++)                                       \
            _Pragma("GCC unroll 2") for (int u = 0; u < PIXELS; u++)                                    \
                gv[v][u] = *(const U*)(g + v * g_stride + u * LANES);                                   \
        _Pragma("GCC unroll 32") for (int m = 0; m < J / RUN; m++) {                                    \
            ptrdiff_t at = offset[m * RUN];                                                             \
            __asm__("" : "+r"(at)); /* one offset register for the run's loads, not a pointer each */   \
            _Pragma("GCC unroll 8") for (int k = 0; k < RUN; k++)                                       \
                _Pragma("GCC unroll 2") for (int u = 0; u < PIXELS; u++) {                              \
                    const T input = at_pixel[u][at + k];                                                \
                    _Pragma("GCC unroll 2") for (int v = 0; v < VECTORS; v++)                           \
                        acc[v][m * RUN + k] += gv[v][u] * input;                                        \
                }                                                                                       \
        }                                                                                               \
    }                                                                                                   \
    static inline __attribute__((always_inline)) void mg_wg_##T##_taps(                               \
        const int J, const int VECTORS, const int RUN, const T* g, ptrdiff_t g_stride, const T* x,     \
        const ptrdiff_t* offsets, const mg_wg_pixels* pixels, T* out, ptrdiff_t out_stride) {          \
        enum { LANES = MG_WG_VECTOR_BYTES / sizeof(T) };                                                \
        const int PIXELS = 3 - VECTORS;                                                                 \
        V acc[2][MG_WG_MAX_TAPS];                                                                       \
        ptrdiff_t offset[MG_WG_MAX_TAPS];                                                               \
        const ptrdiff_t step = pixels->step;                                                            \
        _Pragma("GCC unroll 32") for (int j = 0; j < J; j++) {                                          \
            _Pragma("GCC unroll 2") for (int v = 0; v < VECTORS; v++) acc[v][j] = (V){0};               \
            offset[j] = offsets[j];                                                                     \
        }                                                                                               \
        for (ptrdiff_t i = 0; i < pixels->images; i++)                                                  \
            for (ptrdiff_t r = 0; r < pixels->rows; r++) {                                              \
                const T* row = x + i * pixels->image_step + r * pixels->row_step;                       \
                ptrdiff_t c = 0;                                                                        \
                for (; c + PIXELS <= pixels->width; c += PIXELS, g += PIXELS * LANES)                   \
                    mg_wg_##T##_step(J, VECTORS, RUN, PIXELS, acc, offset, g, g_stride, row + c * step, step); \
                if (c < pixels->width) {                                                                \
                    mg_wg_##T##_step(J, VECTORS, RUN, 1, acc, offset, g, g_stride, row + c * step, step); \
                    g += LANES;                                                                         \
                }                                                                                       \
            }                                                                                           \
        _Pragma("GCC unroll 32") for (int j = 0; j < J; j++)                                            \
            _Pragma("GCC unroll 2") for (int v = 0; v < VECTORS; v++)                                   \
                *(U*)(out + j * out_stride + v * LANES) += acc[v][j];                                   \
    }
MG_WG_KERNEL(float, mg_wg_vf32, mg_wg_uf32)
MG_WG_KERNEL(double, mg_wg_vf64, mg_wg_uf64)
#undef MG_WG_KERNEL

/* out[v * vector_stride + p * LANES + lane] = gy[(v * LANES + lane) * plane + p] for p < pixels and
   v < ceil(channels / LANES);
   0 for the lanes past the last channel: the output gradient of a job as the kernel reads it.
   LANES x LANES blocks go through registers: one vector load per channel row (a plain loop reads
   LANES rows a plane apart per pixel, which collide in the cache when the plane is a multiple of
   4 KiB), then log2(LANES) rounds of interleaving the first half of the rows with the second half
   (a perfect shuffle, which transposes after log2(LANES) rounds), one vector store per pixel. */
#define MG_WG_TRANSPOSE(T, V, U, I)                                                                     \
    static void mg_wg_transpose_##T(const T* gy, ptrdiff_t plane, ptrdiff_t channels, ptrdiff_t pixels, \
                                    T* out, ptrdiff_t vector_stride) {                                  \
        enum { LANES = MG_WG_VECTOR_BYTES / sizeof(T) };                                                \
        I low, high;                                                                                    \
        for (int t = 0; t < LANES; t++) {                                                               \
            low[t] = t % 2 ? LANES + t / 2 : t / 2;                                                     \
            high[t] = low[t] + LANES / 2;                                                               \
        }                                                                                               \
        for (ptrdiff_t first = 0; first < channels; first += LANES, out += vector_stride) {            \
            const T* src = gy + first * plane;                                                          \
            const ptrdiff_t count = channels - first < LANES ? channels - first : LANES;                \
            ptrdiff_t p = 0;                                                                            \
            for (; p + LANES <= pixels; p += LANES) {                                                   \
                V rows[LANES], next[LANES];                                                             \
                _Pragma("GCC unroll 16") for (int lane = 0; lane < LANES; lane++)                       \
                    rows[lane] = lane < count ? *(const U*)(src + lane * plane + p) : (V){0};           \
                _Pragma("GCC unroll 4") for (int round = 1; round < LANES; round *= 2) {                \
                    _Pragma("GCC unroll 16") for (int k = 0; k < LANES / 2; k++) {                      \
                        next[2 * k] = __builtin_shuffle(rows[k], rows[k + LANES / 2], low);             \
                        next[2 * k + 1] = __builtin_shuffle(rows[k], rows[k + LANES / 2], high);        \
                    }                                                                                   \
                    _Pragma("GCC unroll 16") for (int k = 0; k < LANES; k++) rows[k] = next[k];         \
                }                                                                                       \
                _Pragma("GCC unroll 16") for (int k = 0; k < LANES; k++)                                \
                    *(U*)(out + (p + k) * LANES) = rows[k];                                             \
            }                                                                                           \
            for (; p < pixels; p++)                                                                     \
                for (int lane = 0; lane < LANES; lane++)                                                \
                    out[p * LANES + lane] = lane < count ? src[lane * plane + p] : 0;                   \
        }                                                                                               \
    }
typedef int mg_wg_vi32 __attribute__((vector_size(MG_WG_VECTOR_BYTES)));
typedef long long mg_wg_vi64 __attribute__((vector_size(MG_WG_VECTOR_BYTES)));
MG_WG_TRANSPOSE(float, mg_wg_vf32, mg_wg_uf32, mg_wg_vi32)
MG_WG_TRANSPOSE(double, mg_wg_vf64, mg_wg_uf64, mg_wg_vi64)
#undef MG_WG_TRANSPOSE

/* mg_wg_float / mg_wg_double(vectors, run, taps, ...): the kernel above for vectors 1 and 1 <= taps <=
   MG_WG_TAPS, or vectors 2 and 1 <= taps <= MG_WG_PAIR_TAPS (the condition leaves out the instances
   that no caller reaches); run 1, or run 3 with taps a multiple of 3 and offsets[j] = offsets[j - j % 3]
   + j % 3. Any other call aborts: conv.pyx's blocks never make one, and a skipped block would leave
   the gradient silently short of its taps. */
#define MG_WG_CALL(T, J, VECTORS, RUN) \
    mg_wg_##T##_taps(J, VECTORS, RUN, g, g_stride, x, offsets, pixels, out, out_stride)
#define MG_WG_CASE(T, J)                                                                       \
    case J:                                                                                    \
        if (vectors == 1 && run == 1)                                                          \
            MG_WG_CALL(T, J, 1, 1);                                                            \
        else if (vectors == 1 && run == 3 && J % 3 == 0)                                       \
            MG_WG_CALL(T, J, 1, 3);                                                            \
        else if (J <= MG_WG_MAX_PAIR_TAPS && run == 1)                                         \
            MG_WG_CALL(T, J, 2, 1);                                                            \
        else if (J <= MG_WG_MAX_PAIR_TAPS && run == 3 && J % 3 == 0)                           \
            MG_WG_CALL(T, J, 2, 3);                                                            \
        else                                                                                   \
            abort();                                                                           \
        break;
#define MG_WG_DISPATCH(T)                                                                                \
    static void mg_wg_##T(int vectors, int run, int taps, const T* g, ptrdiff_t g_stride, const T* x,              \
                          const ptrdiff_t* offsets, const mg_wg_pixels* pixels, T* out, ptrdiff_t out_stride) { \
        switch (taps) {                                                                                  \
            MG_WG_CASE(T, 1) MG_WG_CASE(T, 2) MG_WG_CASE(T, 3) MG_WG_CASE(T, 4) MG_WG_CASE(T, 5)         \
            MG_WG_CASE(T, 6) MG_WG_CASE(T, 7) MG_WG_CASE(T, 8) MG_WG_CASE(T, 9) MG_WG_CASE(T, 10)        \
            MG_WG_CASE(T, 11) MG_WG_CASE(T, 12) MG_WG_MORE_CASES(T)                                      \
            default: abort();                                                                            \
        }                                                                                                \
    }
#if MG_WG_MAX_TAPS > 12
#define MG_WG_MORE_CASES(T)                                                                        \
    MG_WG_CASE(T, 13) MG_WG_CASE(T, 14) MG_WG_CASE(T, 15) MG_WG_CASE(T, 16) MG_WG_CASE(T, 17)      \
    MG_WG_CASE(T, 18) MG_WG_CASE(T, 19) MG_WG_CASE(T, 20) MG_WG_CASE(T, 21) MG_WG_CASE(T, 22)      \
    MG_WG_CASE(T, 23) MG_WG_CASE(T, 24) MG_WG_CASE(T, 25) MG_WG_CASE(T, 26) MG_WG_CASE(T, 27)
#else
#define MG_WG_MORE_CASES(T)
#endif
MG_WG_DISPATCH(float)
MG_WG_DISPATCH(double)
#undef MG_WG_CALL
#undef MG_WG_CASE
#undef MG_WG_DISPATCH
#undef MG_WG_MORE_CASES
#endif
