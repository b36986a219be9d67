/* The windows of average pooling, for pool.pyx and pool.cu (integer arithmetic, non-negative). */
#ifndef MINIGRAD_POOL_H
#define MINIGRAD_POOL_H
#include "device.h"

/* v clipped to [lo, hi]: a window's bound on the input, [clip(o * S - P), clip(o * S - P + K)). */
MINIGRAD_HD long long pool_clip(long long v, long long lo, long long hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* The divisor of an average-pool window [h0, h1) x [w0, w1) clipped to the input. Without ceil_mode a
   window never passes the padded input, so KH * KW counts the padding when count_include_pad. */
MINIGRAD_HD long long avg_pool_count(long long h0, long long h1, long long w0, long long w1, long long KH,
                                     long long KW, int count_include_pad) {
    return count_include_pad ? KH * KW : (h1 - h0) * (w1 - w0);
}

/* Adaptive window i along a dim of `size` split into `count`: [floor(i * size / count), ceil((i + 1) * size / count)) */
MINIGRAD_HD long long adaptive_window_start(long long i, long long size, long long count) { return i * size / count; }
MINIGRAD_HD long long adaptive_window_stop(long long i, long long size, long long count) {
    return ((i + 1) * size + count - 1) / count;
}
#endif
