/* GELU per element, exact and tanh-approximated, and their derivatives, for gelu.pyx and gelu.cu.
   In double for both dtypes (erf and tanh from the math library of each device):
     exact:  y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)),   y' = Phi(x) + x phi(x)
     tanh:   y = 0.5 x (1 + tanh(u)), u = sqrt(2 / pi) (x + 0.044715 x^3),
             y' = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2 / pi) (1 + 3 * 0.044715 x^2) */
#ifndef MINIGRAD_GELU_H
#define MINIGRAD_GELU_H
#include "device.h"

#define GELU_SQRT_HALF 0.7071067811865476
#define GELU_INV_SQRT_2PI 0.3989422804014327
#define GELU_SQRT_2_OVER_PI 0.7978845608028654
#define GELU_CUBIC 0.044715

MINIGRAD_HD double gelu(double v, int tanh_approximation) {
    if (tanh_approximation)
        return 0.5 * v * (1 + tanh(GELU_SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v)));
    return 0.5 * v * (1 + erf(v * GELU_SQRT_HALF));
}

MINIGRAD_HD double gelu_derivative(double v, int tanh_approximation) {
    if (tanh_approximation) {
        const double t = tanh(GELU_SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v));
        /* torch's formula as it stands: NaN (0 * inf) at +-inf and where x^2 overflows */
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * v * v);
    }
    return 0.5 * (1 + erf(v * GELU_SQRT_HALF)) + v * GELU_INV_SQRT_2PI * exp(-0.5 * v * v);
}
#endif
