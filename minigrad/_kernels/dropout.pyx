"""Dropout kernels (CPU) with a counter-based generator.

Element i keeps its value when word (i % 4) of Philox-4x32-10(counter = (i // 4, offset),
key = seed) is >= p * 2**32. The mask is a pure function of (seed, offset, i): the same for any
thread count and bit-identical to the GPU kernel.
"""
import numpy as np

from cython.parallel cimport prange
from libc.stdint cimport uint8_t, uint32_t, uint64_t

cdef extern from "philox.h":
    enum: PHILOX_BATCH
    void philox4x32_10(uint64_t block, uint64_t offset, uint64_t seed, uint32_t* out) nogil
    void philox4x32_10_batch(uint64_t first, uint64_t offset, uint64_t seed, uint32_t* out) nogil

from ._types cimport PARALLEL_MIN, real
from ._checks import check_float_array, check_mask, check_probability, dropout_scale


def dropout_forward(x, double p, uint64_t seed, uint64_t offset):
    """y = x * mask / (1 - p) and the uint8 mask (1 = kept), in one pass.

    x: any shape, float32/float64, C-contiguous; 0 <= p <= 1 (p = 1 drops everything: zeros, never
    NaN); seed and offset select the random stream. Returns (y, mask), both shaped like x.
    """
    check_float_array(x, "x")
    check_probability(p)
    if p >= 1.0:  # everything dropped; also keeps the threshold below 2**32 for the loop
        return np.zeros_like(x), np.zeros(x.shape, dtype=np.uint8)
    y = np.empty_like(x)
    mask = np.empty(x.shape, dtype=np.uint8)
    cdef uint32_t threshold = _threshold(p)
    cdef double scale = dropout_scale(p)
    if x.dtype == np.float32:
        _dropout_forward[float](x.reshape(-1), y.reshape(-1), mask.reshape(-1), threshold, scale, seed, offset)
    else:
        _dropout_forward[double](x.reshape(-1), y.reshape(-1), mask.reshape(-1), threshold, scale, seed, offset)
    return y, mask


def dropout_backward(gy, mask, double p):
    """gx = gy * mask / (1 - p). gy: float32/float64; mask: uint8 of gy's shape."""
    check_float_array(gy, "gy")
    check_probability(p)
    check_mask(mask, gy.shape)
    gx = np.empty_like(gy)
    if gy.dtype == np.float32:
        _dropout_backward[float](gy.reshape(-1), mask.reshape(-1), gx.reshape(-1), dropout_scale(p))
    else:
        _dropout_backward[double](gy.reshape(-1), mask.reshape(-1), gx.reshape(-1), dropout_scale(p))
    return gx


def philox4x32(uint64_t block, uint64_t offset, uint64_t seed):
    """The four 32-bit words for one counter block (exposed for tests and the GPU parity check)."""
    cdef uint32_t out[4]
    philox4x32_10(block, offset, seed, out)
    return [out[0], out[1], out[2], out[3]]


cdef uint32_t _threshold(double p):
    """p * 2**32, for 0 <= p < 1: a word below it drops its element."""
    return <uint32_t>(p * 4294967296.0)


cdef void _dropout_forward(const real[::1] x, real[::1] y, uint8_t[::1] mask, uint32_t threshold,
                           double scale, uint64_t seed, uint64_t offset) noexcept nogil:
    cdef Py_ssize_t n = x.shape[0], width = 4 * PHILOX_BATCH, group
    for group in prange((n + width - 1) // width, schedule="static", use_threads_if=n > PARALLEL_MIN):
        _dropout_group(&x[0], &y[0], &mask[0], n, group, threshold, <real>scale, seed, offset)


cdef inline void _dropout_group(const real* x, real* y, uint8_t* mask, Py_ssize_t n, Py_ssize_t group,
                                uint32_t threshold, real scale, uint64_t seed, uint64_t offset) noexcept nogil:
    """Elements of PHILOX_BATCH consecutive counter blocks (4 elements each)."""
    cdef uint32_t words[4 * PHILOX_BATCH]
    cdef Py_ssize_t j, start = group * 4 * PHILOX_BATCH, count = min(4 * PHILOX_BATCH, n - start)
    cdef bint keep
    cdef real value
    philox4x32_10_batch(start // 4, offset, seed, words)
    for j in range(count):
        keep = words[j] >= threshold
        value = x[start + j] * scale  # computed unconditionally: a select, not a branch
        mask[start + j] = keep
        y[start + j] = value if keep else 0


cdef void _dropout_backward(const real[::1] gy, const uint8_t[::1] mask, real[::1] gx, double scale) noexcept nogil:
    cdef Py_ssize_t i, n = gy.shape[0]
    cdef real s = <real>scale, value
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        value = gy[i] * s  # computed unconditionally: a select, not a branch
        gx[i] = value if mask[i] else 0
