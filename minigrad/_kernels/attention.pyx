"""Scaled dot-product attention loops (CPU): FlashAttention's blockwise forward and FlashAttention-2's
backward; the front (front/attention.py) checks, allocates and flattens the batch dims.

Shapes: q (B, L, E) and out (B, L, Ev), B the flattened batch*heads; k (B / group, S, E), v (B / group,
S, Ev): query head b reads key/value head b // group (grouped-query attention). mask: an additive
float mask (M, L, S) in q's dtype, query head b taking mask[mask_index[b]], or None. lse (B, L): each
row's logsumexp of its scaled, masked scores, the one thing besides out that the backward needs.

Forward: one task per (head, block of BLOCK_Q query rows). Keys go by in blocks of BLOCK_K, transposed
into scratch (E, BLOCK_K) so that a row's scores are BLOCK_K-wide multiply-adds over e that the
compiler vectorises; each row keeps a running maximum m and sum l and rescales its output accumulator
when m grows (the online softmax). Memory: the scratch of one task per thread, O(L) per head.

Backward: one task per key/value head, so the query gradients of its query heads have one writer.
Per key block, each query row recomputes its weights from lse: P = exp(s - lse), dV += P^T dO,
dP = dO V^T, dS = P * (dP - D) with D = rowsum(dO * out), dQ += scale * dS K, dK += scale * dS^T Q.
Dropout (attention.h) scales the kept weights by 1 / (1 - p) in out and in dV, and dP where it
multiplies P.
"""
import numpy as np

from cython.parallel cimport prange, threadid
from libc.math cimport INFINITY, log
from libc.stdint cimport int64_t, uint64_t

cdef extern from "attention.h" nogil:
    int attention_keeps(unsigned long long index, unsigned long long threshold, unsigned long long seed,
                        unsigned long long offset)
    float attention_weight_float(float s, float m)
    double attention_weight_double(double s, double m)

cdef extern from "attention_tile.h" nogil:
    void attention_tile_product_float(const float* A, long lda, const float* B, long ldb, float* C, long ldc,
                                      long X, long W)
    void attention_tile_product_double(const double* A, long lda, const double* B, long ldb, double* C, long ldc,
                                       long X, long W)

from ._types cimport minigrad_max_threads, real

cdef enum:
    BLOCK_Q = 64
    BLOCK_K = 64
    TILE = 4  # query rows of a GEMM micro-kernel tile (attention_tile.h)
    LANES = 16  # partial sums and maxima of a row's reductions
    QROWS = 32  # query rows the backward takes through a key block at a time (eight tiles)
    WORK_PARALLEL_MIN = 1 << 18  # multiply-adds of a call below which one thread does it all


cdef struct Geometry:
    Py_ssize_t heads, L, S, E, Ev, group
    double scale, dropout_scale
    bint causal, has_mask, dropout
    uint64_t threshold, seed, offset


def attention_forward(q, k, v, mask, mask_index, out, lse, double scale, bint is_causal, uint64_t threshold,
                      double dropout_scale, uint64_t seed, uint64_t offset):
    """Fill out (B, L, Ev) = softmax(q k^T * scale + mask) v, dropout applied to the weights (an element
    is dropped when its Philox word is below ``threshold``, 0: none), and lse (B, L)."""
    cdef Geometry g = _geometry(q, k, v, mask, scale, is_causal, threshold, dropout_scale, seed, offset)
    cdef Py_ssize_t width = g.E * BLOCK_Q + g.E * BLOCK_K + BLOCK_Q * BLOCK_K + BLOCK_Q * g.Ev + 2 * BLOCK_Q + BLOCK_K
    mask, mask_index = _mask_or_stand_in(mask, mask_index, q)
    scratch = np.empty((minigrad_max_threads(), width), q.dtype)
    if q.dtype == np.float32:
        _forward[float](q, k, v, mask, mask_index, out, lse, scratch, g)
    else:
        _forward[double](q, k, v, mask, mask_index, out, lse, scratch, g)


