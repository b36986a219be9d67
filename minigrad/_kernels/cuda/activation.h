/* ReLU, hardtanh, sigmoid, tanh, softplus and logsigmoid per element, for activation.pyx and activation.cu;
   in the array's dtype. */
#ifndef real
#ifndef MINIGRAD_ACTIVATION_H
#define MINIGRAD_ACTIVATION_H
#include "device.h"
#ifndef MINIGRAD_DEVICE_COMPILER
#include <string.h>
#endif

/* exp(v) for v <= 0, NaN staying NaN, written out because libm's is a call per element: these the
   compiler vectorizes, which makes a sigmoid loop several times faster. v = n ln 2 + r with
   |r| <= ln 2 / 2, exp(r) from a rational (double, Cephes') or polynomial (float, a minimax fit,
   relative error 3e-9) function, times 2^n. n is rounded by adding a constant C = 1.5 * 2^52 (2^23)
   + 1023 (127) + K, whose low bits then hold the exponent field of 2^(n + K): one shift makes the scale,
   no conversion to an integer. K = 512 (64) keeps 2^(n + K) normal down to v = -760 (-110), below
   which the result rounds to 0; multiplying by 2^-K last rounds once, so subnormal results come out
   right. A NaN passes every step (the clamp's comparison is false for it). Relative error within 0.9
   (float) and 1.2 (double) times the type's eps, subnormals in absolute terms. */
MINIGRAD_HD double minigrad_double_from_bits(unsigned long long bits) {
#ifdef MINIGRAD_DEVICE_COMPILER
    return __longlong_as_double((long long)bits);
#else
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
#endif
}

MINIGRAD_HD unsigned long long minigrad_double_bits(double d) {
#ifdef MINIGRAD_DEVICE_COMPILER
    return (unsigned long long)__double_as_longlong(d);
#else
    unsigned long long bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
#endif
}

MINIGRAD_HD float minigrad_float_from_bits(unsigned int bits) {
#ifdef MINIGRAD_DEVICE_COMPILER
    return __int_as_float((int)bits);
#else
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
#endif
}

MINIGRAD_HD unsigned int minigrad_float_bits(float f) {
#ifdef MINIGRAD_DEVICE_COMPILER
    return (unsigned int)__float_as_int(f);
#else
    unsigned int bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
#endif
}

MINIGRAD_HD double minigrad_exp_nonpositive(double v) {
    const double x = v < -760.0 ? -760.0 : v, rounder = 6755399441055744.0 + 1023 + 512;
    const double shifted = 1.4426950408889634 * x + rounder, n = shifted - rounder;
    const double r = (x - n * 6.93145751953125e-1) - n * 1.42860682030941723212e-6, rr = r * r;
    const double p = r * ((1.26177193074810590878e-4 * rr + 3.02994407707441961300e-2) * rr + 9.99999999999999999910e-1);
    const double q = ((3.00198505138664455042e-6 * rr + 2.52448340349684104192e-3) * rr + 2.27265548208155028766e-1) * rr
                     + 2.00000000000000000009e0;
    const double scale = minigrad_double_from_bits(minigrad_double_bits(shifted) << 52);  /* 2^(n + 512) */
    return (1 + 2 * p / (q - p)) * scale * 7.458340731200207e-155;  /* 2^-512 */
}

MINIGRAD_HD float minigrad_expf_nonpositive(float v) {
    const float x = v < -110.0f ? -110.0f : v, rounder = 12582912.0f + 127 + 64;
    const float shifted = 1.44269504088896341f * x + rounder, n = shifted - rounder;
    const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
    const float p = (((((1.3814612757e-3f * r + 8.3687100559e-3f) * r + 4.1668388993e-2f) * r + 1.6666521132e-1f) * r
                      + 4.9999994040e-1f) * r + 1) * r + 1;
    const float scale = minigrad_float_from_bits(minigrad_float_bits(shifted) << 23);  /* 2^(n + 64) */
    return p * scale * 5.42101086242752217e-20f;  /* 2^-64 */
}

/* log(1 + e) for 0 <= e <= 1 (NaN staying NaN), written out for the same reason (glibc's log1pf took
   190 ns an element here): 1 + e = 2^k m with m in [sqrt(1/2), sqrt(2)], log(m) = log(1 + f) from
   fdlibm's fits (double, float) in s = f / (2 + f), and c / (1 + e) for what rounding 1 + e lost.
   Within 1 ulp. The float one stays in float: a float loop calling the double one ran 40x slower. */
MINIGRAD_HD double minigrad_log1p_unit(double e) {
    const double u = 1 + e, c = (e - (u - 1)) / u;
    const double k = u > 1.4142135623730951;  /* 0 or 1, in arithmetic rather than a select: */
    const double f = u * (1 - 0.5 * k) - 1;    /* exact (halving, and Sterbenz); the loop vectorizes */
    const double s = f / (2 + f), z = s * s, hfsq = 0.5 * f * f;
    const double r = z * (6.666666666666735130e-01 + z * (3.999999999940941908e-01 + z * (2.857142874366239149e-01
                     + z * (2.222219843214978396e-01 + z * (1.818357216161805012e-01 + z * (1.531383769920937332e-01
                     + z * 1.479819860511658591e-01))))));
    return k * 6.93147180369123816490e-01 + ((f - (hfsq - s * (hfsq + r))) + (k * 1.90821492927058770002e-10 + c));
}

