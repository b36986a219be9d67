// GELU, exact and tanh-approximated, and erf, elementwise in double for both dtypes (as the CPU loops):
//   exact:  y = 0.5 x (1 + erf(x / sqrt 2)),   y' = Phi(x) + x phi(x)
//   tanh:   y = 0.5 x (1 + tanh u), u = sqrt(2 / pi) (x + 0.044715 x^3)
#include "common.cuh"

#define SQRT_HALF 0.7071067811865476
#define INV_SQRT_2PI 0.3989422804014327
#define SQRT_2_OVER_PI 0.7978845608028654
#define CUBIC 0.044715

template <typename T>
__device__ void forward(const T* x, T* y, long long n, int tanh_approximation) {
    MINIGRAD_GRID_STRIDE(i, n) {
        const double v = (double)x[i];
        y[i] = (T)(tanh_approximation ? 0.5 * v * (1 + tanh(SQRT_2_OVER_PI * (v + CUBIC * v * v * v)))
                                      : 0.5 * v * (1 + erf(v * SQRT_HALF)));
    }
}

template <typename T>
__device__ void backward(const T* gy, const T* x, T* gx, long long n, int tanh_approximation) {
    MINIGRAD_GRID_STRIDE(i, n) {
        const double v = (double)x[i];
        double slope;
        if (tanh_approximation) {
            const double t = tanh(SQRT_2_OVER_PI * (v + CUBIC * v * v * v)), sech2 = 1 - t * t;
            // where tanh saturates the second term is 0, also for |x| so large that x^3 overflows
            slope = 0.5 * (1 + t) + (sech2 > 0 ? 0.5 * v * sech2 * SQRT_2_OVER_PI * (1 + 3 * CUBIC * v * v) : 0.0);
        } else {
            slope = 0.5 * (1 + erf(v * SQRT_HALF)) + v * INV_SQRT_2PI * exp(-0.5 * v * v);
        }
        gx[i] = (T)((double)gy[i] * slope);
    }
}

template <typename T>
__device__ void erf_forward(const T* x, T* y, long long n) {
    MINIGRAD_GRID_STRIDE(i, n) { y[i] = (T)erf((double)x[i]); }
}

#define INSTANTIATE(T)                                                                                    \
    extern "C" __global__ void gelu_forward_##T(const T* x, T* y, long long n, int tanh_approximation) { \
        forward<T>(x, y, n, tanh_approximation);                                                          \
    }                                                                                                     \
    extern "C" __global__ void gelu_backward_##T(const T* gy, const T* x, T* gx, long long n,            \
                                                 int tanh_approximation) {                               \
        backward<T>(gy, x, gx, n, tanh_approximation);                                                    \
    }                                                                                                     \
    extern "C" __global__ void erf_forward_##T(const T* x, T* y, long long n) { erf_forward<T>(x, y, n); }
INSTANTIATE(float)
INSTANTIATE(double)