def attention_backward(gout, q, k, v, out, lse, mask, mask_index, delta, gq, gk, gv, double scale, bint is_causal,
                       uint64_t threshold, double dropout_scale, uint64_t seed, uint64_t offset):
    """Fill gq (B, L, E), gk (B / group, S, E), gv (B / group, S, Ev) from gout (B, L, Ev) and the
    forward's out and lse; delta (B, L) float64 receives rowsum(gout * out). Arguments as the forward's."""
    cdef Geometry g = _geometry(q, k, v, mask, scale, is_causal, threshold, dropout_scale, seed, offset)
    cdef Py_ssize_t width = 2 * (g.E + g.Ev) * BLOCK_K + QROWS * (3 * g.E + g.Ev) + 6 * QROWS * BLOCK_K
    mask, mask_index = _mask_or_stand_in(mask, mask_index, q)
    scratch = np.empty((minigrad_max_threads(), width), q.dtype)
    if q.dtype == np.float32:
        _backward[float](gout, q, k, v, out, lse, mask, mask_index, delta, gq, gk, gv, scratch, g)
    else:
        _backward[double](gout, q, k, v, out, lse, mask, mask_index, delta, gq, gk, gv, scratch, g)


cdef Geometry _geometry(q, k, v, mask, double scale, bint causal, uint64_t threshold, double dropout_scale,
                        uint64_t seed, uint64_t offset):
    cdef Geometry g
    g.heads, g.L, g.E = q.shape
    g.S, g.Ev = k.shape[1], v.shape[2]
    g.group = q.shape[0] // k.shape[0]
    g.scale, g.dropout_scale, g.causal, g.has_mask = scale, dropout_scale, causal, mask is not None
    g.dropout, g.threshold, g.seed, g.offset = threshold > 0, threshold, seed, offset
    return g


def _mask_or_stand_in(mask, mask_index, q):
    # the typed loops take arrays: a one-element stand-in that Geometry.has_mask = 0 keeps unread
    if mask is None:
        return np.zeros((1, 1, 1), q.dtype), np.zeros(q.shape[0], np.int64)
    return mask, mask_index


