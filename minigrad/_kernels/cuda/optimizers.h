/* The optimizers' per-element updates, for optimizers.pyx / sgd.pyx and optimizers.cu / sgd.cu, in
   PyTorch's order of operations (so float64 results agree with torch's to rounding). A step's
   coefficients are doubles in a constants struct, made once per call by *_constants(); the update
   rounds each to the array's dtype and does its arithmetic in that dtype. An update returns the new
   parameter value and writes the state entries it is given pointers to. Each is a single pass of
   selects without loops, so the CPU loops calling it vectorize. */
#ifndef real
#ifndef MINIGRAD_OPTIMIZERS_H
#define MINIGRAD_OPTIMIZERS_H
#include "device.h"

typedef struct { double lr, momentum, keep, weight_decay; int nesterov, maximize, first_step; } sgd_constants;
typedef struct {
    double weight_decay, decay, m_weight, beta2, v_weight, eps, step_size, bias_correction2_sqrt;
    int maximize, has_decay, decoupled;
} adam_constants;
typedef struct { double lr, alpha, weight, eps, weight_decay, momentum; int maximize, has_decay; } rmsprop_constants;
typedef struct { double clr, eps, weight_decay; int maximize; } adagrad_constants;
typedef struct { double lr, rho, weight, eps, weight_decay; int maximize; } adadelta_constants;
typedef struct { double weight_decay, m_weight, beta2, eps, neg_clr; int maximize; } adamax_constants;
/* the moment updates NAdam and RAdam share (Adam's, before its denominator) */
typedef struct {
    double weight_decay, decay, m_weight, beta2, v_weight;
    int maximize, has_decay, decoupled;
} moment_constants;
typedef struct {
    moment_constants moments;
    double eps, bias_correction2, grad_coefficient, exp_avg_coefficient;
} nadam_constants;
typedef struct {
    moment_constants moments;
    double eps, bias_correction1, lr, bias_correction2_sqrt, rect;
    int rectified;
} radam_constants;
typedef struct { double weight_decay, decay, neg_eta, mu; int maximize, average; } asgd_constants;

MINIGRAD_HD sgd_constants sgd_make_constants(double lr, double momentum, double dampening, double weight_decay,
                                             int nesterov, int maximize, int first_step) {
    sgd_constants c = {lr, momentum, 1 - dampening, weight_decay, nesterov, maximize, first_step};
    return c;
}

/* step_size = lr / (1 - beta1^t), bias_correction2_sqrt = sqrt(1 - beta2^t); decoupled: AdamW. */
MINIGRAD_HD adam_constants adam_make_constants(double lr, double beta1, double beta2, double eps, double weight_decay,
                                               double step_size, double bias_correction2_sqrt, int maximize,
                                               int decoupled) {
    adam_constants c = {weight_decay, 1 - lr * weight_decay, 1 - beta1, beta2, 1 - beta2, eps, step_size,
                        bias_correction2_sqrt, maximize, weight_decay != 0, decoupled};
    return c;
}

MINIGRAD_HD rmsprop_constants rmsprop_make_constants(double lr, double alpha, double eps, double weight_decay,
                                                     double momentum, int maximize) {
    rmsprop_constants c = {lr, alpha, 1 - alpha, eps, weight_decay, momentum, maximize, weight_decay != 0};
    return c;
}

/* clr = lr / (1 + (t - 1) * lr_decay), the step's decayed learning rate. */
MINIGRAD_HD adagrad_constants adagrad_make_constants(double clr, double eps, double weight_decay, int maximize) {
    adagrad_constants c = {clr, eps, weight_decay, maximize};
    return c;
}

MINIGRAD_HD adadelta_constants adadelta_make_constants(double lr, double rho, double eps, double weight_decay,
                                                       int maximize) {
    adadelta_constants c = {lr, rho, 1 - rho, eps, weight_decay, maximize};
    return c;
}

/* clr = lr / (1 - beta1^t), the step's bias-corrected learning rate. */
MINIGRAD_HD adamax_constants adamax_make_constants(double clr, double beta1, double beta2, double eps,
                                                   double weight_decay, int maximize) {
    adamax_constants c = {weight_decay, 1 - beta1, beta2, eps, -clr, maximize};
    return c;
}

MINIGRAD_HD moment_constants moment_make_constants(double lr, double beta1, double beta2, double weight_decay,
                                                   int maximize, int decoupled) {
    moment_constants c = {weight_decay, 1 - lr * weight_decay, 1 - beta1, beta2, 1 - beta2, maximize,
                          weight_decay != 0, decoupled};
    return c;
}

/* bias_correction2 = 1 - beta2^t;  mu, mu_next: the momentum schedule's values at steps t and t + 1;
   mu_product: the product of mu over steps 1..t (this step's included); decoupled: decoupled weight decay. */
