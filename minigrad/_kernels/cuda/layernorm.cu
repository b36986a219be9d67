// LayerNorm over the rows of x viewed as (M, D). The same math as the CPU loops:
//   forward:       one block per row; mean, then the mean of (x - mean)^2 (two passes, double);
//                  y = (x - mean) * invstd * w + b
//   row_backward:  one block per row; gx = invstd * (g - mean(g) - x_hat * mean(g * x_hat)), g = gy * w
//   column_sums:   gweight[j] = sum_r gy * x_hat, gbias[j] = sum_r gy; blockDim (32, 8): threads along
//                  columns (coalesced rows), eight row-strided partial sums per column, then reduced.
// Row kernels take blockDim.x a multiple of 32 (at most 1024). weight and bias are always given (the
// front passes ones and zeros for absent ones).
#include "common.cuh"

// The sum of v over the block, returned to every thread.
__device__ double block_sum(double v, double* shared) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = (blockDim.x + 31) / 32;
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < warps ? shared[lane] : 0.0;
        for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
        if (lane == 0) shared[32] = v;
    }
    __syncthreads();
    const double total = shared[32];
    __syncthreads();  // shared is reused by the next call
    return total;
}

template <typename T>
__device__ void forward(const T* x, const T* weight, const T* bias, double eps, T* y, double* mean,
                        double* invstd, long long M, long long D) {
    __shared__ double shared[33];
    for (long long r = blockIdx.x; r < M; r += gridDim.x) {
        const T* row = x + r * D;
        double s = 0;
        for (long long j = threadIdx.x; j < D; j += blockDim.x) s += (double)row[j];
        const double mu = block_sum(s, shared) / D;
        s = 0;
        for (long long j = threadIdx.x; j < D; j += blockDim.x) {
            const double d = (double)row[j] - mu;
            s += d * d;
        }
        const double scale = 1.0 / sqrt(block_sum(s, shared) / D + eps);
        if (threadIdx.x == 0) {
            mean[r] = mu;
            invstd[r] = scale;
        }
        for (long long j = threadIdx.x; j < D; j += blockDim.x)
            y[r * D + j] = (T)(((double)row[j] - mu) * scale * (double)weight[j] + (double)bias[j]);
    }
}

template <typename T>
__device__ void row_backward(const T* gy, const T* x, const double* mean, const double* invstd, const T* weight,
                             T* gx, long long M, long long D) {
    __shared__ double shared[33];
    for (long long r = blockIdx.x; r < M; r += gridDim.x) {
        const T* grow = gy + r * D;
        const T* row = x + r * D;
        const double mu = mean[r], scale = invstd[r];
        double s_g = 0, s_gx = 0;
        for (long long j = threadIdx.x; j < D; j += blockDim.x) {
            const double g = (double)grow[j] * (double)weight[j];
            s_g += g;
            s_gx += g * ((double)row[j] - mu);
        }
        const double mean_g = block_sum(s_g, shared) / D;
        const double mean_g_xhat = block_sum(s_gx, shared) * scale / D;
        for (long long j = threadIdx.x; j < D; j += blockDim.x) {
            const double g = (double)grow[j] * (double)weight[j];
            const double xhat = ((double)row[j] - mu) * scale;
            gx[r * D + j] = (T)(scale * (g - mean_g - xhat * mean_g_xhat));
        }
    }
}

template <typename T>
__device__ void column_sums(const T* gy, const T* x, const double* mean, const double* invstd, T* gweight,
                            T* gbias, long long M, long long D) {
    __shared__ double shared[2][8][32];
    const long long j = blockIdx.x * 32LL + threadIdx.x;
    double s_w = 0, s_b = 0;
    if (j < D) {
        for (long long r = threadIdx.y; r < M; r += 8) {
            const double g = (double)gy[r * D + j];
            s_w += g * ((double)x[r * D + j] - mean[r]) * invstd[r];
            s_b += g;
        }
    }
    shared[0][threadIdx.y][threadIdx.x] = s_w;
    shared[1][threadIdx.y][threadIdx.x] = s_b;
    __syncthreads();
    if (threadIdx.y == 0 && j < D) {
        s_w = s_b = 0;
        for (int k = 0; k < 8; ++k) {
            s_w += shared[0][k][threadIdx.x];
            s_b += shared[1][k][threadIdx.x];
        }
        gweight[j] = (T)s_w;
        gbias[j] = (T)s_b;
    }
}

#define INSTANTIATE(T)                                                                                     \
    extern "C" __global__ void layer_norm_forward_##T(const T* x, const T* weight, const T* bias, double eps, \
                                                      T* y, double* mean, double* invstd, long long M,     \
                                                      long long D) {                                       \
        forward<T>(x, weight, bias, eps, y, mean, invstd, M, D);                                           \
    }                                                                                                      \
    extern "C" __global__ void layer_norm_row_backward_##T(const T* gy, const T* x, const double* mean,    \
                                                           const double* invstd, const T* weight, T* gx,   \
                                                           long long M, long long D) {                     \
        row_backward<T>(gy, x, mean, invstd, weight, gx, M, D);                                            \
    }                                                                                                      \
    extern "C" __global__ void layer_norm_column_sums_##T(const T* gy, const T* x, const double* mean,     \
                                                          const double* invstd, T* gweight, T* gbias,      \
                                                          long long M, long long D) {                      \
        column_sums<T>(gy, x, mean, invstd, gweight, gbias, M, D);                                         \
    }
INSTANTIATE(float)
INSTANTIATE(double)