cdef void _forward(const real[:, :, ::1] q, const real[:, :, ::1] k, const real[:, :, ::1] v,
                   const real[:, :, ::1] mask, const int64_t[::1] mask_index, real[:, :, ::1] out,
                   real[:, ::1] lse, real[:, ::1] scratch, Geometry g) noexcept nogil:
    cdef Py_ssize_t blocks = (g.L + BLOCK_Q - 1) // BLOCK_Q, tasks = g.heads * blocks, task
    with nogil:
        if tasks > 1 and tasks * BLOCK_Q * g.S * (g.E + g.Ev) > WORK_PARALLEL_MIN:  # see _types.pxd
            for task in prange(tasks, schedule="dynamic"):
                _forward_block(q, k, v, mask, mask_index, out, lse, &scratch[threadid(), 0], g,
                               task // blocks, (task % blocks) * BLOCK_Q)
        else:
            for task in range(tasks):
                _forward_block(q, k, v, mask, mask_index, out, lse, &scratch[0, 0], g,
                               task // blocks, (task % blocks) * BLOCK_Q)


cdef inline void _forward_block(const real[:, :, ::1] q, const real[:, :, ::1] k, const real[:, :, ::1] v,
                                const real[:, :, ::1] mask, const int64_t[::1] mask_index, real[:, :, ::1] out,
                                real[:, ::1] lse, real* scratch, Geometry g, Py_ssize_t b,
                                Py_ssize_t first) noexcept nogil:
    """Query rows [first, first + BLOCK_Q) of head b, TILE rows at a time (rows past L are computed
    in scratch and not written)."""
    cdef Py_ssize_t E = g.E, Ev = g.Ev, rows = min(BLOCK_Q, g.L - first), r, r0, i, j, e, j0, cols
    cdef Py_ssize_t keys = min(g.S, first + rows) if g.causal else g.S  # causal: key j <= query i
    cdef real* scaled_q = scratch
    cdef real* kt = scaled_q + E * BLOCK_Q
    cdef real* scores = kt + E * BLOCK_K
    cdef real* acc = scores + BLOCK_Q * BLOCK_K
    cdef real* row_max = acc + BLOCK_Q * Ev
    cdef real* row_sum = row_max + BLOCK_Q
    cdef real* factors = row_sum + BLOCK_Q
    cdef const real* Q = &q[b, first, 0]
    cdef const real* K = &k[b // g.group, 0, 0]
    cdef const real* V = &v[b // g.group, 0, 0]
    cdef const real* mask_rows = &mask[mask_index[b], 0, 0]
    cdef real* s
    cdef real* a
    cdef real m_new, correction
    for r in range(rows * E):
        scaled_q[r] = <real>(Q[r] * g.scale)
    for r in range(BLOCK_Q):
        row_max[r], row_sum[r] = -INFINITY, 0
    for r in range(BLOCK_Q * Ev):
        acc[r] = 0
    for j0 in range(0, keys, 64):  # 64 = BLOCK_K: Cython needs a literal step
        cols = _transpose_block(K, kt, j0, min(BLOCK_K, keys - j0), E)
        for r0 in range(0, rows, 4):  # 4 = TILE
            for r in range(r0 * BLOCK_K, (r0 + TILE) * BLOCK_K):
                scores[r] = 0
            _tile_product(&scaled_q[r0 * E], E, kt, BLOCK_K, &scores[r0 * BLOCK_K], BLOCK_K, E, BLOCK_K)
            for r in range(r0, min(rows, r0 + TILE)):
                i, s, a = first + r, &scores[r * BLOCK_K], &acc[r * Ev]
                m_new = _mask_scores(s, mask_rows + i * g.S + j0, g, i, j0, cols, row_max[r])
                correction = _weight(row_max[r], m_new)
                for j in range(BLOCK_K):  # the whole block (-inf past cols): a loop that vectorises
                    s[j] = _weight(s[j], m_new)
                row_sum[r] = row_sum[r] * correction + _block_sum(s)
                row_max[r] = m_new
                if g.dropout:
                    _dropout_factors(factors, g, b, i, j0, cols)
                    for j in range(cols):
                        s[j] = s[j] * factors[j]
                if correction != 1:
                    for e in range(Ev):
                        a[e] = a[e] * correction
            _tile_product(&scores[r0 * BLOCK_K], BLOCK_K, V + j0 * Ev, Ev, &acc[r0 * Ev], Ev, cols, Ev)
    for r in range(rows):
        i = first + r
        for e in range(Ev):
            # a row with every key masked gives zeros, as torch 2.13 (its lse, -inf, zeroes its gradients)
            out[b, i, e] = 0 if row_sum[r] == 0 else acc[r * Ev + e] / row_sum[r]
        lse[b, i] = row_max[r] + <real>log(row_sum[r])


cdef void _backward(const real[:, :, ::1] gout, const real[:, :, ::1] q, const real[:, :, ::1] k,
                    const real[:, :, ::1] v, const real[:, :, ::1] out, const real[:, ::1] lse,
                    const real[:, :, ::1] mask, const int64_t[::1] mask_index, double[:, ::1] delta,
                    real[:, :, ::1] gq, real[:, :, ::1] gk, real[:, :, ::1] gv, real[:, ::1] scratch,
                    Geometry g) noexcept nogil:
    cdef Py_ssize_t tasks = k.shape[0], task
    with nogil:
        if tasks > 1 and g.heads * g.L * g.S * (g.E + g.Ev) > WORK_PARALLEL_MIN:  # see _types.pxd
            for task in prange(tasks, schedule="dynamic"):
                _backward_head(gout, q, k, v, out, lse, mask, mask_index, delta, gq, gk, gv,
                               &scratch[threadid(), 0], g, task)
        else:
            for task in range(tasks):
                _backward_head(gout, q, k, v, out, lse, mask, mask_index, delta, gq, gk, gv, &scratch[0, 0], g, task)


cdef inline void _backward_head(const real[:, :, ::1] gout, const real[:, :, ::1] q, const real[:, :, ::1] k,
                                const real[:, :, ::1] v, const real[:, :, ::1] out, const real[:, ::1] lse,
                                const real[:, :, ::1] mask, const int64_t[::1] mask_index, double[:, ::1] delta,
                                real[:, :, ::1] gq, real[:, :, ::1] gk, real[:, :, ::1] gv, real* scratch,
                                Geometry g, Py_ssize_t kv) noexcept nogil:
    """Key/value head kv: its gk and gv, and gq of its query heads kv * group ... kv * group + group - 1.
    Query rows go QROWS at a time through the key block (rows past L are zeros in scratch)."""
    cdef Py_ssize_t E = g.E, Ev = g.Ev, L = g.L, S = g.S, b, i, i0, r, j, e, j0, cols, rows, t
    cdef real* kt = scratch
    cdef real* vt = kt + E * BLOCK_K
    cdef real* gk_acc = vt + Ev * BLOCK_K
    cdef real* gv_acc = gk_acc + E * BLOCK_K
    cdef real* scaled_q = gv_acc + Ev * BLOCK_K  # (QROWS, E), and the rows below likewise
    cdef real* raw_q = scaled_q + QROWS * E
    cdef real* grad_out = raw_q + QROWS * E
    cdef real* gq_rows = grad_out + QROWS * Ev
    cdef real* p = gq_rows + QROWS * E  # (QROWS, BLOCK_K), and the three below likewise
    cdef real* dp = p + QROWS * BLOCK_K
    cdef real* factors = dp + QROWS * BLOCK_K
    cdef real* ds = factors + QROWS * BLOCK_K
    cdef real* kept_t = ds + QROWS * BLOCK_K  # (BLOCK_K, QROWS): kept weights, transposed
    cdef real* ds_t = kept_t + BLOCK_K * QROWS  # (BLOCK_K, QROWS)
    cdef const real* K = &k[kv, 0, 0]
    cdef const real* V = &v[kv, 0, 0]
    cdef double d
    cdef real scale = <real>g.scale, d_row, z
    for b in range(kv * g.group, (kv + 1) * g.group):
        for i in range(L):
            d = 0
            for e in range(Ev):
                d = d + <double>gout[b, i, e] * out[b, i, e]
            delta[b, i] = d
    for j in range(QROWS * BLOCK_K):
        factors[j] = 1
    for j0 in range(0, S, 64):  # 64 = BLOCK_K: Cython needs a literal step
        cols = _transpose_block(K, kt, j0, min(BLOCK_K, S - j0), E)
        _transpose_block(V, vt, j0, cols, Ev)
        for j in range(BLOCK_K * E):
            gk_acc[j] = 0
        for j in range(BLOCK_K * Ev):
            gv_acc[j] = 0
        for b in range(kv * g.group, (kv + 1) * g.group):
            for i0 in range(j0 if g.causal else 0, L, 32):  # 32 = QROWS; causal: query i sees keys j <= i
                rows = min(QROWS, L - i0)
                for r in range(QROWS):
                    for e in range(E):
                        raw_q[r * E + e] = q[b, i0 + r, e] if r < rows else 0
                        scaled_q[r * E + e] = <real>(raw_q[r * E + e] * g.scale)
                        gq_rows[r * E + e] = 0
                    for e in range(Ev):
                        grad_out[r * Ev + e] = gout[b, i0 + r, e] if r < rows else 0
                for j in range(QROWS * BLOCK_K):
                    p[j] = 0
                    dp[j] = 0
                for t in range(0, QROWS, 4):  # 4 = TILE
                    _tile_product(&scaled_q[t * E], E, kt, BLOCK_K, &p[t * BLOCK_K], BLOCK_K, E, BLOCK_K)
                    _tile_product(&grad_out[t * Ev], Ev, vt, BLOCK_K, &dp[t * BLOCK_K], BLOCK_K, Ev, BLOCK_K)
                for r in range(QROWS):
                    i = i0 + r
                    if r < rows:
                        _mask_scores(&p[r * BLOCK_K], &mask[mask_index[b], 0, 0] + i * S + j0, g, i, j0, cols,
                                     -INFINITY)
                        for j in range(BLOCK_K):
                            p[r * BLOCK_K + j] = _weight(p[r * BLOCK_K + j], lse[b, i])
                        if g.dropout:
                            _dropout_factors(&factors[r * BLOCK_K], g, b, i, j0, cols)
                        d_row = <real>delta[b, i]
                    else:
                        for j in range(BLOCK_K):
                            p[r * BLOCK_K + j] = 0
                        d_row = 0
                    for j in range(BLOCK_K):
                        # dP reaches P through the dropout: times 1 / (1 - p) where kept, 0 where dropped
                        z = factors[r * BLOCK_K + j]
                        ds[r * BLOCK_K + j] = p[r * BLOCK_K + j] * (dp[r * BLOCK_K + j] * z - d_row)
                        kept_t[j * QROWS + r] = p[r * BLOCK_K + j] * z
                        ds_t[j * QROWS + r] = ds[r * BLOCK_K + j]
                for t in range(0, cols, 4):  # 4 = TILE: gv += kept^T dO, gk += dS^T Q, TILE keys at a time
                    _tile_product(&kept_t[t * QROWS], QROWS, grad_out, Ev, &gv_acc[t * Ev], Ev, QROWS, Ev)
                    _tile_product(&ds_t[t * QROWS], QROWS, raw_q, E, &gk_acc[t * E], E, QROWS, E)
                for t in range(0, QROWS, 4):
                    _tile_product(&ds[t * BLOCK_K], BLOCK_K, K + j0 * E, E, &gq_rows[t * E], E, cols, E)
                for r in range(rows):
                    for e in range(E):
                        gq[b, i0 + r, e] = gq[b, i0 + r, e] + gq_rows[r * E + e] * scale
        for j in range(cols):
            for e in range(E):
                gk[kv, j0 + j, e] = gk_acc[j * E + e] * scale
            for e in range(Ev):
                gv[kv, j0 + j, e] = gv_acc[j * Ev + e]


cdef inline void _tile_product(const real* A, Py_ssize_t lda, const real* B, Py_ssize_t ldb, real* C,
                               Py_ssize_t ldc, Py_ssize_t X, Py_ssize_t W) noexcept nogil:
    """C[r, c] += sum_x A[r, x] * B[x, c] for the TILE rows of C (attention_tile.h)."""
    if real is float:
        attention_tile_product_float(A, lda, B, ldb, C, ldc, X, W)
    else:
        attention_tile_product_double(A, lda, B, ldb, C, ldc, X, W)


cdef inline Py_ssize_t _transpose_block(const real* rows, real* columns, Py_ssize_t j0, Py_ssize_t cols,
                                        Py_ssize_t width) noexcept nogil:
    """columns (width, BLOCK_K) = rows[j0 : j0 + cols] (each row width long) transposed, zeros beyond
    cols; returns cols."""
    cdef Py_ssize_t j, e
    for j in range(cols):
        for e in range(width):
            columns[e * BLOCK_K + j] = rows[(j0 + j) * width + e]
    for e in range(width):
        for j in range(cols, BLOCK_K):
            columns[e * BLOCK_K + j] = 0
    return cols


cdef inline void _block_products(const real* row, const real* columns, real* products, Py_ssize_t width) noexcept nogil:
    """products[j] = sum_e row[e] * columns[e, j] for j < BLOCK_K: a fixed-width loop over j that
    vectorises, the sum kept in a local block the compiler holds in registers."""
    cdef real sums[BLOCK_K]
    cdef real x
    cdef Py_ssize_t e, j
    for j in range(BLOCK_K):
        sums[j] = 0
    for e in range(width):
        x = row[e]
        for j in range(BLOCK_K):
            sums[j] = sums[j] + x * columns[e * BLOCK_K + j]
    for j in range(BLOCK_K):
        products[j] = sums[j]


cdef inline real _mask_scores(real* scores, const real* mask_row, Geometry g, Py_ssize_t i, Py_ssize_t j0,
                              Py_ssize_t cols, real running_max) noexcept nogil:
    """Adds the mask to a row's BLOCK_K scores (keys j0 ...), -inf for causally hidden keys and past
    cols; returns the larger of running_max and their maximum (NaN scores left out, as NaN > m is false)."""
    cdef Py_ssize_t j, k
    cdef real lanes[16]  # LANES partial maxima: a reduction the compiler vectorises
    if g.has_mask:
        for j in range(cols):
            scores[j] = scores[j] + mask_row[j]
    for j in range(min(cols, max(0, i + 1 - j0)) if g.causal else cols, BLOCK_K):
        scores[j] = -INFINITY
    for k in range(LANES):
        lanes[k] = running_max
    for j in range(0, BLOCK_K, 16):  # 16 = LANES: Cython needs a literal step
        for k in range(LANES):
            lanes[k] = scores[j + k] if scores[j + k] > lanes[k] else lanes[k]
    for k in range(LANES):
        running_max = lanes[k] if lanes[k] > running_max else running_max
    return running_max


cdef inline real _block_sum(const real* values) noexcept nogil:
    """The sum of BLOCK_K values, in LANES partial sums (a reduction the compiler vectorises)."""
    cdef real lanes[16]
    cdef real total = 0
    cdef Py_ssize_t j, k
    for k in range(LANES):
        lanes[k] = 0
    for j in range(0, BLOCK_K, 16):  # 16 = LANES: Cython needs a literal step
        for k in range(LANES):
            lanes[k] = lanes[k] + values[j + k]
    for k in range(LANES):
        total = total + lanes[k]
    return total


cdef inline void _dropout_factors(real* factors, Geometry g, Py_ssize_t b, Py_ssize_t i, Py_ssize_t j0,
                                  Py_ssize_t cols) noexcept nogil:
    """Dropout's factor for row i of head b, keys j0 ... j0 + cols - 1: 1 / (1 - p) where kept, 0
    where dropped (attention.h's rule)."""
    cdef Py_ssize_t j
    cdef uint64_t base = (<uint64_t>b * g.L + i) * g.S + j0
    for j in range(cols):
        factors[j] = <real>g.dropout_scale if attention_keeps(base + j, g.threshold, g.seed, g.offset) else 0


cdef inline void _axpy(real* y, real a, const real* x, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t e
    for e in range(n):
        y[e] = y[e] + a * x[e]


cdef inline real _weight(real s, real m) noexcept nogil:
    if real is float:
        return attention_weight_float(s, m)
    return attention_weight_double(s, m)
