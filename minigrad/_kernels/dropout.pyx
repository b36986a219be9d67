"""Dropout kernels (CPU) with a counter-based generator.

Element i keeps its value when word (i % 4) of Philox-4x32-10(counter = (i // 4, offset),
key = seed) is >= p * 2**32. The mask is a pure function of (seed, offset, i): the same for any
thread count and bit-identical to the GPU kernel.
"""
import numpy as np

from cython.parallel cimport prange
from libc.stdint cimport uint8_t, uint32_t, uint64_t

from ._types cimport PARALLEL_MIN, real
from ._checks import check_float_array, check_mask, check_probability, dropout_scale


def dropout_forward(x, double p, uint64_t seed, uint64_t offset):
    """y = x * mask / (1 - p) and the uint8 mask (1 = kept), in one pass.

    x: any shape, float32/float64, C-contiguous; 0 <= p <= 1 (p = 1 drops everything: zeros, never
    NaN); seed and offset select the random stream. Returns (y, mask), both shaped like x.
    """
    check_float_array(x, "x")
    check_probability(p)
    y = np.empty_like(x)
    mask = np.empty(x.shape, dtype=np.uint8)
    cdef uint64_t threshold = _threshold(p)
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
    _philox(block, offset, seed, out)
    return [out[0], out[1], out[2], out[3]]


cdef uint64_t _threshold(double p):
    return <uint64_t>(p * 4294967296.0)


cdef inline void _philox(uint64_t block, uint64_t offset, uint64_t seed, uint32_t* out) noexcept nogil:
    cdef uint32_t c0 = <uint32_t>block, c1 = <uint32_t>(block >> 32)
    cdef uint32_t c2 = <uint32_t>offset, c3 = <uint32_t>(offset >> 32)
    cdef uint32_t k0 = <uint32_t>seed, k1 = <uint32_t>(seed >> 32)
    cdef uint64_t p0, p1
    cdef int r
    for r in range(10):
        p0 = <uint64_t>0xD2511F53 * c0
        p1 = <uint64_t>0xCD9E8D57 * c2
        c0, c1, c2, c3 = <uint32_t>(p1 >> 32) ^ c1 ^ k0, <uint32_t>p1, <uint32_t>(p0 >> 32) ^ c3 ^ k1, <uint32_t>p0
        k0 = k0 + <uint32_t>0x9E3779B9
        k1 = k1 + <uint32_t>0xBB67AE85
    out[0], out[1], out[2], out[3] = c0, c1, c2, c3


cdef void _dropout_forward(const real[::1] x, real[::1] y, uint8_t[::1] mask, uint64_t threshold,
                           double scale, uint64_t seed, uint64_t offset) noexcept nogil:
    cdef Py_ssize_t n = x.shape[0], blocks = (n + 3) // 4, block
    for block in prange(blocks, schedule="static", use_threads_if=n > PARALLEL_MIN):
        _dropout_block(&x[0], &y[0], &mask[0], n, block, threshold, <real>scale, seed, offset)


cdef inline void _dropout_block(const real* x, real* y, uint8_t* mask, Py_ssize_t n, Py_ssize_t block,
                                uint64_t threshold, real scale, uint64_t seed, uint64_t offset) noexcept nogil:
    cdef uint32_t words[4]
    cdef Py_ssize_t lane, i
    cdef bint keep
    _philox(block, offset, seed, words)
    for lane in range(4):
        i = block * 4 + lane
        if i < n:
            keep = words[lane] >= threshold
            mask[i] = keep
            y[i] = x[i] * scale if keep else 0


cdef void _dropout_backward(const real[::1] gy, const uint8_t[::1] mask, real[::1] gx, double scale) noexcept nogil:
    cdef Py_ssize_t i, n = gy.shape[0]
    cdef real s = <real>scale
    for i in prange(n, schedule="static", use_threads_if=n > PARALLEL_MIN):
        gx[i] = gy[i] * s if mask[i] else 0
