"""The GPU kernel module: the functions of ``cpu.py``, same names and arguments, on cupy arrays.

Sources live in ``cuda/*.cu`` (compiled by CuPy's NVRTC on first use, and to PTX by the nvcc test);
products go to cuBLAS through cupy.matmul. Argument checks are shared with the CPU kernels.
"""
import functools
from pathlib import Path

import cupy as cp
import numpy as np

from ._checks import (as_channels, channel_mean_and_m2, check_batch_norm_elemt, check_batch_norm_train, check_channel_vector, check_eps, check_float_array,
                      check_like, check_linear, check_linear_backward, check_mask, check_probability,
                      check_sgd, check_stat_vector, dropout_scale)

SOURCES = Path(__file__).with_name("cuda")
THREADS = 256


@functools.lru_cache(maxsize=None)
def _module(name):
    return cp.RawModule(code=(SOURCES / f"{name}.cu").read_text(), options=("-I" + str(SOURCES),))


def _kernel(module, name, dtype):
    return _module(module).get_function(f"{name}_{'float' if dtype == np.float32 else 'double'}")


def _grid(n):
    return (max(1, min((int(n) + THREADS - 1) // THREADS, 65535)),)


def _scalar(value, dtype):
    return dtype.type(value)


# ---- ReLU ----------------------------------------------------------------------------------------
def relu_forward(x):
    check_float_array(x, "x")
    y = cp.empty_like(x)
    _kernel("activation", "relu_forward", x.dtype)(_grid(x.size), (THREADS,), (x, y, np.int64(x.size)))
    return y


def relu_backward(gy, y):
    check_float_array(y, "y")
    check_like(gy, "gy", y, "y")
    gx = cp.empty_like(y)
    _kernel("activation", "relu_backward", y.dtype)(_grid(y.size), (THREADS,), (gy, y, gx, np.int64(y.size)))
    return gx


# ---- Dropout -------------------------------------------------------------------------------------
def dropout_forward(x, p, seed, offset):
    check_float_array(x, "x")
    check_probability(p)
    y = cp.empty_like(x)
    mask = cp.empty(x.shape, dtype=cp.uint8)
    scale = dropout_scale(p)
    _kernel("dropout", "dropout_forward", x.dtype)(
        _grid((x.size + 3) // 4), (THREADS,),
        (x, y, mask, np.int64(x.size), np.uint64(int(p * 4294967296.0)), _scalar(scale, x.dtype),
         np.uint64(seed), np.uint64(offset)))
    return y, mask


def dropout_backward(gy, mask, p):
    check_float_array(gy, "gy")
    check_probability(p)
    check_mask(mask, gy.shape)
    gx = cp.empty_like(gy)
    scale = dropout_scale(p)
    _kernel("dropout", "dropout_backward", gy.dtype)(
        _grid(gy.size), (THREADS,), (gy, mask, gx, np.int64(gy.size), _scalar(scale, gy.dtype)))
    return gx


def philox4x32(block, offset, seed):
    """The four Philox words for one counter block, computed on the GPU (parity tests)."""
    out = cp.zeros(4, dtype=cp.uint32)
    _module("dropout").get_function("philox4x32_words")((1,), (1,), (np.uint64(block), np.uint64(offset), np.uint64(seed), out))
    return [int(w) for w in out.get()]


# ---- BatchNorm -----------------------------------------------------------------------------------
def _channel_sums(a, x, m, dims):
    N, C, S = dims
    s1, s2 = cp.empty(C), cp.empty(C)
    block = (32, 8) if S == 1 else (1, THREADS)
    grid = ((C + block[0] - 1) // block[0],)
    _kernel("batchnorm", "channel_sums", x.dtype)(
        grid, block, (a, x, m, s1, s2, np.int64(N), np.int64(C), np.int64(S)),
        shared_mem=2 * block[0] * block[1] * 8)
    return s1, s2


def _affine(g, x, k1, k2, m, k3, dims):
    out = cp.empty_like(x)
    _kernel("batchnorm", "affine", x.dtype)(
        _grid(x.size), (THREADS,), (g, x, out, k1, k2, m, k3, np.int64(x.size), np.int64(dims[1]), np.int64(dims[2])))
    return out


def batch_norm_forward_train(x, weight, bias, running_mean, running_var, momentum, eps):
    x, dims = as_channels(x, "x", cp)
    N, C, S = dims
    check_batch_norm_train(x, dims, eps, running_mean, running_var)
    weight, bias = check_channel_vector(weight, "weight", x, C), check_channel_vector(bias, "bias", x, C)
    running_mean = check_channel_vector(running_mean, "running_mean", x, C)
    running_var = check_channel_vector(running_var, "running_var", x, C)
    shift = x.reshape(dims)[0, :, 0].astype(cp.float64)
    s1, s2 = _channel_sums(x, x, shift, dims)
    mean, invstd, k2 = cp.empty(C), cp.empty(C), cp.empty(C)
    has_running = running_mean is not None
    _kernel("batchnorm", "finish_train", x.dtype)(
        _grid(C), (THREADS,),
        (s1, s2, shift, np.int64(N * S), np.float64(eps), np.float64(momentum), x if weight is None else weight,
         np.int32(weight is not None), running_mean if has_running else x, running_var if has_running else x,
         np.int32(has_running), mean, invstd, k2, np.int64(C)))
    zeros = cp.zeros(C)
    y = _affine(x, x, zeros, k2, mean, zeros if bias is None else bias.astype(cp.float64), dims)
    return y, mean, invstd


def batch_norm_forward_eval(x, running_mean, running_var, weight, bias, eps):
    x, dims = as_channels(x, "x", cp)
    C = dims[1]
    check_eps(eps)
    running_mean = check_channel_vector(running_mean, "running_mean", x, C, required=True)
    running_var = check_channel_vector(running_var, "running_var", x, C, required=True)
    weight, bias = check_channel_vector(weight, "weight", x, C), check_channel_vector(bias, "bias", x, C)
    mean, invstd, k2 = cp.empty(C), cp.empty(C), cp.empty(C)
    _kernel("batchnorm", "eval_coefficients", x.dtype)(
        _grid(C), (THREADS,), (running_mean, running_var, x if weight is None else weight,
                               np.int32(weight is not None), np.float64(eps), mean, invstd, k2, np.int64(C)))
    zeros = cp.zeros(C)
    return _affine(x, x, zeros, k2, mean, zeros if bias is None else bias.astype(cp.float64), dims)


def batch_norm_backward(gy, x, mean, invstd, weight, training):
    x, dims = as_channels(x, "x", cp)
    gy, _ = as_channels(gy, "gy", cp)
    check_like(gy, "gy", x, "x")
    N, C, S = dims
    check_stat_vector(mean, "mean", C)
    check_stat_vector(invstd, "invstd", C)
    weight = check_channel_vector(weight, "weight", x, C)
    s1, s2 = _channel_sums(gy, x, mean, dims)
    k1, k2, k3 = cp.empty(C), cp.empty(C), cp.empty(C)
    gweight, gbias = cp.empty(C, dtype=x.dtype), cp.empty(C, dtype=x.dtype)
    _kernel("batchnorm", "backward_coefficients", x.dtype)(
        _grid(C), (THREADS,), (s1, s2, invstd, x if weight is None else weight, np.int32(weight is not None),
                               np.int64(N * S), np.int32(bool(training)), k1, k2, k3, gweight, gbias, np.int64(C)))
    return _affine(gy, x, k1, k2, mean, k3, dims), gweight, gbias


def batch_norm_stats(x):
    x, dims = as_channels(x, "x", cp)
    count = dims[0] * dims[2]
    if count == 0:
        raise ValueError(f"batch_norm_stats needs at least one value per channel, got x of shape {x.shape}")
    shift = x.reshape(dims)[0, :, 0].astype(cp.float64)
    s1, s2 = _channel_sums(x, x, shift, dims)
    return channel_mean_and_m2(s1, s2, shift, count)


def batch_norm_backward_reduce(gy, x, mean):
    x, dims = as_channels(x, "x", cp)
    gy, _ = as_channels(gy, "gy", cp)
    check_like(gy, "gy", x, "x")
    check_stat_vector(mean, "mean", dims[1])
    if not x.size:
        return cp.zeros(dims[1]), cp.zeros(dims[1])
    return _channel_sums(gy, x, mean, dims)


def batch_norm_elemt(x, mean, k2, k3, gy=None, k1=None):
    x, dims = as_channels(x, "x", cp)
    if gy is not None:
        gy, _ = as_channels(gy, "gy", cp)
    check_batch_norm_elemt(x, dims, gy, mean, k1, k2, k3)
    if not x.size:
        return cp.empty_like(x)
    if gy is None:  # the pass reads g: x stands in, with a zero coefficient
        gy, k1 = x, cp.zeros(dims[1])
    return _affine(gy, x, k1, k2, mean, k3, dims)


# ---- Linear --------------------------------------------------------------------------------------
def linear_forward(x, weight, bias):
    check_linear(x, weight, bias)
    y = cp.matmul(x, weight.T)
    if bias is not None:
        y += bias
    return y


def linear_backward(gy, x, weight, needs_x, needs_weight, needs_bias):
    check_linear_backward(gy, x, weight)
    gx = cp.matmul(gy, weight) if needs_x else None
    gweight = cp.matmul(gy.T, x) if needs_weight else None
    gbias = gy.sum(axis=0, dtype=cp.float64).astype(gy.dtype) if needs_bias else None
    return gx, gweight, gbias


# ---- SGD -----------------------------------------------------------------------------------------
def sgd_step(param, grad, momentum_buffer, lr, momentum, dampening, weight_decay, nesterov, maximize, first_step):
    momentum_buffer = check_sgd(param, grad, momentum_buffer, momentum)
    t = param.dtype.type
    _kernel("sgd", "sgd_step", param.dtype)(
        _grid(param.size), (THREADS,),
        (param, grad, momentum_buffer, np.int64(param.size), t(lr), t(momentum), t(1 - dampening),
         t(weight_decay), np.int32(bool(nesterov)), np.int32(bool(maximize)), np.int32(bool(first_step))))
