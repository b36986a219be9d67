/* Dropout's keep/scale rule per element, for dropout.pyx and dropout.cu (the random words come from
   philox.h): element i is kept when its Philox word is >= threshold = p * 2^32, and a kept element is
   scaled by 1 / (1 - p). */
#ifndef real
#ifndef MINIGRAD_DROPOUT_H
#define MINIGRAD_DROPOUT_H
#include "device.h"

MINIGRAD_HD int dropout_keeps(unsigned int word, unsigned long long threshold) { return word >= threshold; }

#define MINIGRAD_REAL_FUNCTIONS "dropout.h"
#include "reals.h"
#endif
#else

/* v * scale where kept, else v * 0: a multiply, not a select, so a dropped NaN stays NaN (as torch's
   x * mask / (1 - p)). Forward applies it to x, backward to gy. */
MINIGRAD_HD real NAME(dropout_apply)(real v, int keep, real scale) { return v * (keep ? scale : (real)0); }
#endif
