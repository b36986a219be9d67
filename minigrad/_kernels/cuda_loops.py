"""The GPU loops: the functions of ``cpu_loops.py``, same names and parameters, on cupy arrays.

Like the CPU loops they take checked, C-contiguous arrays and allocated outputs from the front
(front.py) and only launch kernels. Sources live in ``cuda/*.cu`` (compiled by CuPy's NVRTC on first
use, and to PTX by the nvcc test); products go to cuBLAS through cupy.matmul in the front.
"""
import functools
from pathlib import Path

import cupy as cp
import numpy as np

SOURCES = Path(__file__).with_name("cuda")
THREADS = 256

__all__ = [
    "relu_forward", "relu_backward",
    "dropout_forward", "dropout_backward", "philox4x32",
    "channel_sums", "train_coefficients", "eval_coefficients", "backward_coefficients", "channel_affine",
    "add_bias", "column_sum",
    "sgd_step",
]


@functools.lru_cache(maxsize=None)
def _module(name):
    return cp.RawModule(code=(SOURCES / f"{name}.cu").read_text(), options=("-I" + str(SOURCES),))


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
    t = param.dtype.type
    _kernel("sgd", "sgd_step", param.dtype)(
        _grid(param.size), (THREADS,),
        (param, grad, buf, np.int64(param.size), t(lr), t(momentum), t(1 - dampening), t(weight_decay),
         np.int32(bool(nesterov)), np.int32(bool(maximize)), np.int32(bool(first_step))))
