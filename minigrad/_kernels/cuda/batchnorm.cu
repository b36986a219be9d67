// BatchNorm over axis 1 of x viewed as (N, C, S). The same two passes as the CPU loops:
//   channel_sums:    s1[c] = sum a,  s2[c] = sum a * (x - m[c])      (double accumulators)
//   channel_affine:  out = k1[c] * g + k2[c] * x + k3[c]             (in double; g optional)
// plus small per-channel kernels for the statistics and coefficients. channel_sums is launched with
// blockDim (32, 8) when S == 1 (threads along channels: coalesced rows) and (1, 256) otherwise
// (threads along the spatial run of one channel).
#include "common.cuh"
#include "batchnorm.h"

template <typename T>
__device__ void channel_sums(const T* a, const T* x, const double* m, double* s1, double* s2,
                             long long N, long long C, long long S) {
    extern __shared__ double shared[];  // 2 * blockDim.x * blockDim.y
    const long long c = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    const int lanes = blockDim.x * blockDim.y, lane = threadIdx.y * blockDim.x + threadIdx.x;
    double t1 = 0, t2 = 0;
    if (c < C) {
        const double mc = m[c];
        for (long long j = threadIdx.y; j < N * S; j += blockDim.y) {
            long long n = j / S, s = j - n * S, idx = (n * C + c) * S + s;
            double av = (double)a[idx];
            t1 += av;
            t2 += av * ((double)x[idx] - mc);
        }
    }
    shared[lane] = t1;
    shared[lanes + lane] = t2;
    __syncthreads();
    for (int stride = blockDim.y / 2; stride > 0; stride /= 2) {
        if (threadIdx.y < stride) {
            shared[lane] += shared[lane + stride * blockDim.x];
            shared[lanes + lane] += shared[lanes + lane + stride * blockDim.x];
        }
        __syncthreads();
    }
    if (threadIdx.y == 0 && c < C) {
        s1[c] = shared[threadIdx.x];
        s2[c] = shared[lanes + threadIdx.x];
    }
}

template <typename T>
__device__ void channel_affine(const T* g, const T* x, T* out, const double* k1, const double* k2,
                               const double* k3, flag has_g, long long total, long long C, long long S) {
    MINIGRAD_GRID_STRIDE(i, total) {
        long long c = (i / S) % C;
        double v = k2[c] * (double)x[i] + k3[c];
        out[i] = (T)(has_g ? k1[c] * (double)g[i] + v : v);
    }
}

// The per-channel coefficient kernels: batchnorm.h's formulas, one thread per channel.
template <typename T>
__device__ void train_coefficients(const double* s1, const double* s2, const double* shift, long long count,
                                   double eps, double momentum, const T* weight, flag has_weight, const T* bias,
                                   flag has_bias, T* running_mean, T* running_var, flag has_running_mean,
                                   double* mean, double* invstd, double* k2, double* k3, long long C) {
    MINIGRAD_GRID_STRIDE(c, C) {
        const double var = batch_norm_train_channel(s1[c], s2[c], shift[c], count, eps,
                                                    has_weight ? (double)weight[c] : 1.0,
                                                    has_bias ? (double)bias[c] : 0.0, &mean[c], &invstd[c], &k2[c],
                                                    &k3[c]);
        if (has_running_mean) {
            running_mean[c] = (T)batch_norm_running((double)running_mean[c], mean[c], momentum);
            running_var[c] = (T)batch_norm_running((double)running_var[c], batch_norm_unbiased(var, count), momentum);
        }
    }
}

template <typename T>
__device__ void eval_coefficients(const T* running_mean, const T* running_var, const T* weight,
                                  flag has_weight, const T* bias, flag has_bias, double eps, double* k2,
                                  double* k3, long long C) {
    MINIGRAD_GRID_STRIDE(c, C) {
        batch_norm_eval_channel((double)running_mean[c], (double)running_var[c], has_weight ? (double)weight[c] : 1.0,
                                has_bias ? (double)bias[c] : 0.0, eps, &k2[c], &k3[c]);
    }
}

template <typename T>
__device__ void backward_coefficients(const double* s1, const double* s2, const double* mean,
                                      const double* invstd, const T* weight, flag has_weight, long long count,
                                      flag training, double* k1, double* k2, double* k3, T* gweight, T* gbias,
                                      long long C) {
    MINIGRAD_GRID_STRIDE(c, C) {
        batch_norm_backward_channel(s1[c], s2[c], mean[c], invstd[c], has_weight ? (double)weight[c] : 1.0, count,
                                    training, &k1[c], &k2[c], &k3[c]);
        gweight[c] = (T)(s2[c] * invstd[c]);
        gbias[c] = (T)s1[c];
    }
}

#define INSTANTIATE(T)                                                                                 \
    extern "C" __global__ void channel_sums_##T(const T* a, const T* x, const double* m, double* s1,   \
                                                double* s2, long long N, long long C, long long S) {   \
        channel_sums<T>(a, x, m, s1, s2, N, C, S);                                                     \
    }                                                                                                  \
    extern "C" __global__ void channel_affine_##T(const T* g, const T* x, T* out, const double* k1,    \
                                                  const double* k2, const double* k3, flag has_g,      \
                                                  long long total, long long C, long long S) {         \
        channel_affine<T>(g, x, out, k1, k2, k3, has_g, total, C, S);                                  \
    }                                                                                                  \
    extern "C" __global__ void train_coefficients_##T(                                                 \
        const double* s1, const double* s2, const double* shift, long long count, double eps,          \
        double momentum, const T* weight, flag has_weight, const T* bias, flag has_bias, T* running_mean, \
        T* running_var, flag has_running_mean, double* mean, double* invstd, double* k2, double* k3,   \
        long long C) {                                                                                 \
        train_coefficients<T>(s1, s2, shift, count, eps, momentum, weight, has_weight, bias, has_bias, \
                              running_mean, running_var, has_running_mean, mean, invstd, k2, k3, C);   \
    }                                                                                                  \
    extern "C" __global__ void eval_coefficients_##T(const T* running_mean, const T* running_var,      \
                                                     const T* weight, flag has_weight, const T* bias,  \
                                                     flag has_bias, double eps, double* k2, double* k3, \
                                                     long long C) {                                    \
        eval_coefficients<T>(running_mean, running_var, weight, has_weight, bias, has_bias, eps, k2, k3, C); \
    }                                                                                                  \
    extern "C" __global__ void backward_coefficients_##T(                                              \
        const double* s1, const double* s2, const double* mean, const double* invstd, const T* weight, \
        flag has_weight, long long count, flag training, double* k1, double* k2, double* k3, T* gweight, \
        T* gbias, long long C) {                                                                       \
        backward_coefficients<T>(s1, s2, mean, invstd, weight, has_weight, count, training, k1, k2, k3, \
                                 gweight, gbias, C);                                                   \
    }
INSTANTIATE(float)
INSTANTIATE(double)
