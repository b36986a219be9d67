/* ReLU and hardtanh per element, for activation.pyx and activation.cu; in the array's dtype. */
#ifndef real
#ifndef MINIGRAD_ACTIVATION_H
#define MINIGRAD_ACTIVATION_H
#define MINIGRAD_REAL_FUNCTIONS "activation.h"
#include "reals.h"
#endif
#else

/* max(v, 0) with NaN propagating (NaN <= 0 is false), still a branchless select. */
MINIGRAD_HD real NAME(relu)(real v) { return v <= 0 ? (real)0 : v; }

/* The input gradient from the forward output y: g where y > 0 or y is NaN (as torch). g is loaded
   unconditionally, so the select compiles without a branch. */
MINIGRAD_HD real NAME(relu_gradient)(real g, real y) { return y <= 0 ? (real)0 : g; }

/* v limited to [min_val, max_val]; NaN stays NaN (both comparisons are false). */
MINIGRAD_HD real NAME(hardtanh)(real v, real min_val, real max_val) {
    return v < min_val ? min_val : (v > max_val ? max_val : v);
}

/* g strictly inside (min_val, max_val), 0 at and beyond the bounds; a NaN input passes g (as torch). */
MINIGRAD_HD real NAME(hardtanh_gradient)(real g, real v, real min_val, real max_val) {
    return (v <= min_val || v >= max_val) ? (real)0 : g;
}
#endif
