// Pooling over (P = N * C, H, W) planes, the GPU side of pool.pyx (same windows and results).
// Forward kernels: one thread per output. Average-pool backward kernels gather (one thread per
// input entry, over the windows that hold it): no atomics. Max-pool backward scatters each output
// gradient to its argmax with atomicAdd (the order of additions varies only where windows overlap).
#include "common.cuh"
#include "pool.h"

#define POOL_PARAMS                                                                                 \
    long long P, long long H, long long W, long long OH, long long OW, long long KH, long long KW,  \
        long long SH, long long SW, long long PH, long long PW
#define POOL_ARGS P, H, W, OH, OW, KH, KW, SH, SW, PH, PW
// the extern "C" kernels' window parameters are named as the loop's (cuda_launch.py binds them by name)
#define WINDOW_PARAMS                                                                                         \
    long long P, long long H, long long W, long long OH, long long OW, long long kernel_h, long long kernel_w, \
        long long stride_h, long long stride_w, long long pad_h, long long pad_w
#define WINDOW_ARGS P, H, W, OH, OW, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w

template <typename T>
__device__ void max_pool2d_forward(const T* x, T* y, long long* indices, POOL_PARAMS) {
    MINIGRAD_GRID_STRIDE(i, P * OH * OW) {
        const long long ow = i % OW, oh = (i / OW) % OH, p = i / (OW * OH);
        const long long h0 = pool_clip(oh * SH - PH, 0, H), h1 = pool_clip(oh * SH - PH + KH, 0, H);
        const long long w0 = pool_clip(ow * SW - PW, 0, W), w1 = pool_clip(ow * SW - PW + KW, 0, W);
        const T* plane = x + p * H * W;
        long long best_index = h0 * W + w0;  // windows are never empty (padding <= half a window)
        T best = plane[best_index];
        for (long long h = h0; h < h1; ++h)
            for (long long w = w0; w < w1; ++w) {
                const T value = plane[h * W + w];
                if (value > best || value != value) {  // NaN wins, as torch
                    best = value;
                    best_index = h * W + w;
                }
            }
        y[i] = best;
        indices[i] = best_index;
    }
}

template <typename T>
__device__ void max_pool2d_backward(const T* gy, const long long* indices, T* gx, long long P, long long H,
                                    long long W, long long OH, long long OW) {
    MINIGRAD_GRID_STRIDE(i, P * OH * OW) {
        atomicAdd(gx + (i / (OH * OW)) * H * W + indices[i], gy[i]);
    }
}

template <typename T>
__device__ void avg_pool2d_forward(const T* x, T* y, POOL_PARAMS, flag count_include_pad) {
    MINIGRAD_GRID_STRIDE(i, P * OH * OW) {
        const long long ow = i % OW, oh = (i / OW) % OH, p = i / (OW * OH);
        const long long h0 = pool_clip(oh * SH - PH, 0, H), h1 = pool_clip(oh * SH - PH + KH, 0, H);
        const long long w0 = pool_clip(ow * SW - PW, 0, W), w1 = pool_clip(ow * SW - PW + KW, 0, W);
        const T* plane = x + p * H * W;
        double total = 0;
        for (long long h = h0; h < h1; ++h)
            for (long long w = w0; w < w1; ++w) total += plane[h * W + w];
        y[i] = T(total / avg_pool_count(h0, h1, w0, w1, KH, KW, count_include_pad));
    }
}

template <typename T>
__device__ void avg_pool2d_backward(const T* gy, T* gx, POOL_PARAMS, flag count_include_pad) {
    MINIGRAD_GRID_STRIDE(i, P * H * W) {
        const long long w = i % W, h = (i / W) % H, p = i / (W * H);
        // outputs whose window [o * S - PAD, o * S - PAD + K) holds the position
        const long long oh_lo = h + PH < KH ? 0 : (h + PH - KH) / SH + 1, oh_hi = min((h + PH) / SH + 1, OH);
        const long long ow_lo = w + PW < KW ? 0 : (w + PW - KW) / SW + 1, ow_hi = min((w + PW) / SW + 1, OW);
        double total = 0;
        for (long long oh = oh_lo; oh < oh_hi; ++oh) {
            const long long h0 = pool_clip(oh * SH - PH, 0, H), h1 = pool_clip(oh * SH - PH + KH, 0, H);
            for (long long ow = ow_lo; ow < ow_hi; ++ow) {
                const long long w0 = pool_clip(ow * SW - PW, 0, W), w1 = pool_clip(ow * SW - PW + KW, 0, W);
                total += gy[(p * OH + oh) * OW + ow] / double(avg_pool_count(h0, h1, w0, w1, KH, KW, count_include_pad));
            }
        }
        gx[i] = T(total);
    }
}

