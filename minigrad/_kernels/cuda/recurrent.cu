// One step of an LSTM or GRU direction, pointwise part: one thread per element of the (B, H) state;
// the math is recurrent.h's (in double for both dtypes), as the CPU loops. Rows are B, gate blocks
// of H within a row of 4H (LSTM i, f, g, o; GRU's saved r, z, n, h_n) or 3H (GRU r, z, n).
#include "common.cuh"
#include "recurrent.h"

#define INSTANTIATE(T)                                                                                           \
    extern "C" __global__ void lstm_cell_forward_##T(const T* x_gates, const T* h_gates, const T* c_prev,        \
                                                     T* gates, T* h, T* c, long long n, long long H) {           \
        MINIGRAD_GRID_STRIDE(e, n) {                                                                             \
            const long long k = e % H, at = (e / H) * 4 * H + k;                                                 \
            double i, f, g, o, c_new, h_new;                                                                     \
            lstm_forward((double)x_gates[at] + h_gates[at], (double)x_gates[at + H] + h_gates[at + H],           \
                         (double)x_gates[at + 2 * H] + h_gates[at + 2 * H],                                      \
                         (double)x_gates[at + 3 * H] + h_gates[at + 3 * H], c_prev[e], &i, &f, &g, &o, &c_new,   \
                         &h_new);                                                                                \
            gates[at] = (T)i; gates[at + H] = (T)f; gates[at + 2 * H] = (T)g; gates[at + 3 * H] = (T)o;          \
            c[e] = (T)c_new; h[e] = (T)h_new;                                                                    \
        }                                                                                                        \
    }                                                                                                            \
    extern "C" __global__ void lstm_cell_backward_##T(const T* gates, const T* c_prev, const T* c, const T* gh,  \
                                                      const T* gc, T* gates_grad, T* gc_prev, long long n,       \
                                                      long long H) {                                             \
        MINIGRAD_GRID_STRIDE(e, n) {                                                                             \
            const long long k = e % H, at = (e / H) * 4 * H + k;                                                 \
            double gi, gf, gg, go, gcp;                                                                          \
            lstm_backward(gates[at], gates[at + H], gates[at + 2 * H], gates[at + 3 * H], c_prev[e], c[e], gh[e], \
                          gc[e], &gi, &gf, &gg, &go, &gcp);                                                      \
            gates_grad[at] = (T)gi; gates_grad[at + H] = (T)gf;                                                  \
            gates_grad[at + 2 * H] = (T)gg; gates_grad[at + 3 * H] = (T)go;                                      \
            gc_prev[e] = (T)gcp;                                                                                 \
        }                                                                                                        \
    }                                                                                                            \
    extern "C" __global__ void gru_cell_forward_##T(const T* x_gates, const T* h_gates, const T* h_prev,         \
                                                    T* gates, T* h, long long n, long long H) {                  \
        MINIGRAD_GRID_STRIDE(e, n) {                                                                             \
            const long long k = e % H, row = e / H, at3 = row * 3 * H + k, at4 = row * 4 * H + k;                \
            double r, z, m, h_new;                                                                               \
            gru_forward(x_gates[at3], x_gates[at3 + H], x_gates[at3 + 2 * H], h_gates[at3], h_gates[at3 + H],    \
                        h_gates[at3 + 2 * H], h_prev[e], &r, &z, &m, &h_new);                                    \
            gates[at4] = (T)r; gates[at4 + H] = (T)z; gates[at4 + 2 * H] = (T)m;                                 \
            gates[at4 + 3 * H] = h_gates[at3 + 2 * H];                                                           \
            h[e] = (T)h_new;                                                                                     \
        }                                                                                                        \
    }                                                                                                            \
    extern "C" __global__ void gru_cell_backward_##T(const T* gates, const T* h_prev, const T* gh,               \
                                                     T* x_gates_grad, T* h_gates_grad, T* gh_prev, long long n,  \
                                                     long long H) {                                              \
        MINIGRAD_GRID_STRIDE(e, n) {                                                                             \
            const long long k = e % H, row = e / H, at3 = row * 3 * H + k, at4 = row * 4 * H + k;                \
            double gr, gz, gxn, ghn, ghp;                                                                        \
            gru_backward(gates[at4], gates[at4 + H], gates[at4 + 2 * H], gates[at4 + 3 * H], h_prev[e], gh[e],   \
                         &gr, &gz, &gxn, &ghn, &ghp);                                                            \
            x_gates_grad[at3] = (T)gr; x_gates_grad[at3 + H] = (T)gz; x_gates_grad[at3 + 2 * H] = (T)gxn;        \
            h_gates_grad[at3] = (T)gr; h_gates_grad[at3 + H] = (T)gz; h_gates_grad[at3 + 2 * H] = (T)ghn;        \
            gh_prev[e] = (T)ghp;                                                                                 \
        }                                                                                                        \
    }
INSTANTIATE(float)
INSTANTIATE(double)
