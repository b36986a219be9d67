/* GELU per element, exact and tanh-approximated, and their derivatives, for gelu.pyx and gelu.cu.
   float64 in double (erf and tanh from the math library of each device):
     exact:  y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)),   y' = Phi(x) + x phi(x)
     tanh:   y = 0.5 x (1 + tanh(u)), u = sqrt(2 / pi) (x + 0.044715 x^3),
             y' = 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2 / pi) (1 + 3 * 0.044715 x^2)
   and the same in float for float32 (gelu_float, gelu_derivative_float). */
#ifndef MINIGRAD_GELU_H
#define MINIGRAD_GELU_H
#include "device.h"
#include "activation.h"

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

/* Phi(v), the standard normal CDF, in float without a math library call, so a float32 loop vectorizes
   (libm's erf in double cost 9 ns an element); *gaussian is set to exp(-v^2 / 2), which the derivative
   shares. With a = |v| / sqrt 2: below a = 1, erf(a) = a P(a^2); above, erfc(a) = exp(-a^2) t Q(t - 0.55),
   t = 1 / a (least-squares fits of erf(a) / a on [0, 1] and of erfc(a) exp(a^2) a on [1, 10.5], relative error
   1.2e-7 and 2e-7 evaluated in float), and Phi = erfc / 2 below 0, 1 - erfc / 2 above: the negative tail keeps
   its relative precision instead of cancelling in 1 + erf. Both branches are computed and one selected
   (the unused one may be inf or NaN at 0 or at huge v). NaN stays NaN. */
MINIGRAD_HD float gelu_cdf_float(float v, float *gaussian) {
    const float a = (v < 0 ? -v : v) * 0.70710678f, z = a * a;
    const float e = minigrad_expf_nonpositive(-0.5f * v * v);  /* v * v exactly halved: exp's argument rounds once */
    const float erf_small = a * (((((-5.631359527e-4f * z + 4.917538259e-3f) * z - 2.671130188e-2f) * z
                                   + 1.128017977e-1f) * z - 3.761232495e-1f) * z + 1.128379107f);
    const float t = 1 / a, w = t - 0.55f;
    const float q = ((((((((-2.276873030e-2f * w + 8.109300584e-2f) * w - 7.688382268e-2f) * w + 1.404417399e-2f) * w
                       + 5.148706958e-2f) * w - 9.723415971e-2f) * w + 9.829056263e-2f) * w - 2.035750076e-2f) * w
                     - 1.700343192e-1f) * w + 5.023533702e-1f;
    const float half_erfc = 0.5f * e * t * q;
    *gaussian = e;
    return a < 1 ? 0.5f + 0.5f * (v < 0 ? -erf_small : erf_small) : (v < 0 ? half_erfc : 1 - half_erfc);
}

/* 0.5 (1 + tanh u) = sigmoid(2u) in float, and its complement 0.5 (1 - tanh u) = sigmoid(-2u) in
   *complement, both from e = exp(-|2u|) <= 1 as activation.h's sigmoid: each tail keeps its relative
   precision (1 + tanh u cancels to 0 below v = -5, 1 - s to 0 above v = 5), and the derivative's
   0.5 (1 - tanh^2 u) is 2 s (1 - s). */
MINIGRAD_HD float gelu_tanh_half_float(float v, float *complement) {
    const float w = 2 * (float)GELU_SQRT_2_OVER_PI * (v + (float)GELU_CUBIC * v * v * v);
    const float e = minigrad_expf_nonpositive(w < 0 ? w : -w), inverse = 1 / (1 + e);
    *complement = (w >= 0 ? e : 1) * inverse;
    return (w >= 0 ? 1 : e) * inverse;
}

MINIGRAD_HD float gelu_float(float v, int tanh_approximation) {
    float complement, gaussian;
    if (tanh_approximation)
        return v * gelu_tanh_half_float(v, &complement);
    return v * gelu_cdf_float(v, &gaussian);
}

MINIGRAD_HD float gelu_derivative_float(float v, int tanh_approximation) {
    if (tanh_approximation) {
        float complement;
        const float s = gelu_tanh_half_float(v, &complement);
        return s + 2 * v * (s * complement) * (float)GELU_SQRT_2_OVER_PI * (1 + 3 * (float)GELU_CUBIC * v * v);
    }
    float gaussian;
    const float cdf = gelu_cdf_float(v, &gaussian);
    return cdf + v * (float)GELU_INV_SQRT_2PI * gaussian;
}
#endif
