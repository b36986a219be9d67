/* The pointwise part of one LSTM or GRU step per element, for recurrent.pyx and recurrent.cu, in the
   arrays' dtype: float32 in float (activation.h's float sigmoid and tanh), float64 in double (this
   file's own sigmoid and tanh). The gate pre-activations arrive as the input projection's part plus the recurrent
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

#define MINIGRAD_REAL_FUNCTIONS "recurrent.h"
#include "reals.h"
#endif
#else
/* The gates' nonlinearities in the type's precision (float: within 2 ulps). The float ones fill twice
   the vector lanes, without the double exp's division or the conversions: the benchmark LSTM's 64
   forward cells of 32 x 256 took 2.6-3.5 ms against 5.8-14 in double, its backward cells 1.4 against
   6.7 (loaded 2-core host). */
MINIGRAD_HD real NAME(gate_sigmoid)(real v) {
    return sizeof(real) == sizeof(float) ? NAME(sigmoid)(v) : (real)recurrent_sigmoid((double)v);
}

MINIGRAD_HD real NAME(gate_tanh)(real v) {
    return sizeof(real) == sizeof(float) ? NAME(tanh_vectorizable)(v) : (real)recurrent_tanh((double)v);
}

/* One LSTM element: pre-activations p* -> activated gates, the new cell c and h = o tanh(c). */
MINIGRAD_HD void NAME(lstm_forward)(real pi, real pf, real pg, real po, real c_prev, real* i, real* f,
                                    real* g, real* o, real* c, real* h) {
    *i = NAME(gate_sigmoid)(pi);
    *f = NAME(gate_sigmoid)(pf);
    *g = NAME(gate_tanh)(pg);
    *o = NAME(gate_sigmoid)(po);
    *c = *f * c_prev + *i * *g;
    *h = *o * NAME(gate_tanh)(*c);
}

/* Its backward: from the gradients gh (of h) and gc (of c, from the next step) to the gradients of
   the four pre-activations and of c_prev. */
MINIGRAD_HD void NAME(lstm_backward)(real i, real f, real g, real o, real c_prev, real c, real gh, real gc,
                                     real* gi, real* gf, real* gg, real* go, real* gc_prev) {
    const real tc = NAME(gate_tanh)(c);
    const real gc_total = gc + gh * o * (1 - tc * tc);
    *gi = gc_total * g * i * (1 - i);
    *gf = gc_total * c_prev * f * (1 - f);
    *gg = gc_total * i * (1 - g * g);
    *go = gh * tc * o * (1 - o);
    *gc_prev = gc_total * f;
}

/* One GRU element: input-projection parts x*, recurrent parts h* (each with its bias) -> r, z, n, h. */
MINIGRAD_HD void NAME(gru_forward)(real xr, real xz, real xn, real hr, real hz, real hn, real h_prev,
                                   real* r, real* z, real* n, real* h) {
    *r = NAME(gate_sigmoid)(xr + hr);
    *z = NAME(gate_sigmoid)(xz + hz);
    *n = NAME(gate_tanh)(xn + *r * hn);
    *h = (1 - *z) * *n + *z * h_prev;
}

/* Its backward from gh: the gradients of r's and z's pre-activations (shared by both projections),
   of x_n and of h_n (the recurrent part of n, which r scales), and h_prev's direct share z gh. */
MINIGRAD_HD void NAME(gru_backward)(real r, real z, real n, real hn, real h_prev, real gh, real* gr,
                                    real* gz, real* gxn, real* ghn, real* gh_prev) {
    const real gn = gh * (1 - z) * (1 - n * n);
    *gxn = gn;
    *ghn = gn * r;
    *gr = gn * hn * r * (1 - r);
    *gz = gh * (h_prev - n) * z * (1 - z);
    *gh_prev = gh * z;
}

#ifndef MINIGRAD_DEVICE_COMPILER
/* One row of H elements: pointers to the row's start in each array (gates rows of 4H, GRU input rows
   of 3H). gc_prev may be gc (each element is read before it is written): not restrict. */
static inline void NAME(lstm_forward_row)(const real* restrict x_gates, const real* restrict h_gates,
                                          const real* restrict c_prev, real* restrict gates, real* restrict h,
                                          real* restrict c, long long H) {
    for (long long k = 0; k < H; k++) {
        real i, f, g, o, c_new, h_new;  /* locals: stores read back would stop the vectorizer */
        NAME(lstm_forward)(x_gates[k] + h_gates[k], x_gates[H + k] + h_gates[H + k],
                           x_gates[2 * H + k] + h_gates[2 * H + k], x_gates[3 * H + k] + h_gates[3 * H + k], c_prev[k],
                           &i, &f, &g, &o, &c_new, &h_new);
        gates[k] = i; gates[H + k] = f; gates[2 * H + k] = g; gates[3 * H + k] = o;
        c[k] = c_new; h[k] = h_new;
    }
}

static inline void NAME(lstm_backward_row)(const real* restrict gates, const real* restrict c_prev,
                                           const real* restrict c, const real* restrict gh, const real* gc,
                                           real* restrict gates_grad, real* gc_prev, long long H) {
    for (long long k = 0; k < H; k++) {
        real gi, gf, gg, go, gcp;
        NAME(lstm_backward)(gates[k], gates[H + k], gates[2 * H + k], gates[3 * H + k], c_prev[k], c[k], gh[k], gc[k],
                            &gi, &gf, &gg, &go, &gcp);
        gates_grad[k] = gi; gates_grad[H + k] = gf; gates_grad[2 * H + k] = gg; gates_grad[3 * H + k] = go;
        gc_prev[k] = gcp;
    }
}

static inline void NAME(gru_forward_row)(const real* restrict x_gates, const real* restrict h_gates,
                                         const real* restrict h_prev, real* restrict gates, real* restrict h,
                                         long long H) {
    for (long long k = 0; k < H; k++) {
        real r, z, n, h_new;
        NAME(gru_forward)(x_gates[k], x_gates[H + k], x_gates[2 * H + k], h_gates[k], h_gates[H + k],
                          h_gates[2 * H + k], h_prev[k], &r, &z, &n, &h_new);
        gates[k] = r; gates[H + k] = z; gates[2 * H + k] = n; gates[3 * H + k] = h_gates[2 * H + k];
        h[k] = h_new;
    }
}

static inline void NAME(gru_backward_row)(const real* restrict gates, const real* restrict h_prev,
                                          const real* restrict gh, real* restrict x_gates_grad,
                                          real* restrict h_gates_grad, real* restrict gh_prev, long long H) {
    for (long long k = 0; k < H; k++) {
        real gr, gz, gxn, ghn, ghp;
        NAME(gru_backward)(gates[k], gates[H + k], gates[2 * H + k], gates[3 * H + k], h_prev[k], gh[k], &gr, &gz,
                           &gxn, &ghn, &ghp);
        x_gates_grad[k] = gr; x_gates_grad[H + k] = gz; x_gates_grad[2 * H + k] = gxn;
        h_gates_grad[k] = gr; h_gates_grad[H + k] = gz; h_gates_grad[2 * H + k] = ghn;
        gh_prev[k] = ghp;
    }
}
#endif
#endif
