/* Scaled dot-product attention's per-element math, for attention.pyx and attention.cu.

   A query row's softmax weights are exp(s - m) with m the row's running maximum (forward) or its
   logsumexp (backward). A row that every key so far masks has m = -inf: its weights are 0, not
   exp(-inf + inf) = NaN. Dropout drops weight (b, i, j) -- b the batch-head, i the query, j the key --
   when word (x % 4) of Philox-4x32-10(counter = (x / 4, offset), key = seed) is below the threshold,
   x = (b * L + i) * S + j: dropout.h's rule on the flat (B, L, S) weights, the same on both devices
   and recomputed, not stored, by the backward. */
#ifndef real
#ifndef MINIGRAD_ATTENTION_H
#define MINIGRAD_ATTENTION_H
#include "device.h"
#include "dropout.h"
#include "philox.h"
#ifndef MINIGRAD_DEVICE_COMPILER
#include <string.h>
#endif

MINIGRAD_HD int attention_keeps(unsigned long long index, unsigned long long threshold, unsigned long long seed,
                                unsigned long long offset) {
    unsigned int words[4];
    philox4x32_10(index >> 2, offset, seed, words);
    return dropout_keeps(words[index & 3], threshold);
}

/* exp(x) in float, branch-free so the CPU loops vectorise it (glibc's expf does not): Cephes' expf,
   2^n * p(r) with n = round(x / ln2) and |r| <= ln2 / 2, within 2 ulp of expf; 0 below -87, inf above
   88.7, NaN for NaN. n is rounded by adding 1.5 * 2^23, whose low mantissa bits then hold n + 2^22:
   no float-to-int conversion, which (with the clamp before it) keeps GCC from vectorising. */
MINIGRAD_HD float attention_expf(float x) {
#ifdef MINIGRAD_DEVICE_COMPILER
    return expf(x);
#else
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    float low = x < -87.0f ? -87.0f : x;
    float clamped = low > 88.0f ? 88.0f : low;
    float shifted = clamped * 1.44269504088896341f + magic;
    float n = shifted - magic;
    int whole;
    memcpy(&whole, &shifted, sizeof whole);
    whole -= 0x4B400000; /* the bits of 1.5 * 2^23: leaves n */
    float r = clamped - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int bits = (whole + 127) << 23;
    float power;
    memcpy(&power, &bits, sizeof power);
    float y = x < -87.0f ? 0.0f : p * power;
    y = x > 88.7f ? (float)HUGE_VAL : y;
    return x != x ? x : y;
#endif
}

#define MINIGRAD_REAL_FUNCTIONS "attention.h"
#include "reals.h"
#endif
#else

/* The softmax weight exp(s - m) of score s in a row whose maximum (or logsumexp) is m; 0 where m is
   -inf (then s is -inf too). */
MINIGRAD_HD real NAME(attention_weight)(real s, real m) {
    real x = s - ((double)m < -1.0e308 ? (real)0 : m);
    return sizeof(real) == sizeof(float) ? (real)attention_expf((float)x) : (real)exp((double)x);
}
#endif