template <typename T>
__device__ void adaptive_avg_pool2d_forward(const T* x, T* y, long long P, long long H, long long W, long long OH,
                                            long long OW) {
    MINIGRAD_GRID_STRIDE(i, P * OH * OW) {
        const long long ow = i % OW, oh = (i / OW) % OH, p = i / (OW * OH);
        const long long h0 = adaptive_window_start(oh, H, OH), h1 = adaptive_window_stop(oh, H, OH);
        const long long w0 = adaptive_window_start(ow, W, OW), w1 = adaptive_window_stop(ow, W, OW);
        const T* plane = x + p * H * W;
        double total = 0;
        for (long long h = h0; h < h1; ++h)
            for (long long w = w0; w < w1; ++w) total += plane[h * W + w];
        y[i] = T(total / double((h1 - h0) * (w1 - w0)));
    }
}

template <typename T>
__device__ void adaptive_avg_pool2d_backward(const T* gy, T* gx, long long P, long long H, long long W, long long OH,
                                             long long OW) {
    MINIGRAD_GRID_STRIDE(i, P * H * W) {
        const long long w = i % W, h = (i / W) % H, p = i / (W * H);
        double total = 0;
        // the first window that can hold h is floor(h * OH / H); windows after it start later
        for (long long oh = h * OH / H; oh < OH && adaptive_window_start(oh, H, OH) <= h; ++oh) {
            const long long h0 = adaptive_window_start(oh, H, OH), h1 = adaptive_window_stop(oh, H, OH);
            if (h >= h1) continue;
            for (long long ow = w * OW / W; ow < OW && adaptive_window_start(ow, W, OW) <= w; ++ow) {
                const long long w0 = adaptive_window_start(ow, W, OW), w1 = adaptive_window_stop(ow, W, OW);
                if (w >= w1) continue;
                total += gy[(p * OH + oh) * OW + ow] / double((h1 - h0) * (w1 - w0));
            }
        }
        gx[i] = T(total);
    }
}

#define INSTANTIATE(T)                                                                              \
    extern "C" __global__ void max_pool2d_forward_##T(const T* x, T* y, long long* indices, WINDOW_PARAMS) { \
        max_pool2d_forward<T>(x, y, indices, WINDOW_ARGS);                                          \
    }                                                                                               \
    extern "C" __global__ void max_pool2d_backward_##T(const T* gy, const long long* indices, T* gx, \
                                                       long long P, long long H, long long W, long long OH, \
                                                       long long OW) {                              \
        max_pool2d_backward<T>(gy, indices, gx, P, H, W, OH, OW);                                   \
    }                                                                                               \
    extern "C" __global__ void avg_pool2d_forward_##T(const T* x, T* y, WINDOW_PARAMS, flag count_include_pad) { \
        avg_pool2d_forward<T>(x, y, WINDOW_ARGS, count_include_pad);                                \
    }                                                                                               \
    extern "C" __global__ void avg_pool2d_backward_##T(const T* gy, T* gx, WINDOW_PARAMS,           \
                                                       flag count_include_pad) {                    \
        avg_pool2d_backward<T>(gy, gx, WINDOW_ARGS, count_include_pad);                             \
    }                                                                                               \
    extern "C" __global__ void adaptive_avg_pool2d_forward_##T(const T* x, T* y, long long P, long long H, \
                                                               long long W, long long OH, long long OW) { \
        adaptive_avg_pool2d_forward<T>(x, y, P, H, W, OH, OW);                                      \
    }                                                                                               \
    extern "C" __global__ void adaptive_avg_pool2d_backward_##T(const T* gy, T* gx, long long P, long long H, \
                                                                long long W, long long OH, long long OW) { \
        adaptive_avg_pool2d_backward<T>(gy, gx, P, H, W, OH, OW);                                   \
    }
INSTANTIATE(float)
INSTANTIATE(double)
