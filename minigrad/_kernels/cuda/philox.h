/* Philox-4x32-10 (Salmon et al., Random123), the one definition used by the CPU kernels (compiled
   by the C compiler through Cython) and the GPU kernels (compiled by NVRTC/nvcc), so dropout masks
   are bit-identical on both. */
#ifndef MINIGRAD_PHILOX_H
#define MINIGRAD_PHILOX_H
#ifdef __CUDACC__
#define MINIGRAD_HD __host__ __device__ __forceinline__
#else
#define MINIGRAD_HD static inline
#endif

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

#ifndef __CUDACC__
#define PHILOX_BATCH 8
/* Words for blocks first .. first + 7, element-major (out[4 * b + lane]): the same numbers as eight
   philox4x32_10 calls. */
static inline void philox4x32_10_batch(unsigned long long first, unsigned long long offset,
                                       unsigned long long seed, unsigned int out[4 * PHILOX_BATCH]) {
    /* eight independent counters advanced round by round: their multiplies overlap in the pipeline */
    unsigned int c0[PHILOX_BATCH], c1[PHILOX_BATCH], c2[PHILOX_BATCH], c3[PHILOX_BATCH];
    unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
    for (int b = 0; b < PHILOX_BATCH; ++b) {
        unsigned long long block = first + b;
        c0[b] = (unsigned int)block;
        c1[b] = (unsigned int)(block >> 32);
        c2[b] = (unsigned int)offset;
        c3[b] = (unsigned int)(offset >> 32);
    }
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
    for (int b = 0; b < PHILOX_BATCH; ++b) {
        out[4 * b] = c0[b]; out[4 * b + 1] = c1[b]; out[4 * b + 2] = c2[b]; out[4 * b + 3] = c3[b];
    }
}
#endif
#endif
