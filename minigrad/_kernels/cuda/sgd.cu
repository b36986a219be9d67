// SGD with PyTorch's rule in one pass: weight decay, momentum (buffer = first gradient on the first
// step), dampening, nesterov, maximize. The update is optimizers.h's, as in the CPU kernel (sgd.pyx).
#include "common.cuh"
#include "optimizers.h"

#define INSTANTIATE(T)                                                                                \
    extern "C" __global__ void sgd_step_##T(T* param, const T* grad, T* buf, long long n, double lr,  \
                                            double momentum, double dampening, double weight_decay,   \
                                            flag nesterov, flag maximize, flag first_step) {          \
        const sgd_constants c =                                                                       \
            sgd_make_constants(lr, momentum, dampening, weight_decay, nesterov, maximize, first_step); \
        MINIGRAD_GRID_STRIDE(i, n) { param[i] = sgd_update(param[i], grad[i], &buf[i], c); }          \
    }
INSTANTIATE(float)
INSTANTIATE(double)