MINIGRAD_HD nadam_constants nadam_make_constants(double lr, double beta1, double beta2, double eps, double weight_decay,
                                                 double bias_correction2, double mu, double mu_next,
                                                 double mu_product, int maximize, int decoupled) {
    nadam_constants c = {moment_make_constants(lr, beta1, beta2, weight_decay, maximize, decoupled), eps,
                         bias_correction2, -lr * (1.0 - mu) / (1.0 - mu_product),
                         -lr * mu_next / (1.0 - mu_product * mu_next)};
    return c;
}

/* bias_correction1 = 1 - beta1^t, bias_correction2_sqrt = sqrt(1 - beta2^t); rectified: whether the
   variance rectification term rho_t exceeds 5, then rect is the rectification factor r_t. */
MINIGRAD_HD radam_constants radam_make_constants(double lr, double beta1, double beta2, double eps, double weight_decay,
                                                 double bias_correction1, double bias_correction2_sqrt, double rect,
                                                 int rectified, int maximize, int decoupled) {
    radam_constants c = {moment_make_constants(lr, beta1, beta2, weight_decay, maximize, decoupled), eps,
                         bias_correction1, lr, bias_correction2_sqrt, rect, rectified};
    return c;
}

/* eta, mu: the step's learning rate and averaging weight (state kept by the optimizer). */
MINIGRAD_HD asgd_constants asgd_make_constants(double lambd, double eta, double mu, double weight_decay,
                                               int maximize) {
    asgd_constants c = {weight_decay, 1 - lambd * eta, -eta, mu, maximize, mu != 1};
    return c;
}

#define MINIGRAD_REAL_FUNCTIONS "optimizers.h"
#include "reals.h"
#endif
#else

/* torch's lerp: the form that stays exact at the end that weight is closer to */
MINIGRAD_HD real NAME(torch_lerp)(real start, real end, real weight) {
    return weight < (real)0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight);
}

/* torch.maximum: NaN in either argument gives NaN */
MINIGRAD_HD real NAME(nan_max)(real a, real b) { return (a != a) | (a >= b) ? a : b; }

/* d = -g if maximize else g;  d += weight_decay * p;
   buf = d on the first step, else momentum * buf + (1 - dampening) * d  (when momentum != 0);
   d = d + momentum * buf if nesterov else buf;  p -= lr * d */
MINIGRAD_HD real NAME(sgd_update)(real p, real g, real* buf, sgd_constants c) {
    real b, d = c.maximize ? -g : g;
    d = d + (real)c.weight_decay * p;
    if (c.momentum != 0) {
        b = c.first_step ? d : (real)c.momentum * *buf + (real)c.keep * d;
        *buf = b;
        d = c.nesterov ? d + (real)c.momentum * b : b;
    }
    return p - (real)c.lr * d;
}

/* g = -g if maximize;  p *= 1 - lr * wd (AdamW) or g += wd * p (Adam);
   m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2;  with amsgrad v_max = max(v_max, v);
   p -= step_size * m / (sqrt(v or v_max) / bias_correction2_sqrt + eps) */
MINIGRAD_HD real NAME(adam_update)(real p, real g, real* m, real* v, real* v_max, int amsgrad, adam_constants c) {
    real second;
    if (c.maximize) g = -g;
    if (c.has_decay) {
        if (c.decoupled) p = p * (real)c.decay;
        else g = g + (real)c.weight_decay * p;
    }
    *m = NAME(torch_lerp)(*m, g, (real)c.m_weight);
    second = *v * (real)c.beta2 + (real)c.v_weight * g * g;
    *v = second;
    if (amsgrad) {
        second = NAME(nan_max)(*v_max, second);
        *v_max = second;
    }
    return p - (real)c.step_size * (*m / (SQRT(second) / (real)c.bias_correction2_sqrt + (real)c.eps));
}

/* g = -g if maximize;  g += wd * p;  sq = alpha * sq + (1 - alpha) * g^2;
   avg = sqrt(sq - g_avg^2) + eps with g_avg = lerp(g_avg, g, 1 - alpha) if centered, else sqrt(sq) + eps;
   buf = momentum * buf + g / avg and p -= lr * buf with momentum, else p -= lr * g / avg */
MINIGRAD_HD real NAME(rmsprop_update)(real p, real g, real* sq, real* g_avg, real* buf, int centered, int has_momentum,
                                      rmsprop_constants c) {
    real s, avg;
    if (c.maximize) g = -g;
    if (c.has_decay) g = g + (real)c.weight_decay * p;
    s = *sq * (real)c.alpha + (real)c.weight * g * g;
    *sq = s;
    if (centered) {
        *g_avg = NAME(torch_lerp)(*g_avg, g, (real)c.weight);
        avg = SQRT(s - *g_avg * *g_avg) + (real)c.eps;
    } else {
        avg = SQRT(s) + (real)c.eps;
    }
    if (has_momentum) {
        *buf = *buf * (real)c.momentum + g / avg;
        return p - (real)c.lr * *buf;
    }
    return p - (real)c.lr * (g / avg);
}

