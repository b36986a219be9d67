"""CUDA launches of the optimizer loops in cuda/optimizers.cu: the same names and arguments as the
Cython loops in optimizers.pyx (validated, C-contiguous cupy arrays; nothing checked here)."""
import numpy as np

from .cuda import THREADS, _grid, _kernel


def _launch(name, param, arrays, doubles, flags):
    _kernel("optimizers", name, param.dtype)(
        _grid(param.size), (THREADS,),
        (param, *arrays, np.int64(param.size), *[np.float64(d) for d in doubles], *[np.int32(bool(f)) for f in flags]))


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step_size,
              bias_correction2_sqrt, amsgrad, maximize, decoupled_weight_decay):
    _launch("adam_step", param, (grad, exp_avg, exp_avg_sq, max_exp_avg_sq),
            (lr, beta1, beta2, eps, weight_decay, step_size, bias_correction2_sqrt),
            (amsgrad, maximize, decoupled_weight_decay))


def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay, momentum,
                 centered, maximize):
    _launch("rmsprop_step", param, (grad, square_avg, grad_avg, momentum_buffer),
            (lr, alpha, eps, weight_decay, momentum), (centered, maximize))


def adagrad_step(param, grad, state_sum, clr, eps, weight_decay, maximize):
    _launch("adagrad_step", param, (grad, state_sum), (clr, eps, weight_decay), (maximize,))


def adadelta_step(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
    _launch("adadelta_step", param, (grad, square_avg, acc_delta), (lr, rho, eps, weight_decay), (maximize,))
