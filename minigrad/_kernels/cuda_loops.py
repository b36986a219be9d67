"""The GPU loops: the functions of ``cpu_loops.py``, same names and parameters, on cupy arrays.

Like the CPU loops they take checked, C-contiguous arrays and allocated outputs from the front
(front/) and only launch kernels. A loop is the kernel of the same name in ``cuda/*.cu`` (compiled by
CuPy's NVRTC on first use, and to PTX by the nvcc test), called through a launcher made from the
kernel's signature (``cuda_launch.py``: argument C types, sizes, grid and block). The loops defined
below by hand are those that are not one kernel launch; ``matmul`` (BLAS on minigrad's threads on the
CPU, blas.pyx) is cupy.matmul here, on cuBLAS.
"""
import functools
import hashlib

import cupy as cp
import numpy as np

from ._checks import check_matmul
from .cpu_loops import __all__  # the same loops but SEQUENCE_LOOPS, by contract; a test checks each is defined here
from .cuda_launch import ELEMENTWISE, SCALAR_TYPES, SOURCES, binding, per_element
from .front.recurrent import SEQUENCE_LOOPS

FLOAT64 = np.dtype(np.float64)


@functools.lru_cache(maxsize=None)
def _module(name):
    # CuPy (and the emulator) cache a build by its source text, which does not show the headers it
    # includes: their digest, in a comment, makes an edited header rebuild the kernels
    headers = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(SOURCES.glob("*.h*")))).hexdigest()
    code = (SOURCES / f"{name}.cu").read_text() + f"\n// headers {headers}\n"
    return cp.RawModule(code=code, options=("-I" + str(SOURCES),))


@functools.lru_cache(maxsize=None)
def _function(module, name):
    return _module(module).get_function(name)


def _scalar(ctype):
    """(value, dtype) -> value in the C type ``ctype`` (``T``: the instantiated dtype's)."""
    if ctype == "T":
        return lambda value, dtype: dtype.type(value)
    convert = SCALAR_TYPES[ctype]
    return lambda value, dtype: convert(value)


@functools.lru_cache(maxsize=None)
def _launcher(name):
    """A function of the loop's arguments that launches kernel ``name`` (see cuda_launch)."""
    kernel = binding(name)
    signature, launch, loop_params = kernel.signature, kernel.launch, kernel.loop_params
    size_names = launch.sizes.split()
    elementwise = launch is ELEMENTWISE
    # each kernel argument is picked from (*loop arguments, *sizes, *presence flags), then the
    # scalars among them are converted to their C types
    flagged = [key for kind, key, _ in kernel.sources if kind == "present"]
    offsets = {"argument": 0, "size": len(loop_params), "present": len(loop_params) + len(size_names)}
    picks = [offsets[kind] + (flagged.index(key) if kind == "present" else key) for kind, key, _ in kernel.sources]
    scalars = [(i, _scalar(ctype)) for i, (kind, _, ctype) in enumerate(kernel.sources)
               if kind != "present" and not ctype.endswith("*")]
    typed = kernel.typed_arguments
    suffixes = ("_float", "_double") if signature.typed else ("", "")

    def launcher(*arguments):
        if elementwise:
            n = arguments[0].size
            sizes, (grid, block, shared_mem) = (n,), per_element(n)
        else:
            named = dict(zip(loop_params, arguments))
            sizes = launch.size_values(**named)
            named.update(zip(size_names, sizes))
            grid, block, shared_mem = launch.shape(**named)
        dtype = FLOAT64
        for i in typed:
            if arguments[i] is not None:
                dtype = arguments[i].dtype
                break
        pool = (*arguments, *sizes, *[np.int32(arguments[i] is not None) for i in flagged])
        values = [pool[i] for i in picks]
        for i, convert in scalars:
            values[i] = convert(values[i], dtype)
        kernel_name = name + suffixes[dtype != np.float32]
        _function(signature.module, kernel_name)(grid, block, values, shared_mem=shared_mem)

    launcher.__name__ = launcher.__qualname__ = name
    return launcher


# ---- the loops that are not one kernel launch -----------------------------------------------------
def philox4x32(block, offset, seed):
    out = cp.zeros(4, dtype=cp.uint32)
    _launcher("philox4x32_words")(block, offset, seed, out)
    return [int(w) for w in out.get()]


def add_bias(y, bias):
    y += bias


def column_sum(g, sums):
    sums += g.sum(axis=0, dtype=cp.float64)


# The convolution: im2col over chunks of the batch, each chunk's column matrix within
# CONV_WORKSPACE_BYTES (a chunk holds at least one sample), then cuBLAS; col2im for the input gradient.
CONV_WORKSPACE_BYTES = 32 << 20


