"""Scaled dot-product attention loops (CPU): FlashAttention's blockwise forward and FlashAttention-2's
backward; the front (front/attention.py) checks, allocates and flattens the batch dims.

Shapes: q (B, L, E) and out (B, L, Ev), B the flattened batch*heads; k (B / group, S, E), v (B / group,
S, Ev): query head b reads key/value head b // group (grouped-query attention). mask: an additive
float mask (M, L, S) in q's dtype, query head b taking mask[mask_index[b]], or None. lse (B, L): each
row's logsumexp of its scaled, masked scores, the one thing besides out that the backward needs.

Forward: one task per (head, block of BLOCK_Q query rows). Keys go by in blocks of BLOCK_K; the
block's scores and its weighted values are one-thread GEMMs (blas.pxd, BLAS-sized tiles: 64 x 128 x E),
and between them each row keeps a running maximum m and sum l and rescales its output accumulator
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
from libc.stdint cimport int64_t, uint32_t, uint64_t

cdef extern from "attention.h" nogil:
    enum: PHILOX_BATCH
    void philox4x32_10_batch(uint64_t first, uint64_t offset, uint64_t seed, uint32_t* out)
    int dropout_keeps(unsigned int word, unsigned long long threshold)
    float attention_weight_float(float s, float m)
    double attention_weight_double(double s, double m)

from .blas cimport gemm
from ._types cimport (minigrad_job_end, minigrad_job_start, minigrad_max_threads, minigrad_region, minigrad_region_open,
                      real)
from .runtime cimport region_closed

cdef enum:
    BLOCK_Q = 64
    BLOCK_K = 128
    LANES = 16  # partial sums and maxima of a row's reductions
    QROWS = 64  # query rows the backward takes through a key block at a time
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
    cdef Py_ssize_t width = BLOCK_Q * (g.E + BLOCK_K + g.Ev + 2) + BLOCK_K
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
    cdef Py_ssize_t width = BLOCK_K * (g.E + g.Ev + 1) + QROWS * (g.E + 3 * BLOCK_K)
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
    cdef minigrad_region region
    cdef long long started
    with nogil:
        if tasks > 1 and tasks * BLOCK_Q * g.S * (g.E + g.Ev) > WORK_PARALLEL_MIN:  # see _types.pxd
            region = minigrad_region_open(tasks, minigrad_max_threads())  # judged for lateness (runtime.pyx)
            for task in prange(tasks, schedule="dynamic"):
                started = minigrad_job_start(&region)
                _forward_block(q, k, v, mask, mask_index, out, lse, &scratch[threadid(), 0], g,
                               task // blocks, (task % blocks) * BLOCK_Q)
                minigrad_job_end(&region, started)
            region_closed(&region)
        else:
            for task in range(tasks):
                _forward_block(q, k, v, mask, mask_index, out, lse, &scratch[0, 0], g,
                               task // blocks, (task % blocks) * BLOCK_Q)


cdef inline void _forward_block(const real[:, :, ::1] q, const real[:, :, ::1] k, const real[:, :, ::1] v,
                                const real[:, :, ::1] mask, const int64_t[::1] mask_index, real[:, :, ::1] out,
                                real[:, ::1] lse, real* scratch, Geometry g, Py_ssize_t b,
                                Py_ssize_t first) noexcept nogil:
    """Query rows [first, first + BLOCK_Q) of head b: per key block, scores (rows, BLOCK_K) = scaled
    q k^T and acc (rows, Ev) += weights v, two GEMMs, the online softmax between them row by row."""
    cdef Py_ssize_t E = g.E, Ev = g.Ev, rows = min(BLOCK_Q, g.L - first), r, i, j, e, j0, cols
    cdef Py_ssize_t keys = min(g.S, first + rows) if g.causal else g.S  # causal: key j <= query i
    cdef real* scaled_q = scratch
    cdef real* scores = scaled_q + BLOCK_Q * E
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
    for r in range(rows):
        row_max[r], row_sum[r] = -INFINITY, 0
    for r in range(rows * Ev):
        acc[r] = 0
    for j0 in range(0, keys, 128):  # 128 = BLOCK_K: Cython needs a literal step
        cols = min(BLOCK_K, keys - j0)
        gemm(False, True, rows, cols, E, 1, scaled_q, E, K + j0 * E, E, 0, scores, BLOCK_K)
        for r in range(rows):
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
        gemm(False, False, rows, Ev, cols, 1, scores, BLOCK_K, V + j0 * Ev, Ev, 1, acc, Ev)
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
    cdef minigrad_region region
    cdef long long started
    with nogil:
        if tasks > 1 and g.heads * g.L * g.S * (g.E + g.Ev) > WORK_PARALLEL_MIN:  # see _types.pxd
            region = minigrad_region_open(tasks, minigrad_max_threads())
            for task in prange(tasks, schedule="dynamic"):
                started = minigrad_job_start(&region)
                _backward_head(gout, q, k, v, out, lse, mask, mask_index, delta, gq, gk, gv,
                               &scratch[threadid(), 0], g, task)
                minigrad_job_end(&region, started)
            region_closed(&region)
        else:
            for task in range(tasks):
                _backward_head(gout, q, k, v, out, lse, mask, mask_index, delta, gq, gk, gv, &scratch[0, 0], g, task)


cdef inline void _backward_head(const real[:, :, ::1] gout, const real[:, :, ::1] q, const real[:, :, ::1] k,
                                const real[:, :, ::1] v, const real[:, :, ::1] out, const real[:, ::1] lse,
                                const real[:, :, ::1] mask, const int64_t[::1] mask_index, double[:, ::1] delta,
                                real[:, :, ::1] gq, real[:, :, ::1] gk, real[:, :, ::1] gv, real* scratch,
                                Geometry g, Py_ssize_t kv) noexcept nogil:
    """Key/value head kv: its gk and gv, and gq of its query heads kv * group ... kv * group + group - 1.
    Per key block and QROWS query rows: P and dP (rows, BLOCK_K) by two GEMMs, dS row by row, then
    three GEMMs into gv, gk (kept in scratch over the query rows) and gq (in place)."""
    cdef Py_ssize_t E = g.E, Ev = g.Ev, L = g.L, S = g.S, b, i, i0, r, j, e, j0, cols, rows
    cdef real* gk_acc = scratch  # (BLOCK_K, E)
    cdef real* gv_acc = gk_acc + BLOCK_K * E  # (BLOCK_K, Ev)
    cdef real* scaled_q = gv_acc + BLOCK_K * Ev  # (QROWS, E)
    cdef real* p = scaled_q + QROWS * E  # (QROWS, BLOCK_K), and ds likewise
    cdef real* dp = p + QROWS * BLOCK_K
    cdef real* ds = dp + QROWS * BLOCK_K
    cdef real* factors = ds + QROWS * BLOCK_K  # (BLOCK_K)
    cdef const real* K = &k[kv, 0, 0]
    cdef const real* V = &v[kv, 0, 0]
    cdef const real* Q
    cdef const real* dO
    cdef real* pr
    cdef real* dsr
    cdef double d
    cdef real d_row, z
    for b in range(kv * g.group, (kv + 1) * g.group):
        for i in range(L):
            d = 0
            for e in range(Ev):
                d = d + <double>gout[b, i, e] * out[b, i, e]
            delta[b, i] = d
    for j in range(BLOCK_K):
        factors[j] = 1
    for j0 in range(0, S, 128):  # 128 = BLOCK_K: Cython needs a literal step
        cols = min(BLOCK_K, S - j0)
        for j in range(cols * E):
            gk_acc[j] = 0
        for j in range(cols * Ev):
            gv_acc[j] = 0
        for b in range(kv * g.group, (kv + 1) * g.group):
            for i0 in range(j0 if g.causal else 0, L, 64):  # 64 = QROWS; causal: query i sees keys j <= i
                rows = min(QROWS, L - i0)
                Q, dO = &q[b, i0, 0], &gout[b, i0, 0]
                for j in range(rows * E):
                    scaled_q[j] = <real>(Q[j] * g.scale)
                gemm(False, True, rows, cols, E, 1, scaled_q, E, K + j0 * E, E, 0, p, BLOCK_K)
                gemm(False, True, rows, cols, Ev, 1, dO, Ev, V + j0 * Ev, Ev, 0, dp, BLOCK_K)
                for r in range(rows):
                    i, pr, dsr = i0 + r, &p[r * BLOCK_K], &ds[r * BLOCK_K]
                    _mask_scores(pr, &mask[mask_index[b], 0, 0] + i * S + j0, g, i, j0, cols, -INFINITY)
                    for j in range(BLOCK_K):
                        pr[j] = _weight(pr[j], lse[b, i])
                    if g.dropout:
                        _dropout_factors(factors, g, b, i, j0, cols)
                    d_row = <real>delta[b, i]
                    for j in range(cols):
                        # dP reaches P through the dropout: times 1 / (1 - p) where kept, 0 where dropped;
                        # P becomes the kept weights that dV takes
                        z = factors[j]
                        dsr[j] = pr[j] * (dp[r * BLOCK_K + j] * z - d_row)
                        pr[j] = pr[j] * z
                gemm(True, False, cols, Ev, rows, 1, p, BLOCK_K, dO, Ev, 1, gv_acc, Ev)
                gemm(True, False, cols, E, rows, 1, ds, BLOCK_K, Q, E, 1, gk_acc, E)
                gemm(False, False, rows, E, cols, <real>g.scale, ds, BLOCK_K, K + j0 * E, E, 1, &gq[b, i0, 0], E)
        for j in range(cols):
            for e in range(E):
                gk[kv, j0 + j, e] = gk_acc[j * E + e] * <real>g.scale
            for e in range(Ev):
                gv[kv, j0 + j, e] = gv_acc[j * Ev + e]


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
    where dropped (attention.h's rule: attention_keeps), the Philox words made PHILOX_BATCH blocks of
    four at a time rather than one block per element."""
    cdef uint32_t words[4 * PHILOX_BATCH]
    cdef uint64_t base = (<uint64_t>b * g.L + i) * g.S + j0, stop = base + cols, start = base - base % 4, x
    while start < stop:
        philox4x32_10_batch(start // 4, g.offset, g.seed, words)
        for x in range(max(start, base), min(start + 4 * PHILOX_BATCH, stop)):
            factors[x - base] = <real>g.dropout_scale if dropout_keeps(words[x - start], g.threshold) else 0
        start = start + 4 * PHILOX_BATCH


cdef inline real _weight(real s, real m) noexcept nogil:
    if real is float:
        return attention_weight_float(s, m)
    return attention_weight_double(s, m)
