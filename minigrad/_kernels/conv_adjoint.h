/* The input gradient of a strided convolution, direct (conv.pyx's _direct_strided_adjoint), on the run
 * and store of conv_direct.h.
 *
 * With stride (SH, SW), input pixel (ih, iw) receives gy[oh, ow] * w[kh, kw] only where
 * ih + PH - kh * DH = oh * SH and iw + PW - kw * DW = ow * SW. So gx splits into SH * SW stride phases,
 * phase (a, b) holding the pixels with (ih + PH) % SH == a and (iw + PW) % SW == b: each is a stride-1
 * correlation of gy with the sub-kernel of the taps where kh * DH % SH == a and kw * DW % SW == b, and
 * a run of a phase's pixels (iw, iw + SW, ...) reads consecutive gy columns. No multiply by an
 * inserted zero: the work is that of the forward.
 *
 * A job is a block of gx rows of one sample and one group. It copies the gy rows under them with their
 * padding (columns [0, left) and past OW zero) into a per-thread buffer; then for each block of MGD_V
 * gx channels and each gx row, each column phase is one mgd_row (a stride-1 row of the phase's taps) into
 * a staging row ([channel][column phase][position]), which is interleaved into gx. Every gx pixel has one writer
 * and sums over its phase's taps in one fixed order (gy channel, kh, kw): the same bits on any
 * number of threads.
 *
 * Weights are packed per call as [group][channel block][phase][gy channel, kh, kw of the phase][MGD_V]
 * (zeros past the last gx channel); tap_start[phase] is a phase's first tap.
 *
 * Where g->pairs is set, two gx channel blocks share each phase's runs (conv_direct.h's mgd_pair_row),
 * staged together: one thread, float32, AVX-512, 64 -> 32 channels from 8x8 gy 1.4x faster, the bench's
 * 128 -> 64 from 28x28 1.1x, 128 -> 64 from 8x8 (DCGAN's 4x4 kernel too) 0.95-1.0x. The same bits.
 */
#ifndef MINIGRAD_CONV_ADJOINT_H
#define MINIGRAD_CONV_ADJOINT_H

#include "conv_direct.h"

typedef struct {
    ptrdiff_t N, groups, cin, cout;           /* batch, groups, channels per group read (gy) and written (gx) */
    ptrdiff_t H, W, OH, OW;                   /* written (gx) size, read (gy) size */
    ptrdiff_t KH, KW, SH, SW, DH, DW, PH, PW; /* the forward convolution's */
    ptrdiff_t blocks;                         /* gx channel blocks of MGD_V per group */
    ptrdiff_t rows, row_blocks;               /* gx rows per job; jobs per (sample, group) */
    ptrdiff_t in_rows, pitch, left;           /* buffer rows per channel, row length, zero columns before gy's */
    ptrdiff_t span;                           /* positions per column phase in the staging row */
    ptrdiff_t pairs;                          /* 1: gx channel blocks run two at a time (as mgd_geometry's) */
} mga_geometry;

static inline ptrdiff_t mga_floor_div(ptrdiff_t a, ptrdiff_t b) { return a >= 0 ? a / b : -((b - 1 - a) / b); }

/* gx column b's phase's first column ((b - PW) mod SW) */
static inline ptrdiff_t mga_first_column(const mga_geometry* g, ptrdiff_t b) {
    return ((b - g->PW) % g->SW + g->SW) % g->SW;
}

/* tap_start[a * SW + b] (SH * SW + 1 entries), and each tap's offset into the buffer from the phase's
   run start (buffer row of gy row (ih + PH - a) / SH, column of gy column (iw + PW - b) / SW) */
static void mga_tap_offsets(const mga_geometry* g, ptrdiff_t* tap_start, ptrdiff_t* offsets) {
    ptrdiff_t a, b, o, kh, kw, t = 0;
    for (a = 0; a < g->SH; a++)
        for (b = 0; b < g->SW; b++) {
            tap_start[a * g->SW + b] = t;
            for (o = 0; o < g->cin; o++)
                for (kh = 0; kh < g->KH; kh++)
                    for (kw = 0; kw < g->KW; kw++)
                        if (kh * g->DH % g->SH == a && kw * g->DW % g->SW == b)
                            offsets[t++] = (o * g->in_rows - (kh * g->DH - a) / g->SH) * g->pitch
                                           - (kw * g->DW - b) / g->SW;
        }
    tap_start[g->SH * g->SW] = t;
}

#define MGA_DEFINE(real, V, suffix)                                                                           \
/* packed[group][block][phase][tap][V] from the forward weight (groups, cin, cout * KH * KW) */               \
static void mga_pack_##suffix(const real* weight, real* packed, const mga_geometry* g) {                      \
    ptrdiff_t group, block, a, b, o, kh, kw, v, c, taps = g->KH * g->KW;                                      \
    real* dst = packed;                                                                                       \
    for (group = 0; group < g->groups; group++)                                                               \
        for (block = 0; block < g->blocks; block++)                                                           \
            for (a = 0; a < g->SH; a++)                                                                       \
                for (b = 0; b < g->SW; b++)                                                                   \
                    for (o = 0; o < g->cin; o++)                                                              \
                        for (kh = 0; kh < g->KH; kh++)                                                        \
                            for (kw = 0; kw < g->KW; kw++)                                                    \
                                if (kh * g->DH % g->SH == a && kw * g->DW % g->SW == b)                       \
                                    for (v = 0; v < V; v++) {                                                 \
                                        c = block * V + v;                                                    \
                                        *dst++ = c < g->cout ? weight[((group * g->cin + o) * g->cout + c)    \
                                                                      * taps + kh * g->KW + kw] : 0;          \
                                    }                                                                         \
}                                                                                                             \
                                                                                                              \
