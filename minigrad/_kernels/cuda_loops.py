"""The GPU loops: the functions of ``cpu_loops.py``, same names and parameters, on cupy arrays.

Like the CPU loops they take checked, C-contiguous arrays and allocated outputs from the front
(front/) and only launch kernels. Sources live in ``cuda/*.cu`` (compiled by CuPy's NVRTC on first
use, and to PTX by the nvcc test); products go to cuBLAS through cupy.matmul in the front.
"""
import functools
import hashlib
from pathlib import Path

import cupy as cp
import numpy as np

from .cpu_loops import __all__  # the same loops, by contract; a test checks each is defined here

SOURCES = Path(__file__).with_name("cuda")
THREADS = 256


@functools.lru_cache(maxsize=None)
def _module(name):
    # CuPy (and the emulator) cache a build by its source text, which does not show the headers it
    # includes: their digest, in a comment, makes an edited header rebuild the kernels
    headers = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(SOURCES.glob("*.h*")))).hexdigest()
    code = (SOURCES / f"{name}.cu").read_text() + f"\n// headers {headers}\n"
    return cp.RawModule(code=code, options=("-I" + str(SOURCES),))


def _kernel(module, name, dtype):
    return _module(module).get_function(f"{name}_{'float' if dtype == np.float32 else 'double'}")


