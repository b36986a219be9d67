/* Philox-4x32-10 (Salmon et al., Random123), the one definition used by the CPU kernels (compiled
   by the C compiler through Cython) and the GPU kernels (compiled by NVRTC/nvcc), so dropout masks
   are bit-identical on both. */
#ifndef MINIGRAD_PHILOX_H
#define MINIGRAD_PHILOX_H
#include "device.h"

#define PHILOX_M0 0xD2511F53ull
#define PHILOX_M1 0xCD9E8D57ull
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

/* The four 32-bit words for counter (block, offset) and key seed. */
MINIGRAD_HD void philox4x32_10(unsigned long long block, unsigned long long offset,
                               unsigned long long seed, unsigned int out[4]) {
    unsigned int c0 = (unsigned int)block, c1 = (unsigned int)(block >> 32);
    unsigned int c2 = (unsigned int)offset, c3 = (unsigned int)(offset >> 32);
    unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
    for (int r = 0; r < 10; ++r) {
        unsigned long long p0 = PHILOX_M0 * c0, p1 = PHILOX_M1 * c2;
        unsigned int n0 = (unsigned int)(p1 >> 32) ^ c1 ^ k0, n2 = (unsigned int)(p0 >> 32) ^ c3 ^ k1;
        c1 = (unsigned int)p1;
        c3 = (unsigned int)p0;
        c0 = n0;
        c2 = n2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

#ifndef MINIGRAD_DEVICE_COMPILER
#define PHILOX_BATCH 8
#ifdef __AVX2__
#include <immintrin.h>
#endif

/* Words for blocks first .. first + PHILOX_BATCH - 1, element-major (out[4 * b + lane]): the same
   numbers as PHILOX_BATCH philox4x32_10 calls. With AVX2 the eight counters go through the rounds in
   vector registers, the 32x32 -> 64-bit multiplies of even and odd lanes done separately; otherwise
   in a scalar loop. */
static inline void philox4x32_10_batch(unsigned long long first, unsigned long long offset,
                                       unsigned long long seed, unsigned int out[4 * PHILOX_BATCH]) {
    unsigned int c0[PHILOX_BATCH], c1[PHILOX_BATCH], c2[PHILOX_BATCH], c3[PHILOX_BATCH];
    unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
    for (int b = 0; b < PHILOX_BATCH; ++b) {
        unsigned long long block = first + b;
        c0[b] = (unsigned int)block;
        c1[b] = (unsigned int)(block >> 32);
        c2[b] = (unsigned int)offset;
        c3[b] = (unsigned int)(offset >> 32);
    }
#if defined(__AVX2__)
    __m256i v0 = _mm256_loadu_si256((const __m256i*)c0), v1 = _mm256_loadu_si256((const __m256i*)c1);
    __m256i v2 = _mm256_loadu_si256((const __m256i*)c2), v3 = _mm256_loadu_si256((const __m256i*)c3);
    const __m256i m0 = _mm256_set1_epi64x(PHILOX_M0), m1 = _mm256_set1_epi64x(PHILOX_M1);
    for (int r = 0; r < 10; ++r) {
        __m256i even0 = _mm256_mul_epu32(v0, m0), odd0 = _mm256_mul_epu32(_mm256_srli_epi64(v0, 32), m0);
        __m256i even1 = _mm256_mul_epu32(v2, m1), odd1 = _mm256_mul_epu32(_mm256_srli_epi64(v2, 32), m1);
        __m256i lo0 = _mm256_blend_epi32(even0, _mm256_slli_epi64(odd0, 32), 0xAA);
        __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(even0, 32), odd0, 0xAA);
        __m256i lo1 = _mm256_blend_epi32(even1, _mm256_slli_epi64(odd1, 32), 0xAA);
        __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(even1, 32), odd1, 0xAA);
        v0 = _mm256_xor_si256(_mm256_xor_si256(hi1, v1), _mm256_set1_epi32((int)k0));
        v2 = _mm256_xor_si256(_mm256_xor_si256(hi0, v3), _mm256_set1_epi32((int)k1));
        v1 = lo1;
        v3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    _mm256_storeu_si256((__m256i*)c0, v0);
    _mm256_storeu_si256((__m256i*)c1, v1);
    _mm256_storeu_si256((__m256i*)c2, v2);
    _mm256_storeu_si256((__m256i*)c3, v3);
#else
    for (int r = 0; r < 10; ++r) {
        for (int b = 0; b < PHILOX_BATCH; ++b) {
            unsigned long long p0 = PHILOX_M0 * c0[b], p1 = PHILOX_M1 * c2[b];
            unsigned int n0 = (unsigned int)(p1 >> 32) ^ c1[b] ^ k0, n2 = (unsigned int)(p0 >> 32) ^ c3[b] ^ k1;
            c1[b] = (unsigned int)p1;
            c3[b] = (unsigned int)p0;
            c0[b] = n0;
            c2[b] = n2;
        }
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
#endif
    for (int b = 0; b < PHILOX_BATCH; ++b) {
        out[4 * b] = c0[b]; out[4 * b + 1] = c1[b]; out[4 * b + 2] = c2[b]; out[4 * b + 3] = c3[b];
    }
}
#endif
#endif
