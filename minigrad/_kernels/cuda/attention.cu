// Scaled dot-product attention, the same math as attention.pyx (attention.h's weights and dropout),
// with one warp per row and nothing of size L x S kept:
//   forward:         a warp per query row (b, i); lane t holds the output entries e = t, t + 32, ...;
//                    each key's score is a warp sum, then the online softmax (running max m and sum l,
//                    the output rescaled when m grows); writes out and lse = m + log(l).
//   backward_query:  a warp per query row: delta = rowsum(gout * out), and gq = scale * sum_j dS_ij k_j
//                    with P recomputed from lse and dS = P * (dP - delta), dP = gout . v_j.
//   backward_key:    a warp per key row (kv, j) over the rows of its query heads: gv = sum_i P_ij gout_i,
//                    gk = scale * sum_i dS_ij q_i (no atomics: each row has one writer).
// Head dims up to 32 * PER_LANE (the front checks). q (B, L, E); k (B / group, S, E); v (B / group, S, Ev).
#include "common.cuh"
#include "attention.h"

#define PER_LANE 8
#define WARPS_PER_BLOCK 4

template <typename T>
__device__ T warp_sum(T v) {
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
    return v;
}

template <typename T>
__device__ T minus_infinity() {
    return (T)(-__int_as_float(0x7f800000));
}

// lane's entries of a row of width n (zeros past n)
template <typename T>
__device__ void load_lanes(const T* row, long long n, T scale, T* lanes) {
    const int lane = threadIdx.x % 32;
    for (int t = 0; t < PER_LANE; ++t) {
        const long long e = lane + 32LL * t;
        lanes[t] = e < n ? (T)(row[e] * scale) : (T)0;
    }
}

template <typename T>
__device__ T dot(const T* lanes, const T* row, long long n) {
    const int lane = threadIdx.x % 32;
    T part = 0;
    for (int t = 0; t < PER_LANE; ++t) {
        const long long e = lane + 32LL * t;
        if (e < n) part += lanes[t] * row[e];
    }
    return warp_sum(part);
}

// dropout's factor for weight (row = b * L + i, key j): 1 without dropout, else 1 / (1 - p) or 0
__device__ double dropout_factor(long long row, long long S, long long j, unsigned long long threshold,
                                 double dropout_scale, unsigned long long seed, unsigned long long offset) {
    if (!threshold) return 1.0;
    return attention_keeps((unsigned long long)row * S + j, threshold, seed, offset) ? dropout_scale : 0.0;
}

#define WARP_ROWS(row, count)                                                                           \
    for (long long row = blockIdx.x * (long long)WARPS_PER_BLOCK + threadIdx.x / 32; row < (count);     \
         row += (long long)gridDim.x * WARPS_PER_BLOCK)

template <typename T>
__device__ void forward(const T* q, const T* k, const T* v, const T* mask, flag has_mask, const long long* mask_index,
                        T* out, T* lse, double scale, flag is_causal, unsigned long long threshold,
                        double dropout_scale, unsigned long long seed, unsigned long long offset, long long B,
                        long long L, long long S, long long E, long long Ev, long long group) {
    const int lane = threadIdx.x % 32;
    WARP_ROWS(row, B * L) {
        const long long b = row / L, i = row % L, kv = b / group;
        T query[PER_LANE], acc[PER_LANE];
        load_lanes(q + row * E, E, (T)scale, query);
        for (int t = 0; t < PER_LANE; ++t) acc[t] = 0;
        T m = minus_infinity<T>(), l = 0;
        const T* mask_row = has_mask ? mask + (mask_index[b] * L + i) * S : nullptr;
        const long long keys = is_causal ? (i + 1 < S ? i + 1 : S) : S;
        for (long long j = 0; j < keys; ++j) {
            T s = dot(query, k + (kv * S + j) * E, E);
            if (has_mask) s += mask_row[j];
            const T m_new = s > m ? s : m;
            const T correction = attention_weight(m, m_new);
            T p = attention_weight(s, m_new);
            l = l * correction + p;
            m = m_new;
            p *= (T)dropout_factor(row, S, j, threshold, dropout_scale, seed, offset);
            const T* value = v + (kv * S + j) * Ev;
            for (int t = 0; t < PER_LANE; ++t) {
                const long long e = lane + 32LL * t;
                if (e < Ev) acc[t] = acc[t] * correction + p * value[e];
            }
        }
        for (int t = 0; t < PER_LANE; ++t) {
            const long long e = lane + 32LL * t;
            if (e < Ev) out[row * Ev + e] = l == 0 ? (T)0 : acc[t] / l;  // every key masked: zeros, as torch
        }
        if (lane == 0) lse[row] = m + (T)log((double)l);
    }
}

