// SGD with PyTorch's rule in one pass: weight decay, momentum (buffer = first gradient on the first
// step), dampening, nesterov, maximize. The CPU kernel in sgd.pyx is the same arithmetic.
#include "common.cuh"

template <typename T>
__device__ void sgd_step(T* param, const T* grad, T* buf, long long n, T lr, T momentum, T keep,
                         T weight_decay, int nesterov, int maximize, int first_step) {
    MINIGRAD_GRID_STRIDE(i, n) {
        T d = maximize ? -grad[i] : grad[i];
        d = d + weight_decay * param[i];
        if (momentum != T(0)) {
            T b = first_step ? d : momentum * buf[i] + keep * d;
            buf[i] = b;
            d = nesterov ? d + momentum * b : b;
        }
        param[i] = param[i] - lr * d;
    }
}

#define INSTANTIATE(T)                                                                          \
    extern "C" __global__ void sgd_step_##T(T* param, const T* grad, T* buf, long long n, T lr, \
                                            T momentum, T keep, T weight_decay, int nesterov,   \
                                            int maximize, int first_step) {                     \
        sgd_step<T>(param, grad, buf, n, lr, momentum, keep, weight_decay, nesterov, maximize,  \
                    first_step);                                                                \
    }
INSTANTIATE(float)
INSTANTIATE(double)