/* g = -g if maximize;  g += wd * p;  total += g^2;  p -= clr * g / (sqrt(total) + eps) */
MINIGRAD_HD real NAME(adagrad_update)(real p, real g, real* total, adagrad_constants c) {
    real s;
    if (c.maximize) g = -g;
    if (c.weight_decay != 0) g = g + (real)c.weight_decay * p;
    s = *total + g * g;
    *total = s;
    return p - (real)c.clr * (g / (SQRT(s) + (real)c.eps));
}

/* g = -g if maximize;  g += wd * p;  sq = rho * sq + (1 - rho) * g^2;
   delta = sqrt(acc + eps) / sqrt(sq + eps) * g;  acc = rho * acc + (1 - rho) * delta^2;  p -= lr * delta */
MINIGRAD_HD real NAME(adadelta_update)(real p, real g, real* sq, real* acc, adadelta_constants c) {
    real s, delta;
    if (c.maximize) g = -g;
    if (c.weight_decay != 0) g = g + (real)c.weight_decay * p;
    s = *sq * (real)c.rho + (real)c.weight * g * g;
    *sq = s;
    delta = SQRT(*acc + (real)c.eps) / SQRT(s + (real)c.eps) * g;
    *acc = *acc * (real)c.rho + (real)c.weight * delta * delta;
    return p - (real)c.lr * delta;
}

/* g = -g if maximize;  g += wd * p;  m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps);
   p += -clr * m / u */
MINIGRAD_HD real NAME(adamax_update)(real p, real g, real* m, real* u, adamax_constants c) {
    real norm;
    if (c.maximize) g = -g;
    if (c.weight_decay != 0) g = g + (real)c.weight_decay * p;
    *m = NAME(torch_lerp)(*m, g, (real)c.m_weight);
    norm = NAME(nan_max)(*u * (real)c.beta2, (g < 0 ? -g : g) + (real)c.eps);
    *u = norm;
    return p + (real)c.neg_clr * *m / norm;
}

/* g = -g if maximize;  p *= 1 - lr * wd (decoupled) or g += wd * p;
   m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g^2;  returns v (p and g through their pointers) */
MINIGRAD_HD real NAME(moment_update)(real* p, real* g, real* m, real* v, moment_constants c) {
    real second;
    if (c.maximize) *g = -*g;
    if (c.has_decay) {
        if (c.decoupled) *p = *p * (real)c.decay;
        else *g = *g + (real)c.weight_decay * *p;
    }
    *m = NAME(torch_lerp)(*m, *g, (real)c.m_weight);
    second = *v * (real)c.beta2 + (real)c.v_weight * *g * *g;
    *v = second;
    return second;
}

/* moment_update, then denom = sqrt(v / bias_correction2) + eps;
   p += grad_coefficient * g / denom;  p += exp_avg_coefficient * m / denom */
MINIGRAD_HD real NAME(nadam_update)(real p, real g, real* m, real* v, nadam_constants c) {
    real second = NAME(moment_update)(&p, &g, m, v, c.moments), denom;
    denom = SQRT(second / (real)c.bias_correction2) + (real)c.eps;
    p = p + (real)c.grad_coefficient * g / denom;
    return p + (real)c.exp_avg_coefficient * *m / denom;
}

/* moment_update, then
   p -= m / bias_correction1 * lr * (bias_correction2_sqrt / (sqrt(v) + eps)) * rect   (rectified)
   p -= m / bias_correction1 * lr                                                    (otherwise) */
MINIGRAD_HD real NAME(radam_update)(real p, real g, real* m, real* v, radam_constants c) {
    real second = NAME(moment_update)(&p, &g, m, v, c.moments), update;
    update = *m / (real)c.bias_correction1 * (real)c.lr;
    if (c.rectified) update = update * ((real)c.bias_correction2_sqrt / (SQRT(second) + (real)c.eps)) * (real)c.rect;
    return p - update;
}

/* g = -g if maximize;  g += wd * p;  p = p * (1 - lambd * eta) - eta * g;
   ax += (p - ax) * mu, or ax = p when mu == 1 */
MINIGRAD_HD real NAME(asgd_update)(real p, real g, real* ax, asgd_constants c) {
    if (c.maximize) g = -g;
    if (c.weight_decay != 0) g = g + (real)c.weight_decay * p;
    p = p * (real)c.decay;
    p = p + (real)c.neg_eta * g;
    *ax = c.average ? *ax + (p - *ax) * (real)c.mu : p;
    return p;
}
#endif
