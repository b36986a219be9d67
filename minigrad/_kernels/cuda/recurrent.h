/* The pointwise part of one LSTM or GRU step per element, for recurrent.pyx and recurrent.cu; in double
   for both dtypes. The gate pre-activations arrive as the input projection's part plus the recurrent
   projection's part (torch's gate orders: i, f, g, o for the LSTM; r, z, n for the GRU):
     LSTM:  i, f, o = sigmoid(.), g = tanh(.);  c = f c_prev + i g;  h = o tanh(c)
     GRU:   r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z);  n = tanh(x_n + r h_n);  h = (1 - z) n + z h_prev
   The backward functions take the activated gates the forward kept and give the gradients of the
   pre-activations. sigmoid and tanh go through activation.h's exp, which the compiler vectorizes
   (libm's is a call per element). For the CPU loops, the row functions at the end run them over one
   row of each array: restrict pointers tell the compiler that the outputs do not overlap the inputs,
   which it needs to vectorize the row (six times faster than memoryview loops, which may alias). */
#ifndef real
#ifndef MINIGRAD_RECURRENT_H
#define MINIGRAD_RECURRENT_H
#include "activation.h"

/* 1 / (1 + exp(-v)) from e = exp(-|v|) <= 1 (no overflow; NaN stays NaN: v >= 0 is false). */
MINIGRAD_HD double recurrent_sigmoid(double v) {
    const double e = minigrad_exp_nonpositive(-fabs(v));
    return (v >= 0 ? 1.0 : e) / (1 + e);
}

/* tanh(v) = sign(v) (1 - e) / (1 + e), e = exp(-2|v|); below |v| = 0.05, where 1 - e would cancel,
   the odd Taylor series to v^11 (its next term is under 1e-18 of the value). NaN stays NaN. */
MINIGRAD_HD double recurrent_tanh(double v) {
    const double a = fabs(v), e = minigrad_exp_nonpositive(-2 * a);
    const double large = (1 - e) / (1 + e);
    const double s = v * v;
    const double small = a * (1 + s * (-1.0 / 3 + s * (2.0 / 15 + s * (-17.0 / 315 + s * (62.0 / 2835
                                                                                          - s * (1382.0 / 155925))))));
    const double t = a < 0.05 ? small : large;
    return v < 0 ? -t : (v == v ? t : v);
}

/* One LSTM element: pre-activations p* -> activated gates, the new cell c and h = o tanh(c). */
MINIGRAD_HD void lstm_forward(double pi, double pf, double pg, double po, double c_prev, double* i, double* f,
                              double* g, double* o, double* c, double* h) {
    *i = recurrent_sigmoid(pi);
    *f = recurrent_sigmoid(pf);
    *g = recurrent_tanh(pg);
    *o = recurrent_sigmoid(po);
    *c = *f * c_prev + *i * *g;
    *h = *o * recurrent_tanh(*c);
}

/* Its backward: from the gradients gh (of h) and gc (of c, from the next step) to the gradients of
   the four pre-activations and of c_prev. */
MINIGRAD_HD void lstm_backward(double i, double f, double g, double o, double c_prev, double c, double gh, double gc,
                               double* gi, double* gf, double* gg, double* go, double* gc_prev) {
    const double tc = recurrent_tanh(c);
    const double gc_total = gc + gh * o * (1 - tc * tc);
    *gi = gc_total * g * i * (1 - i);
    *gf = gc_total * c_prev * f * (1 - f);
    *gg = gc_total * i * (1 - g * g);
    *go = gh * tc * o * (1 - o);
    *gc_prev = gc_total * f;
}

/* One GRU element: input-projection parts x*, recurrent parts h* (each with its bias) -> r, z, n, h. */
MINIGRAD_HD void gru_forward(double xr, double xz, double xn, double hr, double hz, double hn, double h_prev,
                             double* r, double* z, double* n, double* h) {
    *r = recurrent_sigmoid(xr + hr);
    *z = recurrent_sigmoid(xz + hz);
    *n = recurrent_tanh(xn + *r * hn);
    *h = (1 - *z) * *n + *z * h_prev;
}

/* Its backward from gh: the gradients of r's and z's pre-activations (shared by both projections),
   of x_n and of h_n (the recurrent part of n, which r scales), and h_prev's direct share z gh. */