def _grid(n):
    return (max(1, min((int(n) + THREADS - 1) // THREADS, 65535)),)


def _optional(array, stand_in):
    """(array or a stand-in pointer never read, presence flag) for an optional kernel argument."""
    return (stand_in, np.int32(0)) if array is None else (array, np.int32(1))


# ---- ReLU ----------------------------------------------------------------------------------------
def relu_forward(x, y):
    _kernel("activation", "relu_forward", x.dtype)(_grid(x.size), (THREADS,), (x, y, np.int64(x.size)))


def relu_backward(gy, y, gx):
    _kernel("activation", "relu_backward", y.dtype)(_grid(y.size), (THREADS,), (gy, y, gx, np.int64(y.size)))


# ---- Dropout -------------------------------------------------------------------------------------
def dropout_forward(x, y, mask, threshold, scale, seed, offset):
    _kernel("dropout", "dropout_forward", x.dtype)(
        _grid((x.size + 3) // 4), (THREADS,),
        (x, y, mask, np.int64(x.size), np.uint64(threshold), x.dtype.type(scale), np.uint64(seed), np.uint64(offset)))


def dropout_backward(gy, mask, gx, scale):
    _kernel("dropout", "dropout_backward", gy.dtype)(
        _grid(gy.size), (THREADS,), (gy, mask, gx, np.int64(gy.size), gy.dtype.type(scale)))


def philox4x32(block, offset, seed):
    out = cp.zeros(4, dtype=cp.uint32)
    _module("dropout").get_function("philox4x32_words")((1,), (1,), (np.uint64(block), np.uint64(offset),
                                                                      np.uint64(seed), out))
    return [int(w) for w in out.get()]


# ---- BatchNorm -----------------------------------------------------------------------------------
def channel_sums(a, x, m, s1, s2):
    N, C, S = x.shape
    block = (32, 8) if S == 1 else (1, THREADS)  # coalesced rows for (N, C); a channel's run otherwise
    grid = ((C + block[0] - 1) // block[0],)
    _kernel("batchnorm", "channel_sums", x.dtype)(
        grid, block, (a, x, m, s1, s2, np.int64(N), np.int64(C), np.int64(S)), shared_mem=2 * block[0] * block[1] * 8)


def train_coefficients(s1, s2, shift, count, eps, momentum, weight, bias, running_mean, running_var, mean, invstd,
                       k2, k3):
    present = next((v for v in (weight, bias, running_mean) if v is not None), None)
    dtype = np.float64 if present is None else present.dtype
    weight, has_weight = _optional(weight, s1)
    bias, has_bias = _optional(bias, s1)
    running_mean, has_running = _optional(running_mean, s1)
    running_var, _ = _optional(running_var, s1)
    C = s1.size
    _kernel("batchnorm", "train_coefficients", dtype)(
        _grid(C), (THREADS,), (s1, s2, shift, np.int64(count), np.float64(eps), np.float64(momentum), weight,
                               has_weight, bias, has_bias, running_mean, running_var, has_running, mean, invstd,
                               k2, k3, np.int64(C)))


def eval_coefficients(running_mean, running_var, weight, bias, eps, k2, k3):
    weight, has_weight = _optional(weight, running_mean)
    bias, has_bias = _optional(bias, running_mean)
    C = k2.size
    _kernel("batchnorm", "eval_coefficients", running_mean.dtype)(
        _grid(C), (THREADS,), (running_mean, running_var, weight, has_weight, bias, has_bias, np.float64(eps), k2,
                               k3, np.int64(C)))


def backward_coefficients(s1, s2, mean, invstd, weight, count, training, k1, k2, k3, gweight, gbias):
    weight, has_weight = _optional(weight, gweight)
    C = s1.size
    _kernel("batchnorm", "backward_coefficients", gweight.dtype)(
        _grid(C), (THREADS,), (s1, s2, mean, invstd, weight, has_weight, np.int64(count), np.int32(bool(training)),
                               k1, k2, k3, gweight, gbias, np.int64(C)))


def channel_affine(g, x, out, k1, k2, k3):
    g, has_g = _optional(g, x)
    k1 = k2 if k1 is None else k1
    _, C, S = x.shape
    _kernel("batchnorm", "channel_affine", x.dtype)(
        _grid(x.size), (THREADS,), (g, x, out, k1, k2, k3, has_g, np.int64(x.size), np.int64(C), np.int64(S)))


# ---- Linear --------------------------------------------------------------------------------------
def add_bias(y, bias):
    y += bias


def column_sum(g, sums):
    sums += g.sum(axis=0, dtype=cp.float64)


# ---- SGD -----------------------------------------------------------------------------------------
def sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step):
    _kernel("sgd", "sgd_step", param.dtype)(
        _grid(param.size), (THREADS,),
        (param, grad, buf, np.int64(param.size), np.float64(lr), np.float64(momentum), np.float64(dampening),
         np.float64(weight_decay), np.int32(bool(nesterov)), np.int32(bool(maximize)), np.int32(bool(first_step))))


# ---- LayerNorm -----------------------------------------------------------------------------------
def layer_norm_forward(x, weight, bias, eps, y, mean, invstd):
    M, D = x.shape
    if M:
        _kernel("layernorm", "layer_norm_forward", x.dtype)(
            (min(M, 65535),), (THREADS,), (x, weight, bias, np.float64(eps), y, mean, invstd, np.int64(M), np.int64(D)))


def layer_norm_backward(gy, x, mean, invstd, weight, gx, gweight, gbias):
    M, D = x.shape
    if M:
        _kernel("layernorm", "layer_norm_row_backward", x.dtype)(
            (min(M, 65535),), (THREADS,), (gy, x, mean, invstd, weight, gx, np.int64(M), np.int64(D)))
    if D:
        _kernel("layernorm", "layer_norm_column_sums", x.dtype)(
            ((D + 31) // 32,), (32, 8), (gy, x, mean, invstd, gweight, gbias, np.int64(M), np.int64(D)))


# ---- GELU ----------------------------------------------------------------------------------------
def gelu_forward(x, y, tanh_approximation):
    _kernel("gelu", "gelu_forward", x.dtype)(_grid(x.size), (THREADS,), (x, y, np.int64(x.size), np.int32(tanh_approximation)))


def erf_forward(x, y):
    _kernel("gelu", "erf_forward", x.dtype)(_grid(x.size), (THREADS,), (x, y, np.int64(x.size)))


def gelu_backward(gy, x, gx, tanh_approximation):
    _kernel("gelu", "gelu_backward", x.dtype)(
        _grid(x.size), (THREADS,), (gy, x, gx, np.int64(x.size), np.int32(tanh_approximation)))


def sync_threads():
    """The CPU loops' thread-count hand-over (see runtime.sync_threads); GPU launches have no
    OpenMP threads, so there is nothing to do."""


# ---- Adam, RMSprop, Adagrad, Adadelta (cuda/optimizers.cu) ---------------------------------------
def _optimizer_launch(name, param, arrays, doubles, flags):
    """One thread per element; the loops' scalars are passed as doubles, their flags as ints."""
    _kernel("optimizers", name, param.dtype)(
        _grid(param.size), (THREADS,),
        (param, *arrays, np.int64(param.size), *[np.float64(d) for d in doubles], *[np.int32(bool(f)) for f in flags]))


def adam_step(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step_size,
              bias_correction2_sqrt, amsgrad, maximize, decoupled_weight_decay):
    _optimizer_launch("adam_step", param, (grad, exp_avg, exp_avg_sq, max_exp_avg_sq),
                      (lr, beta1, beta2, eps, weight_decay, step_size, bias_correction2_sqrt),
                      (amsgrad, maximize, decoupled_weight_decay))


def rmsprop_step(param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, eps, weight_decay, momentum,
                 centered, maximize):
    _optimizer_launch("rmsprop_step", param, (grad, square_avg, grad_avg, momentum_buffer),
                      (lr, alpha, eps, weight_decay, momentum), (centered, maximize))


def adagrad_step(param, grad, state_sum, clr, eps, weight_decay, maximize):
    _optimizer_launch("adagrad_step", param, (grad, state_sum), (clr, eps, weight_decay), (maximize,))


def adadelta_step(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay, maximize):
    _optimizer_launch("adadelta_step", param, (grad, square_avg, acc_delta), (lr, rho, eps, weight_decay), (maximize,))
# ---- Convolution ---------------------------------------------------------------------------------
def _geometry(x_shape, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w):
    """The conv.cu kernels' arguments after the arrays: n, then C, H, W and the window geometry."""
    return tuple(np.int64(v) for v in (*x_shape, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h,
                                       dilation_w, out_h, out_w))


def im2col(x, cols, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w):
    _kernel("conv", "im2col", x.dtype)(
        _grid(cols.size), (THREADS,),
        (x, cols) + _geometry(x.shape, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w,
                              out_h, out_w))


def col2im(cols, gx, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w):
    _kernel("conv", "col2im", gx.dtype)(
        _grid(gx.size), (THREADS,),
        (cols, gx) + _geometry(gx.shape, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w,
                               out_h, out_w))


# ---- Pooling -------------------------------------------------------------------------------------
def _planes(x, y, *window):
    """The pool.cu kernels' arguments after the arrays: P = N * C, H, W, OH, OW and the window."""
    return tuple(np.int64(v) for v in (x.shape[0] * x.shape[1], *x.shape[2:], *y.shape[2:], *window))


def max_pool2d_forward(x, y, indices, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w):
    _kernel("pool", "max_pool2d_forward", x.dtype)(
        _grid(y.size), (THREADS,), (x, y, indices) + _planes(x, y, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w))


def max_pool2d_backward(gy, indices, gx):
    gx.fill(0)
    _kernel("pool", "max_pool2d_backward", gx.dtype)(_grid(gy.size), (THREADS,), (gy, indices, gx) + _planes(gx, gy))


def avg_pool2d_forward(x, y, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, count_include_pad):
    _kernel("pool", "avg_pool2d_forward", x.dtype)(
        _grid(y.size), (THREADS,),
        (x, y) + _planes(x, y, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w) + (np.int32(count_include_pad),))


def avg_pool2d_backward(gy, gx, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, count_include_pad):
    _kernel("pool", "avg_pool2d_backward", gx.dtype)(
        _grid(gx.size), (THREADS,),
        (gy, gx) + _planes(gx, gy, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w) + (np.int32(count_include_pad),))


def adaptive_avg_pool2d_forward(x, y):
    _kernel("pool", "adaptive_avg_pool2d_forward", x.dtype)(_grid(y.size), (THREADS,), (x, y) + _planes(x, y))


def adaptive_avg_pool2d_backward(gy, gx):
    _kernel("pool", "adaptive_avg_pool2d_backward", gx.dtype)(_grid(gx.size), (THREADS,), (gy, gx) + _planes(gx, gy))
