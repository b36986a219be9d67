"""Convolution loops (CPU): im2col and col2im over a chunk of the batch.

The column matrix of a chunk of n samples has shape (C * KH * KW, n * OH * OW): row
(c * KH + kh) * KW + kw holds, for every sample and output position, the input value that kernel
tap (c, kh, kw) meets (0 in the padding). Samples sit side by side along the columns, so a whole
chunk is one GEMM: ``weight (O, C*KH*KW) @ cols`` for the output, ``gy @ cols.T`` for the weight
gradient and ``weight.T @ gy`` for the columns' gradient, which col2im folds back into the input.

The loops take validated C-contiguous arrays and preallocated outputs; they check and allocate
nothing (the front, ``front/``, does). Padding is given as the top and left offsets; the output
size (OH, OW) fixes the bottom and right padding, so asymmetric padding ("same" with an even
kernel) needs nothing more. Threads take (sample, channel) pairs: no two write the same memory.
The pairs run channel by channel, samples innermost: consecutive pairs then touch consecutive
stretches of each column row, where sample-major order touched one short stretch per row, rows a
page or more apart (3x slower im2col and col2im on 4x4 and 8x8 outputs, one thread).
"""
from cython.parallel cimport prange
from libc.string cimport memset

from ._types cimport PARALLEL_MIN, real


def im2col(const real[:, :, :, ::1] x, real[:, ::1] cols, Py_ssize_t kernel_h, Py_ssize_t kernel_w,
           Py_ssize_t stride_h, Py_ssize_t stride_w, Py_ssize_t pad_h, Py_ssize_t pad_w, Py_ssize_t dilation_h,
           Py_ssize_t dilation_w, Py_ssize_t out_h, Py_ssize_t out_w):
    """Fill cols (C * KH * KW, n * OH * OW) from x (n, C, H, W)."""
    _im2col(x, cols, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w)


def col2im(const real[:, ::1] cols, real[:, :, :, ::1] gx, Py_ssize_t kernel_h, Py_ssize_t kernel_w,
           Py_ssize_t stride_h, Py_ssize_t stride_w, Py_ssize_t pad_h, Py_ssize_t pad_w, Py_ssize_t dilation_h,
           Py_ssize_t dilation_w, Py_ssize_t out_h, Py_ssize_t out_w):
    """Overwrite gx (n, C, H, W) with the sum, over kernel taps, of the column entries that read
    each input position (the adjoint of im2col)."""
    _col2im(cols, gx, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w)


# [lo, hi): the outputs o in [0, count) whose input index o * stride + offset is in [0, size). Two
# functions returning values, not one writing through pointers: inside a prange, Cython makes a
# variable thread-private only when the loop body assigns it, so lo and hi must be assigned there.
cdef inline Py_ssize_t _valid_hi(Py_ssize_t offset, Py_ssize_t stride, Py_ssize_t size,
                                 Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t hi = (size - offset + stride - 1) // stride if size > offset else 0
    return count if hi > count else hi


cdef inline Py_ssize_t _valid_lo(Py_ssize_t offset, Py_ssize_t stride, Py_ssize_t hi) noexcept nogil:
    cdef Py_ssize_t lo = 0 if offset >= 0 else (-offset + stride - 1) // stride
    return hi if lo > hi else lo


cdef void _im2col(const real[:, :, :, ::1] x, real[:, ::1] cols, Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t SH,
                  Py_ssize_t SW, Py_ssize_t PH, Py_ssize_t PW, Py_ssize_t DH, Py_ssize_t DW, Py_ssize_t OH,
                  Py_ssize_t OW) noexcept nogil:
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3], L = OH * OW
    cdef Py_ssize_t job, n, c, kh, kw, oh, ow, ih, w_offset, lo, hi
    cdef real* dst
    cdef const real* src
    for job in prange(N * C, schedule="static", use_threads_if=N * C * KH * KW * L > PARALLEL_MIN):
        c = job // N
        n = job % N
        for kh in range(KH):
            for kw in range(KW):
                w_offset = kw * DW - PW
                hi = _valid_hi(w_offset, SW, W, OW)
                lo = _valid_lo(w_offset, SW, hi)
                # a whole output plane per tap, in plain loops: with short rows (OW of 4 to 16 in
                # strided and transposed convolutions) three memset calls per row cost more than the copy
                dst = &cols[(c * KH + kh) * KW + kw, n * L]
                for oh in range(OH):
                    ih = oh * SH - PH + kh * DH
                    if ih < 0 or ih >= H:
                        for ow in range(OW):
                            dst[ow] = 0
                    else:
                        src = &x[n, c, ih, 0]
                        for ow in range(lo):
                            dst[ow] = 0
                        for ow in range(lo, hi):
                            dst[ow] = src[ow * SW + w_offset]
                        for ow in range(hi, OW):
                            dst[ow] = 0
                    dst = dst + OW


cdef void _col2im(const real[:, ::1] cols, real[:, :, :, ::1] gx, Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t SH,
                  Py_ssize_t SW, Py_ssize_t PH, Py_ssize_t PW, Py_ssize_t DH, Py_ssize_t DW, Py_ssize_t OH,
                  Py_ssize_t OW) noexcept nogil:
    cdef Py_ssize_t N = gx.shape[0], C = gx.shape[1], H = gx.shape[2], W = gx.shape[3], L = OH * OW
    cdef Py_ssize_t job, n, c, kh, kw, oh, ow, ih, w_offset, lo, hi
    cdef const real* src
    cdef real* dst
    for job in prange(N * C, schedule="static", use_threads_if=N * C * KH * KW * L > PARALLEL_MIN):
        c = job // N
        n = job % N
        memset(&gx[n, c, 0, 0], 0, H * W * sizeof(real))
        for kh in range(KH):
            for kw in range(KW):
                w_offset = kw * DW - PW
                hi = _valid_hi(w_offset, SW, W, OW)
                lo = _valid_lo(w_offset, SW, hi)
                src = &cols[(c * KH + kh) * KW + kw, n * L]  # the tap's plane, row by row as in _im2col
                for oh in range(OH):
                    ih = oh * SH - PH + kh * DH
                    if ih >= 0 and ih < H:
                        dst = &gx[n, c, ih, 0]
                        for ow in range(lo, hi):
                            dst[ow * SW + w_offset] += src[ow]
                    src = src + OW
