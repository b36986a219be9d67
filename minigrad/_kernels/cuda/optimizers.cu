// Optimizer steps, one thread per element (grid-stride), the same arithmetic in the same order as
// optimizers.pyx (PyTorch's order of operations). Coefficients arrive as doubles and are rounded
// to T once, as the CPU loops do. Unused optional state arrays get a stand-in that is never touched.
#include "common.cuh"

template <typename T>
__device__ __forceinline__ T lerp(T start, T end, T weight) {
    return weight < T(0.5) ? start + weight * (end - start) : end - (end - start) * (T(1) - weight);
}

template <typename T>
__device__ __forceinline__ T nan_max(T a, T b) {
    return (a != a || a >= b) ? a : b;
}

template <typename T>
__device__ void adam_step(T* param, const T* grad, T* m, T* v, T* v_max, long long n, double lr, double beta1,
                          double beta2, double eps, double weight_decay, double step_size,
                          double bias_correction2_sqrt, int amsgrad, int maximize, int decoupled) {
    const T wd = (T)weight_decay, decay = (T)(1 - lr * weight_decay), m_weight = (T)(1 - beta1);
    const T b2 = (T)beta2, v_weight = (T)(1 - beta2), eps_ = (T)eps, step = (T)step_size;
    const T bc2 = (T)bias_correction2_sqrt;
    MINIGRAD_GRID_STRIDE(i, n) {
        T g = maximize ? -grad[i] : grad[i];
        T p = param[i];
        if (weight_decay != 0) {
            if (decoupled) p = p * decay;
            else g = g + wd * p;
        }
        T mi = lerp(m[i], g, m_weight);
        m[i] = mi;
        T second = v[i] * b2 + v_weight * g * g;
        v[i] = second;
        if (amsgrad) {
            second = nan_max(v_max[i], second);
            v_max[i] = second;
        }
        param[i] = p - step * (mi / (sqrt(second) / bc2 + eps_));
    }
}

template <typename T>
__device__ void rmsprop_step(T* param, const T* grad, T* sq, T* g_avg, T* buf, long long n, double lr,
                             double alpha, double eps, double weight_decay, double momentum, int centered,
                             int maximize) {
    const T lr_ = (T)lr, a = (T)alpha, weight = (T)(1 - alpha), eps_ = (T)eps, wd = (T)weight_decay;
    const T mom = (T)momentum;
    MINIGRAD_GRID_STRIDE(i, n) {
        T g = maximize ? -grad[i] : grad[i];
        if (weight_decay != 0) g = g + wd * param[i];
        T s = sq[i] * a + weight * g * g;
        sq[i] = s;
        T avg;
        if (centered) {
            T ga = lerp(g_avg[i], g, weight);
            g_avg[i] = ga;
            avg = sqrt(s - ga * ga) + eps_;
        } else {
            avg = sqrt(s) + eps_;
        }
        if (momentum > 0) {
            T b = buf[i] * mom + g / avg;
            buf[i] = b;
            param[i] = param[i] - lr_ * b;
        } else {
            param[i] = param[i] - lr_ * (g / avg);
        }
    }
}

template <typename T>
__device__ void adagrad_step(T* param, const T* grad, T* total, long long n, double clr, double eps,
                             double weight_decay, int maximize) {
    const T clr_ = (T)clr, eps_ = (T)eps, wd = (T)weight_decay;
    MINIGRAD_GRID_STRIDE(i, n) {
        T g = maximize ? -grad[i] : grad[i];
        if (weight_decay != 0) g = g + wd * param[i];
        T s = total[i] + g * g;
        total[i] = s;
        param[i] = param[i] - clr_ * (g / (sqrt(s) + eps_));
    }
}

template <typename T>
__device__ void adadelta_step(T* param, const T* grad, T* sq, T* acc, long long n, double lr, double rho,
                              double eps, double weight_decay, int maximize) {
    const T lr_ = (T)lr, r = (T)rho, weight = (T)(1 - rho), eps_ = (T)eps, wd = (T)weight_decay;
    MINIGRAD_GRID_STRIDE(i, n) {
        T g = maximize ? -grad[i] : grad[i];
        if (weight_decay != 0) g = g + wd * param[i];
        T s = sq[i] * r + weight * g * g;
        sq[i] = s;
        T delta = sqrt(acc[i] + eps_) / sqrt(s + eps_) * g;
        acc[i] = acc[i] * r + weight * delta * delta;
        param[i] = param[i] - lr_ * delta;
    }
}

#define INSTANTIATE(T)                                                                                   \
    extern "C" __global__ void adam_step_##T(T* param, const T* grad, T* m, T* v, T* v_max, long long n, \
                                             double lr, double beta1, double beta2, double eps,          \
                                             double weight_decay, double step_size,                      \
                                             double bias_correction2_sqrt, int amsgrad, int maximize,    \
                                             int decoupled) {                                            \
        adam_step<T>(param, grad, m, v, v_max, n, lr, beta1, beta2, eps, weight_decay, step_size,        \
                     bias_correction2_sqrt, amsgrad, maximize, decoupled);                               \
    }                                                                                                    \
    extern "C" __global__ void rmsprop_step_##T(T* param, const T* grad, T* sq, T* g_avg, T* buf,        \
                                                long long n, double lr, double alpha, double eps,        \
                                                double weight_decay, double momentum, int centered,      \
                                                int maximize) {                                          \
        rmsprop_step<T>(param, grad, sq, g_avg, buf, n, lr, alpha, eps, weight_decay, momentum,          \
                        centered, maximize);                                                             \
    }                                                                                                    \
    extern "C" __global__ void adagrad_step_##T(T* param, const T* grad, T* total, long long n,          \
                                                double clr, double eps, double weight_decay,             \
                                                int maximize) {                                          \
        adagrad_step<T>(param, grad, total, n, clr, eps, weight_decay, maximize);                        \
    }                                                                                                    \
    extern "C" __global__ void adadelta_step_##T(T* param, const T* grad, T* sq, T* acc, long long n,    \
                                                 double lr, double rho, double eps,                      \
                                                 double weight_decay, int maximize) {                    \
        adadelta_step<T>(param, grad, sq, acc, n, lr, rho, eps, weight_decay, maximize);                 \
    }
INSTANTIATE(float)
INSTANTIATE(double)