MINIGRAD_HD float minigrad_log1pf_unit(float e) {
    const float u = 1 + e, c = (e - (u - 1)) / u;
    const float k = u > 1.41421356f;
    const float f = u * (1 - 0.5f * k) - 1;
    const float s = f / (2 + f), z = s * s, hfsq = 0.5f * f * f;
    const float r = z * (0.66666662693f + z * (0.40000972152f + z * (0.28498786688f + z * 0.24279078841f)));
    return k * 6.9313812256e-01f + ((f - (hfsq - s * (hfsq + r))) + (k * 9.0580006145e-06f + c));
}

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

/* 1 / (1 + exp(-v)) from e = exp(-|v|) <= 1, which never overflows: 1 / (1 + e) for v >= 0 and
   e / (1 + e) below, so the negative side keeps its relative precision where 1 - (a number near 1)
   would round to 0 (float32 sigmoid(-20) is 2.06e-9, not 0). NaN stays NaN (v >= 0 is false). */
MINIGRAD_HD real NAME(sigmoid)(real v) {
    const real e = sizeof(real) == sizeof(float) ? (real)minigrad_expf_nonpositive(-fabsf((float)v))
                                                 : (real)minigrad_exp_nonpositive(-fabs((double)v));
    return (v >= 0 ? (real)1 : e) / (1 + e);
}

/* The input gradient from the forward output y: g y (1 - y), as torch's sigmoid_backward. */
MINIGRAD_HD real NAME(sigmoid_gradient)(real g, real y) { return g * ((1 - y) * y); }

/* exp(-a) for a >= 0 (or NaN) in the type's own precision: the vectorizable exp above. */
MINIGRAD_HD real NAME(exp_negative)(real a) {
    return sizeof(real) == sizeof(float) ? (real)minigrad_expf_nonpositive(-(float)a)
                                         : (real)minigrad_exp_nonpositive(-(double)a);
}

/* log(1 + exp(-a)) for a >= 0 (or NaN): the softplus tail, which never overflows. */
MINIGRAD_HD real NAME(log1p_exp_negative)(real a) {
    return sizeof(real) == sizeof(float) ? (real)minigrad_log1pf_unit((float)NAME(exp_negative)(a))
                                         : (real)minigrad_log1p_unit((double)NAME(exp_negative)(a));
}

/* tanh(v) (named apart from CUDA C++'s tanh overloads) = sign(v) (1 - e) / (1 + e), e = exp(-2|v|) <= 1
   (no overflow), for |v| >= 0.625, where 1 - e keeps its digits (e <= 0.29); below, where it would
   cancel, Cephes' fits of tanh: an odd polynomial (float) or rational function (double) of v. Both are computed and one is selected, so
   the loop vectorizes. NaN stays NaN (|NaN| < 0.625 is false, and e is NaN). */
MINIGRAD_HD real NAME(tanh_vectorizable)(real v) {
    const real a = v < 0 ? -v : v, z = v * v;
    const real small = sizeof(real) == sizeof(float)
        ? (real)(((((-5.70498872745e-3f * (float)z + 2.06390887954e-2f) * (float)z - 5.37397155531e-2f) * (float)z
                    + 1.33314422036e-1f) * (float)z - 3.33332819422e-1f) * (float)z * (float)v + (float)v)
        : (real)((double)v + (double)v * (double)z
                 * (((-9.64399179425052238628e-1 * z - 9.92877231001918586564e1) * z - 1.61468768441708447952e3)
                    / (((z + 1.12811678491632931402e2) * z + 2.23548839060100448583e3) * z
                       + 4.84406305325125486048e3)));
    const real e = NAME(exp_negative)(2 * a), large = (1 - e) / (1 + e);
    /* z = 0 (v = +-0 or tiny): v itself, keeping -0's sign, which the fits' sum would drop */
    return a < (real)0.625 ? (z == 0 ? v : small) : (v < 0 ? -large : large);
}

/* The input gradient from the forward output y: g (1 - y^2), as torch's tanh_backward. */
MINIGRAD_HD real NAME(tanh_gradient)(real g, real y) { return g * (1 - y * y); }

/* log(1 + exp(beta v)) / beta, and v itself where beta v > threshold (as torch), in the stable form
   max(beta v, 0) + log(1 + exp(-|beta v|)): softplus(-1000) is 0 and softplus(1000) is 1000 with
   any threshold. NaN stays NaN; beta = 0 gives torch's log(2) / 0 = inf. */
MINIGRAD_HD real NAME(softplus)(real v, real beta, real threshold) {
    const real bx = v * beta;
    return bx > threshold ? v : ((bx > 0 ? bx : (real)0) + NAME(log1p_exp_negative)(bx < 0 ? -bx : bx)) / beta;
}

/* g sigmoid(beta v), and g where beta v > threshold (as torch). */
MINIGRAD_HD real NAME(softplus_gradient)(real g, real v, real beta, real threshold) {
    const real bx = v * beta;
    return bx > threshold ? g : g * NAME(sigmoid)(bx);
}

/* log(sigmoid(v)) = min(v, 0) - log(1 + exp(-|v|)): logsigmoid(-1000) is -1000, not log(0). NaN stays
   NaN (through the log term; the select gives 0 for it). */
MINIGRAD_HD real NAME(logsigmoid)(real v) {
    return (v < 0 ? v : (real)0) - NAME(log1p_exp_negative)(v < 0 ? -v : v);
}

/* The input gradient from the input v: g sigmoid(-v), as torch's log_sigmoid_backward. */
MINIGRAD_HD real NAME(logsigmoid_gradient)(real g, real v) { return g * NAME(sigmoid)(-v); }
#endif
