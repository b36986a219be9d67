/* ReLU per element, for activation.pyx and activation.cu; in the array's dtype. */
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
#endif
