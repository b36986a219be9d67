/* The float32 recurrent steps' products on the calling thread: C (m, n) = A (m, k) B + beta C, with B
   (the step's weight, the same for every step of a sequence) packed once per sequence into panels of
   RG_NR columns, and A (the step's state or gate gradients) packed per step into RG_MR-row blocks
   (zero rows past m). Each 8 x 32 block of C is 16 vector accumulators over k (or over a slice of k, resuming from C:
   packed_products); OpenBLAS,
   called per step, repacks the weight each call or takes its small-matrix kernel.
   Each element of C is the same chain of fused multiply-adds (over k in order) whichever block or
   thread computes it, so the bits do not depend on how the columns are split. The vector types are
   GCC's: AVX-512 registers with -march=native here, narrower ones elsewhere. */
#ifndef MINIGRAD_RECURRENT_GEMM_H
#define MINIGRAD_RECURRENT_GEMM_H
#include <stdlib.h>
#include <string.h>

#define RG_MR 8
#define RG_NR 32
/* The widest vectors the target has: GCC splits a vector type wider than the target's into memory
   operations (64-byte vectors ran 30x slower built without -march=native). */
#if defined(__AVX512F__)
#define RG_VECTOR_BYTES 64
#elif defined(__AVX__)
#define RG_VECTOR_BYTES 32
#else
#define RG_VECTOR_BYTES 16
#endif
#define RG_VECTORS (RG_NR * 4 / RG_VECTOR_BYTES)
typedef float rg_vector __attribute__((vector_size(RG_VECTOR_BYTES)));

/* Floats of B's packed panels (k, n), and of one thread's packed A (m, k). */
static inline long long rg_packed_b_size(long long k, long long n) { return (n + RG_NR - 1) / RG_NR * RG_NR * k; }
static inline long long rg_packed_a_size(long long m, long long k) { return (m + RG_MR - 1) / RG_MR * RG_MR * k; }

/* B (k, n), element (j, col) at b[j * row_step + col * column_step] (a transposed view: the forward
   packs W_hh (n, k) as B = W_hh^T without a transposed copy) -> panel p holds its k rows of RG_NR
   columns contiguously, zeros past n. */
static inline void rg_pack_b(const float* b, long long row_step, long long column_step, long long k, long long n,
                             float* packed) {
    for (long long p = 0; p * RG_NR < n; p++) {
        const long long width = n - p * RG_NR < RG_NR ? n - p * RG_NR : RG_NR;
        float* panel = packed + p * RG_NR * k;
        const float* columns = b + p * RG_NR * column_step;
        for (long long j = 0; j < k; j++) {
            for (long long col = 0; col < RG_NR; col++)
                panel[j * RG_NR + col] = col < width ? columns[j * row_step + col * column_step] : 0.0f;
        }
    }
}

/* A (m, k), element (r, j) at a[r * row_step + j * column_step] (a step's rows: column_step 1; a
   weight gradient's transposed gate gradients: row_step 1) -> block t holds, for each of the k
   columns, its RG_MR rows' values. */
static inline void rg_pack_a(const float* a, long long row_step, long long column_step, long long m, long long k,
                             float* packed) {
    long long t = 0;
    if (row_step == 1) {
        /* a transposed view (A's columns contiguous): the whole blocks column by column, each read
           of a column's m values used at once (block by block, each 8-float read took a cache line
           that, 4 KiB apart from the next, was gone before the next block read its other half) */
        for (long long j = 0; j < k; j++)
            for (long long whole = 0; (whole + 1) * RG_MR <= m; whole++)
#pragma GCC unroll 8
                for (int r = 0; r < RG_MR; r++)
                    packed[(whole * k + j) * RG_MR + r] = a[whole * RG_MR + r + j * column_step];
        t = m / RG_MR;
    }
    for (; t * RG_MR < m; t++) {
        float* block = packed + t * RG_MR * k;
        const float* rows = a + t * RG_MR * row_step;
        const long long live = m - t * RG_MR < RG_MR ? m - t * RG_MR : RG_MR;
        if (live == RG_MR) {
            /* a whole block: each column's RG_MR values are one store (64 packs of the benchmark's
               32 x 1024 backward operand 0.2 ms against 0.6 row by row) */
            for (long long j = 0; j < k; j++)
#pragma GCC unroll 8
                for (int r = 0; r < RG_MR; r++) block[j * RG_MR + r] = rows[r * row_step + j * column_step];
            continue;
        }
        for (long long r = 0; r < RG_MR; r++)
            for (long long j = 0; j < k; j++)
                block[j * RG_MR + r] = r < live ? rows[r * row_step + j * column_step] : 0.0f;
    }
}

