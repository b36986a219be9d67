// BatchNorm over axis 1 of x viewed as (N, C, S). The same two passes as the CPU kernels:
//   channel_sums:  s1[c] = sum a,  s2[c] = sum a * (x - m[c])      (double accumulators)
//   affine:        out = k1[c] * g + k2[c] * (x - m[c]) + k3[c]
// plus small per-channel kernels for the statistics and coefficients. channel_sums is launched with
// blockDim (32, 8) when S == 1 (threads along channels: coalesced rows) and (1, 256) otherwise
// (threads along the spatial run of one channel).
#include "common.cuh"

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
__device__ void affine(const T* g, const T* x, T* out, const double* k1, const double* k2,
                       const double* m, const double* k3, long long total, long long C, long long S) {
    MINIGRAD_GRID_STRIDE(i, total) {
        long long c = (i / S) % C;
        out[i] = (T)(k1[c] * (double)g[i] + k2[c] * ((double)x[i] - m[c]) + k3[c]);
    }
}

// Training statistics from the shifted sums; running statistics updated in place (unbiased variance).
template <typename T>
__device__ void finish_train(const double* s1, const double* s2, const double* shift, long long count,
                             double eps, double momentum, const T* weight, int has_weight,
                             T* running_mean, T* running_var, int has_running, double* mean,
                             double* invstd, double* k2, long long C) {
    MINIGRAD_GRID_STRIDE(c, C) {
        double d = s1[c] / count - shift[c];
        double var = (s2[c] - shift[c] * (s1[c] - count * shift[c])) / count - d * d;
        var = var > 0 ? var : 0;
        mean[c] = shift[c] + d;
        invstd[c] = 1.0 / sqrt(var + eps);
        k2[c] = invstd[c] * (has_weight ? (double)weight[c] : 1.0);
        if (has_running) {
            running_mean[c] = (T)((1 - momentum) * (double)running_mean[c] + momentum * mean[c]);
            running_var[c] = (T)((1 - momentum) * (double)running_var[c] +
                                 momentum * var * ((double)count / (count - 1)));
        }
    }
}

template <typename T>
__device__ void eval_coefficients(const T* running_mean, const T* running_var, const T* weight,
                                  int has_weight, double eps, double* mean, double* invstd, double* k2,
                                  long long C) {
    MINIGRAD_GRID_STRIDE(c, C) {
        mean[c] = (double)running_mean[c];
        invstd[c] = 1.0 / sqrt((double)running_var[c] + eps);
        k2[c] = invstd[c] * (has_weight ? (double)weight[c] : 1.0);
    }
}

template <typename T>
__device__ void backward_coefficients(const double* s1, const double* s2, const double* invstd,
                                      const T* weight, int has_weight, long long count, int training,
                                      double* k1, double* k2, double* k3, T* gweight, T* gbias,
                                      long long C) {
    MINIGRAD_GRID_STRIDE(c, C) {
        double w = has_weight ? (double)weight[c] : 1.0;
        k1[c] = w * invstd[c];
        k2[c] = training ? -k1[c] * invstd[c] * invstd[c] * s2[c] / count : 0.0;
        k3[c] = training ? -k1[c] * s1[c] / count : 0.0;
        gweight[c] = (T)(s2[c] * invstd[c]);
        gbias[c] = (T)s1[c];
    }
}

#define INSTANTIATE(T)                                                                                 \
    extern "C" __global__ void channel_sums_##T(const T* a, const T* x, const double* m, double* s1,    \
                                                double* s2, long long N, long long C, long long S) {   \
        channel_sums<T>(a, x, m, s1, s2, N, C, S);                                                     \
    }                                                                                                  \
    extern "C" __global__ void affine_##T(const T* g, const T* x, T* out, const double* k1,            \
                                          const double* k2, const double* m, const double* k3,         \
                                          long long total, long long C, long long S) {                 \
        affine<T>(g, x, out, k1, k2, m, k3, total, C, S);                                              \
    }                                                                                                  \
    extern "C" __global__ void finish_train_##T(const double* s1, const double* s2, const double* shift, \
                                                long long count, double eps, double momentum,          \
                                                const T* weight, int has_weight, T* running_mean,      \
                                                T* running_var, int has_running, double* mean,         \
                                                double* invstd, double* k2, long long C) {             \
        finish_train<T>(s1, s2, shift, count, eps, momentum, weight, has_weight, running_mean,         \
                        running_var, has_running, mean, invstd, k2, C);                                \
    }                                                                                                  \
    extern "C" __global__ void eval_coefficients_##T(const T* running_mean, const T* running_var,      \
                                                     const T* weight, int has_weight, double eps,      \
                                                     double* mean, double* invstd, double* k2,         \
                                                     long long C) {                                    \
        eval_coefficients<T>(running_mean, running_var, weight, has_weight, eps, mean, invstd, k2, C); \
    }                                                                                                  \
    extern "C" __global__ void backward_coefficients_##T(const double* s1, const double* s2,           \
                                                         const double* invstd, const T* weight,        \
                                                         int has_weight, long long count, int training, \
                                                         double* k1, double* k2, double* k3,           \
                                                         T* gweight, T* gbias, long long C) {          \
        backward_coefficients<T>(s1, s2, invstd, weight, has_weight, count, training, k1, k2, k3,      \
                                 gweight, gbias, C);                                                   \
    }
INSTANTIATE(float)
INSTANTIATE(double)
