"""Dropout loops (CPU) with a counter-based generator; the front (front/) checks and allocates.

Element i keeps its value when word (i % 4) of Philox-4x32-10(counter = (i // 4, offset),
key = seed) is >= p * 2**32. The mask is a pure function of (seed, offset, i): the same for any
thread count and bit-identical to the GPU kernel. The keep/scale rule is dropout.h's, shared with
cuda/dropout.cu.
"""
from cython.parallel cimport prange
from libc.stdint cimport uint8_t, uint32_t, uint64_t

cdef extern from "philox.h":
    enum: PHILOX_BATCH
    void philox4x32_10(uint64_t block, uint64_t offset, uint64_t seed, uint32_t* out) nogil
    void philox4x32_10_batch(uint64_t first, uint64_t offset, uint64_t seed, uint32_t* out) nogil

cdef extern from "dropout.h" nogil:
    int dropout_keeps(unsigned int word, unsigned long long threshold)
    float dropout_apply_float(float v, int keep, float scale)
    double dropout_apply_double(double v, int keep, double scale)

from ._types cimport PARALLEL_MIN, real


def dropout_forward(const real[::1] x, real[::1] y, uint8_t[::1] mask, uint32_t threshold, double scale,
                    uint64_t seed, uint64_t offset):
    """y = x * (scale if kept else 0); mask = 1 where kept. x, y, mask: flat C-contiguous, one length;
    an element is dropped when its Philox word is below ``threshold`` (= p * 2**32, p < 1)."""
    cdef Py_ssize_t n = x.shape[0], width = 4 * PHILOX_BATCH, group, groups = (n + width - 1) // width
    with nogil:
        if n > PARALLEL_MIN:  # a plain loop below (see _types.pxd)
            for group in prange(groups, schedule="static"):
                _dropout_group(&x[0], &y[0], &mask[0], n, group, threshold, <real>scale, seed, offset)
        else:
            for group in range(groups):
                _dropout_group(&x[0], &y[0], &mask[0], n, group, threshold, <real>scale, seed, offset)


def dropout_backward(const real[::1] gy, const uint8_t[::1] mask, real[::1] gx, double scale):
    """gx = gy * (scale if mask else 0)."""
    cdef Py_ssize_t i, n = gy.shape[0]
    cdef real s = <real>scale
    with nogil:
        if n > PARALLEL_MIN:
            for i in prange(n, schedule="static"):
                gx[i] = _apply(gy[i], mask[i], s)
        else:
            for i in range(n):
                gx[i] = _apply(gy[i], mask[i], s)


def philox4x32(uint64_t block, uint64_t offset, uint64_t seed):
    """The four 32-bit words for one counter block (exposed for tests and the GPU parity check)."""
    cdef uint32_t out[4]
    philox4x32_10(block, offset, seed, out)
    return [out[0], out[1], out[2], out[3]]


cdef inline void _dropout_group(const real* x, real* y, uint8_t* mask, Py_ssize_t n, Py_ssize_t group,
                                uint32_t threshold, real scale, uint64_t seed, uint64_t offset) noexcept nogil:
    """Elements of PHILOX_BATCH consecutive counter blocks (4 elements each)."""
    cdef uint32_t words[4 * PHILOX_BATCH]
    cdef Py_ssize_t j, start = group * 4 * PHILOX_BATCH, count = min(4 * PHILOX_BATCH, n - start)
    cdef bint keep
    philox4x32_10_batch(start // 4, offset, seed, words)
    for j in range(count):
        keep = dropout_keeps(words[j], threshold)
        mask[start + j] = keep
        y[start + j] = _apply(x[start + j], keep, scale)


cdef inline real _apply(real v, bint keep, real scale) noexcept nogil:
    if real is float:
        return dropout_apply_float(v, keep, scale)
    return dropout_apply_double(v, keep, scale)