/* row[c0(b) + q * SW] = staged[b * span + q]: a gx row from its column phases; at stride 2 as pairs of       \
   streams, which GCC interleaves with vector permutes */                                                     \
static inline void mga_interleave_##suffix(const real* restrict staged, real* restrict row,                   \
                                          const mga_geometry* g) {                                            \
    ptrdiff_t b, q;                                                                                           \
    if (g->SW == 2) {                                                                                         \
        const real* restrict even = staged + (mga_first_column(g, 0) == 0 ? 0 : g->span);                     \
        const real* restrict odd = staged + (mga_first_column(g, 0) == 0 ? g->span : 0);                      \
        for (q = 0; q < g->W / 2; q++) {                                                                      \
            row[2 * q] = even[q];                                                                             \
            row[2 * q + 1] = odd[q];                                                                          \
        }                                                                                                     \
        if (g->W % 2)                                                                                         \
            row[g->W - 1] = even[g->W / 2];                                                                   \
        return;                                                                                               \
    }                                                                                                         \
    for (b = 0; b < g->SW; b++) {                                                                             \
        const ptrdiff_t c0 = mga_first_column(g, b);                                                          \
        for (q = 0; c0 + q * g->SW < g->W; q++)                                                               \
            row[c0 + q * g->SW] = staged[b * g->span + q];                                                    \
    }                                                                                                         \
}                                                                                                             \
                                                                                                              \
/* gx rows of job `job` (N, groups * cout, H, W) from gy (N, groups * cin, OH, OW), through buffer           \
   (cin * in_rows * pitch) and staging (2 * V * SW * span) */                                                 \
static void mga_job_##suffix(const real* gy, const real* packed, const ptrdiff_t* tap_start,                 \
                             const ptrdiff_t* offsets, real* gx, real* buffer, real* staging,                 \
                             const mga_geometry* g, ptrdiff_t job) {                                          \
    const ptrdiff_t rb = job % g->row_blocks, ng = job / g->row_blocks, group = ng % g->groups;               \
    const ptrdiff_t first = rb * g->rows, last = first + g->rows < g->H ? first + g->rows : g->H;             \
    const ptrdiff_t top = mga_floor_div(first + g->PH - (g->KH - 1) * g->DH, g->SH); /* gy row of row 0 */    \
    const ptrdiff_t taps = g->cin * g->KH * g->KW, plane = g->H * g->W, staged = g->SW * g->span;             \
    ptrdiff_t block, ih, a, b, v, count, pair = 0;                                                            \
    mgd_copy_padded_rows(gy + ng * g->cin * g->OH * g->OW, buffer, sizeof(real), g->cin, g->OH, g->OW, top,   \
                         g->in_rows, g->in_rows, g->left, g->pitch);                                          \
    for (block = 0; block < g->blocks; block += pair ? 2 : 1) {                                               \
        const real* const w = packed + (group * g->blocks + block) * taps * V;                                \
        pair = g->pairs && block + 1 < g->blocks;                                                             \
        count = g->cout - (block + pair) * V < V ? g->cout - (block + pair) * V : V; /* of the last block */  \
        for (ih = first; ih < last; ih++) {                                                                   \
            a = (ih + g->PH) % g->SH;                                                                         \
            for (b = 0; b < g->SW; b++) {                                                                     \
                const ptrdiff_t c0 = mga_first_column(g, b), n = c0 < g->W ? (g->W - c0 + g->SW - 1) / g->SW : 0; \
                const ptrdiff_t phase = a * g->SW + b, phase_taps = tap_start[phase + 1] - tap_start[phase];  \
                const real* in = buffer + ((ih + g->PH - a) / g->SH - top) * g->pitch                         \
                                 + (c0 + g->PW - b) / g->SW + g->left;                                        \
                const ptrdiff_t* const phase_offsets = offsets + tap_start[phase];                            \
                const real* const phase_w = w + tap_start[phase] * V;                                         \
                if (pair) /* the next block's taps of the phase lie taps * V items on */                      \
                    mgd_pair_row_##suffix(in, phase_offsets, phase_taps, phase_w, taps * V, staging + b * g->span,\
                                          staged, NULL, count, n, 1);                                         \
                else                                                                                          \
                    mgd_row_##suffix(in, phase_offsets, phase_taps, phase_w, staging + b * g->span, staged, NULL, \
                                     count, n);                                                               \
            }                                                                                                 \
            for (v = 0; v < pair * V + count; v++)                                                            \
                mga_interleave_##suffix(staging + v * staged,                                                 \
                                        gx + (ng * g->cout + block * V + v) * plane + ih * g->W, g);          \
        }                                                                                                     \
    }                                                                                                         \
}

MGA_DEFINE(float, MGD_FLOATS, f)
MGA_DEFINE(double, MGD_DOUBLES, d)

#endif