def _conv_chunks(x, geometry):
    """(start, stop) over the batch of x (N, C, H, W), each chunk's column matrix within the workspace."""
    per_sample = x.shape[1] * geometry[0] * geometry[1] * geometry[-2] * geometry[-1]
    chunk = max(1, CONV_WORKSPACE_BYTES // max(1, per_sample * x.dtype.itemsize))
    return [(start, min(x.shape[0], start + chunk)) for start in range(0, x.shape[0], chunk)]


def _conv_columns(x, groups, geometry):
    """The column matrix (groups, C // groups * KH * KW, n * OH * OW) of x (n, C, H, W)."""
    cols = cp.empty((x.shape[1] * geometry[0] * geometry[1], x.shape[0] * geometry[-2] * geometry[-1]), x.dtype)
    im2col(x, cols, *geometry)
    return cols.reshape(groups, cols.shape[0] // groups, cols.shape[1])


def _output_columns(gy, groups):
    """(groups, O // groups, n * L): gy (n, O, OH, OW) laid out like a column matrix."""
    n, O = gy.shape[:2]
    return cp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(groups, O // groups, n * gy.shape[2] * gy.shape[3])


def conv_forward(x, weight, bias, y, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w,
                 out_h, out_w):
    geometry = (kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w)
    for start, stop in _conv_chunks(x, geometry):
        out = cp.matmul(weight, _conv_columns(x[start:stop], weight.shape[0], geometry))
        y[start:stop] = out.reshape(y.shape[1], stop - start, *y.shape[2:]).transpose(1, 0, 2, 3)
    if bias is not None:
        y += bias.reshape(-1, 1, 1)


def conv_weight_gradient(x, gy, gweight, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w,
                         out_h, out_w):
    geometry = (kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w)
    gweight.fill(0)
    for start, stop in _conv_chunks(x, geometry):
        cols = _conv_columns(x[start:stop], gweight.shape[0], geometry)
        gweight += cp.matmul(_output_columns(gy[start:stop], gweight.shape[0]), cols.transpose(0, 2, 1))


def conv_input_gradient(gy, weight, gx, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w,
                        out_h, out_w):
    geometry = (kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w)
    for start, stop in _conv_chunks(gx, geometry):
        cols = cp.matmul(weight.transpose(0, 2, 1), _output_columns(gy[start:stop], weight.shape[0]))
        col2im(cols.reshape(cols.shape[0] * cols.shape[1], cols.shape[2]), gx[start:stop], *geometry)


def attention_backward(gout, q, k, v, out, lse, mask, mask_index, delta, gq, gk, gv, scale, is_causal, threshold,
                       dropout_scale, seed, offset):
    settings = (scale, is_causal, threshold, dropout_scale, seed, offset)
    # the query pass writes delta, which the key pass reads
    _launcher("attention_backward_query")(gout, q, k, v, out, lse, mask, mask_index, delta, gq, *settings)
    _launcher("attention_backward_key")(gout, q, k, v, lse, mask, mask_index, delta, gk, gv, *settings)


def matmul(a, b, out=None, accumulate=False):
    """blas.matmul's product on cuBLAS (through cupy.matmul), with its checks."""
    check_matmul(a, b, out, accumulate)
    if accumulate:
        out += cp.matmul(a, b)
        return out
    return cp.matmul(a, b, out=out)


def batch_norm_train_pass(x, shift, count, eps, momentum, weight, bias, running_mean, running_var, s1, s2, mean,
                          invstd, k2, k3, y):
    """batchnorm.pyx's training forward as its three launches: each pass over all channels fills the
    device, where the CPU's channel-by-channel order is for its L2."""
    if x.size:
        channel_sums(x, x, shift, s1, s2)
    train_coefficients(s1, s2, shift, count, eps, momentum, weight, bias, running_mean, running_var, mean, invstd,
                       k2, k3)
    if x.size:
        channel_affine(None, x, y, None, k2, k3)


def batch_norm_backward_pass(gy, x, mean, invstd, weight, count, training, s1, s2, k1, k2, k3, gweight, gbias, gx):
    """batchnorm.pyx's backward as its three launches."""
    if x.size:
        channel_sums(gy, x, mean, s1, s2)
    backward_coefficients(s1, s2, mean, invstd, weight, count, training, k1, k2, k3, gweight, gbias)
    if x.size:
        channel_affine(gy, x, gx, k1, k2, k3)


def layer_norm_backward(gy, x, mean, invstd, weight, gx, gweight, gbias):
    _launcher("layer_norm_row_backward")(gy, x, mean, invstd, weight, gx)
    _launcher("layer_norm_column_sums")(gy, x, mean, invstd, gweight, gbias)


def max_pool2d_backward(gy, indices, gx):
    gx.fill(0)  # the kernel adds each gradient entry at its argmax
    _launcher("max_pool2d_backward")(gy, indices, gx)


def sync_threads():
    """The CPU loops' thread-count hand-over (see runtime.sync_threads); GPU launches have no
    OpenMP threads, so there is nothing to do."""


globals().update({name: _launcher(name) for name in __all__ if name not in globals() and name not in SEQUENCE_LOOPS})