MINIGRAD_HD void gru_backward(double r, double z, double n, double hn, double h_prev, double gh, double* gr,
                              double* gz, double* gxn, double* ghn, double* gh_prev) {
    const double gn = gh * (1 - z) * (1 - n * n);
    *gxn = gn;
    *ghn = gn * r;
    *gr = gn * hn * r * (1 - r);
    *gz = gh * (h_prev - n) * z * (1 - z);
    *gh_prev = gh * z;
}

#ifndef MINIGRAD_DEVICE_COMPILER
#define MINIGRAD_REAL_FUNCTIONS "recurrent.h"
#include "reals.h"
#endif
#endif
#else
/* One row of H elements: pointers to the row's start in each array (gates rows of 4H, GRU input rows
   of 3H). gc_prev may be gc (each element is read before it is written): not restrict. */
static inline void NAME(lstm_forward_row)(const real* restrict x_gates, const real* restrict h_gates,
                                          const real* restrict c_prev, real* restrict gates, real* restrict h,
                                          real* restrict c, long long H) {
    for (long long k = 0; k < H; k++) {
        double i, f, g, o, c_new, h_new;
        lstm_forward((double)x_gates[k] + h_gates[k], (double)x_gates[H + k] + h_gates[H + k],
                     (double)x_gates[2 * H + k] + h_gates[2 * H + k], (double)x_gates[3 * H + k] + h_gates[3 * H + k],
                     c_prev[k], &i, &f, &g, &o, &c_new, &h_new);
        gates[k] = (real)i; gates[H + k] = (real)f; gates[2 * H + k] = (real)g; gates[3 * H + k] = (real)o;
        c[k] = (real)c_new; h[k] = (real)h_new;
    }
}

static inline void NAME(lstm_backward_row)(const real* restrict gates, const real* restrict c_prev,
                                           const real* restrict c, const real* restrict gh, const real* gc,
                                           real* restrict gates_grad, real* gc_prev, long long H) {
    for (long long k = 0; k < H; k++) {
        double gi, gf, gg, go, gcp;
        lstm_backward(gates[k], gates[H + k], gates[2 * H + k], gates[3 * H + k], c_prev[k], c[k], gh[k], gc[k],
                      &gi, &gf, &gg, &go, &gcp);
        gates_grad[k] = (real)gi; gates_grad[H + k] = (real)gf; gates_grad[2 * H + k] = (real)gg;
        gates_grad[3 * H + k] = (real)go; gc_prev[k] = (real)gcp;
    }
}

static inline void NAME(gru_forward_row)(const real* restrict x_gates, const real* restrict h_gates,
                                         const real* restrict h_prev, real* restrict gates, real* restrict h,
                                         long long H) {
    for (long long k = 0; k < H; k++) {
        double r, z, n, h_new;
        gru_forward(x_gates[k], x_gates[H + k], x_gates[2 * H + k], h_gates[k], h_gates[H + k], h_gates[2 * H + k],
                    h_prev[k], &r, &z, &n, &h_new);
        gates[k] = (real)r; gates[H + k] = (real)z; gates[2 * H + k] = (real)n; gates[3 * H + k] = h_gates[2 * H + k];
        h[k] = (real)h_new;
    }
}

static inline void NAME(gru_backward_row)(const real* restrict gates, const real* restrict h_prev,
                                          const real* restrict gh, real* restrict x_gates_grad,
                                          real* restrict h_gates_grad, real* restrict gh_prev, long long H) {
    for (long long k = 0; k < H; k++) {
        double gr, gz, gxn, ghn, ghp;
        gru_backward(gates[k], gates[H + k], gates[2 * H + k], gates[3 * H + k], h_prev[k], gh[k], &gr, &gz, &gxn,
                     &ghn, &ghp);
        x_gates_grad[k] = (real)gr; x_gates_grad[H + k] = (real)gz; x_gates_grad[2 * H + k] = (real)gxn;
        h_gates_grad[k] = (real)gr; h_gates_grad[H + k] = (real)gz; h_gates_grad[2 * H + k] = (real)ghn;
        gh_prev[k] = (real)ghp;
    }
}
#endif