template <typename T>
__device__ void backward_query(const T* gout, const T* q, const T* k, const T* v, const T* out, const T* lse,
                               const T* mask, flag has_mask, const long long* mask_index, double* delta, T* gq,
                               double scale, flag is_causal, unsigned long long threshold, double dropout_scale,
                               unsigned long long seed, unsigned long long offset, long long B, long long L,
                               long long S, long long E, long long Ev, long long group) {
    const int lane = threadIdx.x % 32;
    WARP_ROWS(row, B * L) {
        const long long b = row / L, i = row % L, kv = b / group;
        T query[PER_LANE], grad_out[PER_LANE], acc[PER_LANE];
        load_lanes(q + row * E, E, (T)scale, query);
        load_lanes(gout + row * Ev, Ev, (T)1, grad_out);
        double d = 0;
        for (int t = 0; t < PER_LANE; ++t) {
            const long long e = lane + 32LL * t;
            if (e < Ev) d += (double)grad_out[t] * (double)out[row * Ev + e];
            acc[t] = 0;
        }
        d = warp_sum(d);
        if (lane == 0) delta[row] = d;
        const T* mask_row = has_mask ? mask + (mask_index[b] * L + i) * S : nullptr;
        const long long keys = is_causal ? (i + 1 < S ? i + 1 : S) : S;
        for (long long j = 0; j < keys; ++j) {
            const T* key = k + (kv * S + j) * E;
            T s = dot(query, key, E);
            if (has_mask) s += mask_row[j];
            const T p = attention_weight(s, lse[row]);
            const T dp = dot(grad_out, v + (kv * S + j) * Ev, Ev);
            const T ds = p * (dp * (T)dropout_factor(row, S, j, threshold, dropout_scale, seed, offset) - (T)d);
            for (int t = 0; t < PER_LANE; ++t) {
                const long long e = lane + 32LL * t;
                if (e < E) acc[t] += ds * key[e];
            }
        }
        for (int t = 0; t < PER_LANE; ++t) {
            const long long e = lane + 32LL * t;
            if (e < E) gq[row * E + e] = acc[t] * (T)scale;
        }
    }
}

template <typename T>
__device__ void backward_key(const T* gout, const T* q, const T* k, const T* v, const T* lse, const T* mask,
                             flag has_mask, const long long* mask_index, const double* delta, T* gk, T* gv,
                             double scale, flag is_causal, unsigned long long threshold, double dropout_scale,
                             unsigned long long seed, unsigned long long offset, long long B, long long L,
                             long long S, long long E, long long Ev, long long group) {
    const int lane = threadIdx.x % 32;
    WARP_ROWS(key_row, B / group * S) {
        const long long kv = key_row / S, j = key_row % S;
        T key[PER_LANE], value[PER_LANE], gk_acc[PER_LANE], gv_acc[PER_LANE];
        load_lanes(k + key_row * E, E, (T)1, key);
        load_lanes(v + key_row * Ev, Ev, (T)1, value);
        for (int t = 0; t < PER_LANE; ++t) gk_acc[t] = gv_acc[t] = 0;
        for (long long b = kv * group; b < (kv + 1) * group; ++b) {
            for (long long i = is_causal ? j : 0; i < L; ++i) {  // causal: query i sees keys j <= i
                const long long row = b * L + i;
                const T* query = q + row * E;
                const T* grad_out = gout + row * Ev;
                T part = 0;
                for (int t = 0; t < PER_LANE; ++t) {
                    const long long e = lane + 32LL * t;
                    if (e < E) part += (T)(query[e] * (T)scale) * key[t];
                }
                T s = warp_sum(part);
                if (has_mask) s += mask[(mask_index[b] * L + i) * S + j];
                const T p = attention_weight(s, lse[row]);
                const T factor = (T)dropout_factor(row, S, j, threshold, dropout_scale, seed, offset);
                const T dp = dot(value, grad_out, Ev);
                const T ds = p * (dp * factor - (T)delta[row]);
                for (int t = 0; t < PER_LANE; ++t) {
                    const long long e = lane + 32LL * t;
                    if (e < Ev) gv_acc[t] += p * factor * grad_out[e];
                    if (e < E) gk_acc[t] += ds * query[e];
                }
            }
        }
        for (int t = 0; t < PER_LANE; ++t) {
            const long long e = lane + 32LL * t;
            if (e < E) gk[key_row * E + e] = gk_acc[t] * (T)scale;
            if (e < Ev) gv[key_row * Ev + e] = gv_acc[t];
        }
    }
}

#define ATTENTION_SETTINGS                                                                                 \
    double scale, flag is_causal, unsigned long long threshold, double dropout_scale, unsigned long long seed, \
        unsigned long long offset, long long B, long long L, long long S, long long E, long long Ev, long long group
#define ATTENTION_PASS scale, is_causal, threshold, dropout_scale, seed, offset, B, L, S, E, Ev, group

#define INSTANTIATE(T)                                                                                     \
    extern "C" __global__ void attention_forward_##T(const T* q, const T* k, const T* v, const T* mask,    \
                                                     flag has_mask, const long long* mask_index, T* out,   \
                                                     T* lse, ATTENTION_SETTINGS) {                         \
        forward<T>(q, k, v, mask, has_mask, mask_index, out, lse, ATTENTION_PASS);                         \
    }                                                                                                      \
    extern "C" __global__ void attention_backward_query_##T(const T* gout, const T* q, const T* k, const T* v, \
                                                            const T* out, const T* lse, const T* mask,     \
                                                            flag has_mask, const long long* mask_index,    \
                                                            double* delta, T* gq, ATTENTION_SETTINGS) {    \
        backward_query<T>(gout, q, k, v, out, lse, mask, has_mask, mask_index, delta, gq, ATTENTION_PASS); \
    }                                                                                                      \
    extern "C" __global__ void attention_backward_key_##T(const T* gout, const T* q, const T* k, const T* v, \
                                                          const T* lse, const T* mask, flag has_mask,      \
                                                          const long long* mask_index, const double* delta, \
                                                          T* gk, T* gv, ATTENTION_SETTINGS) {              \
        backward_key<T>(gout, q, k, v, lse, mask, has_mask, mask_index, delta, gk, gv, ATTENTION_PASS);    \
    }
INSTANTIATE(float)
INSTANTIATE(double)
