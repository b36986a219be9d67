"""Dropout loops (CPU) with a counter-based generator; the front (front.py) checks and allocates.

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


def dropout_forward(x, y, mask, uint32_t threshold, double scale, uint64_t seed, uint64_t offset):
    """y = x * (scale if kept else 0); mask = 1 where kept. x, y, mask: C-contiguous, one shape; an
    element is dropped when its Philox word is below ``threshold`` (= p * 2**32, p < 1)."""
    if x.dtype == np.float32:
        _dropout_forward[float](x.reshape(-1), y.reshape(-1), mask.reshape(-1), threshold, scale, seed, offset)
    else:
        _dropout_forward[double](x.reshape(-1), y.reshape(-1), mask.reshape(-1), threshold, scale, seed, offset)


def dropout_backward(gy, mask, gx, double scale):
    """gx = gy * (scale if mask else 0)."""
    if gy.dtype == np.float32:
        _dropout_backward[float](gy.reshape(-1), mask.reshape(-1), gx.reshape(-1), scale)
    else:
        _dropout_backward[double](gy.reshape(-1), mask.reshape(-1), gx.reshape(-1), scale)


def philox4x32(uint64_t block, uint64_t offset, uint64_t seed):
    """The four 32-bit words for one counter block (exposed for tests and the GPU parity check)."""
    cdef uint32_t out[4]
    philox4x32_10(block, offset, seed, out)
    return [out[0], out[1], out[2], out[3]]


cdef void _dropout_forward(const real[::1] x, real[::1] y, uint8_t[::1] mask, uint32_t threshold,
                           double scale, uint64_t seed, uint64_t offset) noexcept nogil:
    cdef Py_ssize_t n = x.shape[0], width = 4 * PHILOX_BATCH, group, groups = (n + width - 1) // width
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for group in prange(groups, schedule="static"):
                _dropout_group(&x[0], &y[0], &mask[0], n, group, threshold, <real>scale, seed, offset)
        else:
            for group in range(groups):
                _dropout_group(&x[0], &y[0], &mask[0], n, group, threshold, <real>scale, seed, offset)


cdef inline void _dropout_group(const real* x, real* y, uint8_t* mask, Py_ssize_t n, Py_ssize_t group,
                                uint32_t threshold, real scale, uint64_t seed, uint64_t offset) noexcept nogil:
    """Elements of PHILOX_BATCH consecutive counter blocks (4 elements each)."""
    cdef uint32_t words[4 * PHILOX_BATCH]
    cdef Py_ssize_t j, start = group * 4 * PHILOX_BATCH, count = min(4 * PHILOX_BATCH, n - start)
    cdef bint keep
    philox4x32_10_batch(start // 4, offset, seed, words)
    for j in range(count):
        keep = words[j] >= threshold
        mask[start + j] = keep
        # a multiply by 0, not a select: a dropped NaN stays NaN (as torch's x * mask / (1 - p))
        y[start + j] = x[start + j] * (scale if keep else 0)


cdef void _dropout_backward(const real[::1] gy, const uint8_t[::1] mask, real[::1] gx, double scale) noexcept nogil:
    cdef Py_ssize_t i, n = gy.shape[0]
    cdef real s = <real>scale
    with nogil:
        if n > PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = _kept(gy[i], mask[i], s)
        else:
            for i in range(n):
                gx[i] = _kept(gy[i], mask[i], s)


cdef inline real _kept(real g, uint8_t keep, real scale) noexcept nogil:
    return g * (scale if keep else 0)  # NaN in g stays NaN, as torch's gy * mask / (1 - p)