/* One RG_MR x RG_NR block: C rows [rows) x columns [columns) = packed A block x packed B panel + beta C;
   resume: the accumulators start from C instead of zero (beta 0), so a product split along k into
   calls that resume one another gives each element the same chain of fused multiply-adds, and the
   same bits, as one call over the whole k. */
static inline void rg_block(long long k, const float* a_block, const float* b_panel, float beta, int resume,
                            float* c, long long ldc, long long rows, long long columns) {
    /* every index below is a constant once unrolled, so the accumulators stay in registers */
    rg_vector acc[RG_MR][RG_VECTORS], b[RG_VECTORS];
    float tile[RG_MR][RG_NR];
    const int whole = rows == RG_MR && columns == RG_NR;
    if (resume && !whole) {
        for (int r = 0; r < RG_MR; r++)
            for (int col = 0; col < RG_NR; col++) tile[r][col] = r < rows && col < columns ? c[r * ldc + col] : 0.0f;
    }
    /* a whole block resumes straight from C's rows: through the tile, element by element, the
       LSTM's weight gradients (8 slices of k) took 10% longer */
#pragma GCC unroll 8
    for (int r = 0; r < RG_MR; r++)
#pragma GCC unroll 8
        for (int v = 0; v < RG_VECTORS; v++) {
            if (!resume)
                acc[r][v] = (rg_vector){0};
            else if (whole)
                memcpy(&acc[r][v], c + r * ldc + v * RG_NR / RG_VECTORS, sizeof acc[r][v]);
            else
                memcpy(&acc[r][v], &tile[r][v * RG_NR / RG_VECTORS], sizeof acc[r][v]);
        }
    for (long long j = 0; j < k; j++) {
#pragma GCC unroll 8
        for (int v = 0; v < RG_VECTORS; v++) memcpy(&b[v], b_panel + j * RG_NR + v * RG_NR / RG_VECTORS, sizeof b[v]);
#pragma GCC unroll 8
        for (int r = 0; r < RG_MR; r++) {
            const float a = a_block[j * RG_MR + r];
#pragma GCC unroll 8
            for (int v = 0; v < RG_VECTORS; v++) acc[r][v] += a * b[v];
        }
    }
    if (whole && beta == 0) {
#pragma GCC unroll 8
        for (int r = 0; r < RG_MR; r++)
#pragma GCC unroll 8
            for (int v = 0; v < RG_VECTORS; v++)
                memcpy(c + r * ldc + v * RG_NR / RG_VECTORS, &acc[r][v], sizeof acc[r][v]);
        return;
    }
#pragma GCC unroll 8
    for (int r = 0; r < RG_MR; r++)
#pragma GCC unroll 8
        for (int v = 0; v < RG_VECTORS; v++) memcpy(&tile[r][v * RG_NR / RG_VECTORS], &acc[r][v], sizeof acc[r][v]);
    for (long long r = 0; r < rows; r++) {
        const float* out = tile[r];
        float* c_row = c + r * ldc;
        if (beta != 0)
            for (long long j = 0; j < columns; j++) c_row[j] = out[j] + beta * c_row[j];
        else
            memcpy(c_row, out, columns * sizeof(float));
    }
}

/* Columns [col0, col1) of C (m, n) = A B + beta C (or, resume, C + A B: see rg_block), col0 a multiple
   of RG_NR, A (m, k) as rg_pack_a left it; B is k rows of a packed (b_rows, n) as rg_pack_b left it,
   starting at packed_b (its row k0: the packing + k0 * RG_NR). */
static inline void rg_product(long long m, long long col0, long long col1, long long k, const float* packed_a,
                              const float* packed_b, long long b_rows, float beta, int resume, float* c,
                              long long ldc) {
    for (long long col = col0; col < col1; col += RG_NR) {
        const long long columns = col1 - col < RG_NR ? col1 - col : RG_NR;
        for (long long t = 0; t * RG_MR < m; t++) {
            const long long rows = m - t * RG_MR < RG_MR ? m - t * RG_MR : RG_MR;
            rg_block(k, packed_a + t * RG_MR * k, packed_b + col * b_rows, beta, resume, c + t * RG_MR * ldc + col,
                     ldc, rows, columns);
        }
    }
}
#endif
