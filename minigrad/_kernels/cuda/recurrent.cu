// One step of an LSTM or GRU direction, pointwise part: one thread per element of the (B, H) state;
// the math is recurrent.h's (in the dtype's precision), as the CPU loops. Rows are B, gate blocks
// of H within a row of 4H (LSTM i, f, g, o; GRU's saved r, z, n, h_n) or 3H (GRU r, z, n).
#include "common.cuh"
#include "recurrent.h"

#define INSTANTIATE(T)                                                                                           \
    extern "C" __global__ void lstm_cell_forward_##T(const T* x_gates, const T* h_gates, const T* c_prev,        \
                                                     T* gates, T* h, T* c, long long n, long long H) {           \
        MINIGRAD_GRID_STRIDE(e, n) {                                                                             \
            const long long k = e % H, at = (e / H) * 4 * H + k;                                                 \
            lstm_forward(x_gates[at] + h_gates[at], x_gates[at + H] + h_gates[at + H],                           \
                         x_gates[at + 2 * H] + h_gates[at + 2 * H], x_gates[at + 3 * H] + h_gates[at + 3 * H],   \
                         c_prev[e], &gates[at], &gates[at + H], &gates[at + 2 * H], &gates[at + 3 * H], &c[e],   \
                         &h[e]);                                                                                 \
        }                                                                                                        \
    }                                                                                                            \
    extern "C" __global__ void lstm_cell_backward_##T(const T* gates, const T* c_prev, const T* c, const T* gh,  \
                                                      const T* gc, T* gates_grad, T* gc_prev, long long n,       \
                                                      long long H) {                                             \
        MINIGRAD_GRID_STRIDE(e, n) {                                                                             \
            const long long k = e % H, at = (e / H) * 4 * H + k;                                                 \
            lstm_backward(gates[at], gates[at + H], gates[at + 2 * H], gates[at + 3 * H], c_prev[e], c[e], gh[e], \
                          gc[e], &gates_grad[at], &gates_grad[at + H], &gates_grad[at + 2 * H],                  \
                          &gates_grad[at + 3 * H], &gc_prev[e]);                                                 \
        }                                                                                                        \
    }                                                                                                            \
    extern "C" __global__ void gru_cell_forward_##T(const T* x_gates, const T* h_gates, const T* h_prev,         \
                                                    T* gates, T* h, long long n, long long H) {                  \
        MINIGRAD_GRID_STRIDE(e, n) {                                                                             \
            const long long k = e % H, row = e / H, at3 = row * 3 * H + k, at4 = row * 4 * H + k;                \
            gru_forward(x_gates[at3], x_gates[at3 + H], x_gates[at3 + 2 * H], h_gates[at3], h_gates[at3 + H],    \
                        h_gates[at3 + 2 * H], h_prev[e], &gates[at4], &gates[at4 + H], &gates[at4 + 2 * H],      \
                        &h[e]);                                                                                  \
            gates[at4 + 3 * H] = h_gates[at3 + 2 * H];                                                           \
        }                                                                                                        \
    }                                                                                                            \
    extern "C" __global__ void gru_cell_backward_##T(const T* gates, const T* h_prev, const T* gh,               \
                                                     T* x_gates_grad, T* h_gates_grad, T* gh_prev, long long n,  \
                                                     long long H) {                                              \
        MINIGRAD_GRID_STRIDE(e, n) {                                                                             \
            const long long k = e % H, row = e / H, at3 = row * 3 * H + k, at4 = row * 4 * H + k;                \
            T gr, gz;                                                                                            \
            gru_backward(gates[at4], gates[at4 + H], gates[at4 + 2 * H], gates[at4 + 3 * H], h_prev[e], gh[e],   \
                         &gr, &gz, &x_gates_grad[at3 + 2 * H], &h_gates_grad[at3 + 2 * H], &gh_prev[e]);         \
            x_gates_grad[at3] = h_gates_grad[at3] = gr;                                                          \
            x_gates_grad[at3 + H] = h_gates_grad[at3 + H] = gz;                                                  \
        }                                                                                                        \
    }
INSTANTIATE(float)
INSTANTIATE(double)
