/* BatchNorm's per-channel coefficients, for batchnorm.pyx and batchnorm.cu, in double for both dtypes.
   The passes over x compute out = k1 * g + k2 * x + k3 per channel, the mean folded into k3; these
   functions turn a channel's sums s1 = sum a, s2 = sum a * (x - m) into those coefficients. An absent
   weight is passed as 1, an absent bias as 0. */
#ifndef MINIGRAD_BATCHNORM_H
#define MINIGRAD_BATCHNORM_H
#include "device.h"

/* Training: the batch mean, invstd = 1 / sqrt(var + eps) and k2 = w * invstd, k3 = b - k2 * mean from
   the sums of data shifted by `shift` (no E[x^2] - E[x]^2 cancellation). Returns the biased variance
   (for the running statistics); NaN and Inf in the sums propagate. */
MINIGRAD_HD double batch_norm_train_channel(double s1, double s2, double shift, long long count, double eps, double w,
                                            double b, double* mean, double* invstd, double* k2, double* k3) {
    const double d = s1 / count - shift;  /* the mean of the shifted data */
    double var = (s2 - shift * (s1 - count * shift)) / count - d * d;
    var = var < 0 ? 0 : var;  /* rounding can make it slightly negative; NaN stays NaN */
    *mean = shift + d;
    *invstd = 1 / sqrt(var + eps);
    *k2 = *invstd * w;
    *k3 = b - *k2 * *mean;
    return var;
}

/* The running statistic after a batch: (1 - momentum) * running + momentum * stat. */
MINIGRAD_HD double batch_norm_running(double running, double stat, double momentum) {
    return (1 - momentum) * running + momentum * stat;
}

/* The unbiased variance that the running variance tracks. */
MINIGRAD_HD double batch_norm_unbiased(double var, long long count) { return var * count / (count - 1.0); }

/* Eval: k2 = w / sqrt(running_var + eps), k3 = b - k2 * running_mean. */
MINIGRAD_HD void batch_norm_eval_channel(double running_mean, double running_var, double w, double b, double eps,
                                         double* k2, double* k3) {
    *k2 = w / sqrt(running_var + eps);
    *k3 = b - *k2 * running_mean;
}

/* Backward: dx = k1 * dy + k2 * x + k3 with k1 = w * invstd and, in training, the terms from the batch
   statistics: k2 = -w * invstd^3 * s2 / M, k3 = -w * invstd * s1 / M - k2 * mean. The weight and bias
   gradients are s2 * invstd (sum dy * x_hat) and s1 (sum dy). */
MINIGRAD_HD void batch_norm_backward_channel(double s1, double s2, double mean, double invstd, double w, long long count,
                                             int training, double* k1, double* k2, double* k3) {
    *k1 = w * invstd;
    *k2 = training ? -*k1 * invstd * invstd * s2 / count : 0.0;
    *k3 = (training ? -*k1 * s1 / count : 0.0) - *k2 * mean;
}
#endif
