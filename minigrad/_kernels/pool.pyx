"""Pooling loops (CPU): max-pool (keeping each window's argmax for backward), average pool and
adaptive average pool over (N, C, H, W) arrays, viewed as N * C independent planes.

The loops take validated C-contiguous arrays and preallocated outputs; they check and allocate
nothing (the front, ``front/``, does). Threads take planes (n, c): no two write the same memory.
Windows are clipped to the input: max-pool's padding acts as -inf, average pooling's as zeros
(counted in the divisor when ``count_include_pad``, as torch). Sums run in double.
"""
from cython.parallel cimport prange
from libc.math cimport INFINITY
from libc.string cimport memset

from ._types cimport PARALLEL_MIN, real

cdef extern from "pool.h" nogil:
    long long pool_clip(long long v, long long lo, long long hi)
    long long avg_pool_count(long long h0, long long h1, long long w0, long long w1, long long KH, long long KW,
                             int count_include_pad)
    long long adaptive_window_start(long long i, long long size, long long count)
    long long adaptive_window_stop(long long i, long long size, long long count)


def max_pool2d_forward(const real[:, :, :, ::1] x, real[:, :, :, ::1] y, long long[:, :, :, ::1] indices,
                       Py_ssize_t kernel_h, Py_ssize_t kernel_w, Py_ssize_t stride_h, Py_ssize_t stride_w,
                       Py_ssize_t pad_h, Py_ssize_t pad_w):
    """y (N, C, OH, OW): each window's maximum (NaN wins, as torch); indices int64 like y: its
    flat position h * W + w in the input plane."""
    _max_pool_forward(x, y, indices, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w)


def max_pool2d_backward(const real[:, :, :, ::1] gy, const long long[:, :, :, ::1] indices, real[:, :, :, ::1] gx):
    """Overwrite gx (N, C, H, W) with zeros plus each gy entry at its window's argmax."""
    _max_pool_backward(gy, indices, gx)


def avg_pool2d_forward(const real[:, :, :, ::1] x, real[:, :, :, ::1] y, Py_ssize_t kernel_h, Py_ssize_t kernel_w,
                       Py_ssize_t stride_h, Py_ssize_t stride_w, Py_ssize_t pad_h, Py_ssize_t pad_w,
                       bint count_include_pad):
    """y (N, C, OH, OW): each window's mean."""
    _avg_pool(x, y, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, count_include_pad, False)


def avg_pool2d_backward(const real[:, :, :, ::1] gy, real[:, :, :, ::1] gx, Py_ssize_t kernel_h, Py_ssize_t kernel_w,
                        Py_ssize_t stride_h, Py_ssize_t stride_w, Py_ssize_t pad_h, Py_ssize_t pad_w,
                        bint count_include_pad):
    """Overwrite gx (N, C, H, W) with each gy entry spread evenly over its window."""
    _avg_pool(gy, gx, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, count_include_pad, True)


def adaptive_avg_pool2d_forward(const real[:, :, :, ::1] x, real[:, :, :, ::1] y):
    """y (N, C, OH, OW): the mean over window i = [floor(i * H / OH), ceil((i + 1) * H / OH)) (and
    the same along W)."""
    _adaptive_avg_pool(x, y, False)


def adaptive_avg_pool2d_backward(const real[:, :, :, ::1] gy, real[:, :, :, ::1] gx):
    """Overwrite gx (N, C, H, W) with each gy entry spread evenly over its adaptive window."""
    _adaptive_avg_pool(gy, gx, True)


cdef void _max_pool_forward(const real[:, :, :, ::1] x, real[:, :, :, ::1] y, long long[:, :, :, ::1] indices,
                            Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t SH, Py_ssize_t SW, Py_ssize_t PH,
                            Py_ssize_t PW) noexcept nogil:
    cdef Py_ssize_t C = x.shape[1], P = x.shape[0] * C, H = x.shape[2], W = x.shape[3]
    cdef Py_ssize_t OH = y.shape[2], OW = y.shape[3], p, oh, ow, h, w, h0, h1, w0, w1, best_index
    cdef real value, best
    cdef const real* plane
    cdef real* out
    cdef long long* argmax
    for p in prange(P, schedule="static", use_threads_if=P * OH * OW * KH * KW > PARALLEL_MIN):
        plane = &x[p // C, p % C, 0, 0]
        out = &y[p // C, p % C, 0, 0]
        argmax = &indices[p // C, p % C, 0, 0]
        for oh in range(OH):
            h0 = pool_clip(oh * SH - PH, 0, H)
            h1 = pool_clip(oh * SH - PH + KH, 0, H)
            for ow in range(OW):
                w0 = pool_clip(ow * SW - PW, 0, W)
                w1 = pool_clip(ow * SW - PW + KW, 0, W)
                best = -INFINITY
                best_index = h0 * W + w0
                for h in range(h0, h1):
                    for w in range(w0, w1):
                        value = plane[h * W + w]
                        if value > best or value != value:
                            best = value
                            best_index = h * W + w
                out[oh * OW + ow] = best
                argmax[oh * OW + ow] = best_index


cdef void _max_pool_backward(const real[:, :, :, ::1] gy, const long long[:, :, :, ::1] indices,
                             real[:, :, :, ::1] gx) noexcept nogil:
    cdef Py_ssize_t C = gx.shape[1], P = gx.shape[0] * C, H = gx.shape[2], W = gx.shape[3]
    cdef Py_ssize_t OH = gy.shape[2], OW = gy.shape[3], p, o
    cdef real* plane
    cdef const real* grad
    cdef const long long* argmax
    for p in prange(P, schedule="static", use_threads_if=P * H * W > PARALLEL_MIN):
        plane = &gx[p // C, p % C, 0, 0]
        grad = &gy[p // C, p % C, 0, 0]
        argmax = &indices[p // C, p % C, 0, 0]
        memset(plane, 0, H * W * sizeof(real))
        for o in range(OH * OW):
            plane[argmax[o]] += grad[o]


cdef inline void _window_mean(const real* source, real* target, Py_ssize_t width, Py_ssize_t h0, Py_ssize_t h1,
                              Py_ssize_t w0, Py_ssize_t w1, Py_ssize_t count, bint backward) noexcept nogil:
    """Window [h0, h1) x [w0, w1) of a plane of the given width. Forward: source is the input plane,
    target[0] = the window's sum / count. Backward: source[0] is the output's gradient, added / count
    over the window of target, the input gradient's plane."""
    cdef Py_ssize_t h, w
    cdef double total = 0, share
    if backward:
        share = source[0] / <double>count
        for h in range(h0, h1):
            for w in range(w0, w1):
                target[h * width + w] += <real>share
    else:
        for h in range(h0, h1):
            for w in range(w0, w1):
                total += source[h * width + w]
        target[0] = <real>(total / count)


cdef void _avg_pool(const real[:, :, :, ::1] source, real[:, :, :, ::1] target, Py_ssize_t KH, Py_ssize_t KW,
                    Py_ssize_t SH, Py_ssize_t SW, Py_ssize_t PH, Py_ssize_t PW, bint count_include_pad,
                    bint backward) noexcept nogil:
    """Forward: source is the input, target its window means. Backward: source is the output's
    gradient, target the input's, each entry spread over its window. One loop, so the two use
    the same windows."""
    cdef Py_ssize_t C = source.shape[1], P = source.shape[0] * C
    cdef Py_ssize_t H = target.shape[2] if backward else source.shape[2]
    cdef Py_ssize_t W = target.shape[3] if backward else source.shape[3]
    cdef Py_ssize_t OH = source.shape[2] if backward else target.shape[2]
    cdef Py_ssize_t OW = source.shape[3] if backward else target.shape[3]
    cdef Py_ssize_t p, oh, ow, h0, h1, w0, w1, count
    for p in prange(P, schedule="static", use_threads_if=P * OH * OW * KH * KW > PARALLEL_MIN):
        if backward:
            memset(&target[p // C, p % C, 0, 0], 0, H * W * sizeof(real))
        for oh in range(OH):
            h0 = pool_clip(oh * SH - PH, 0, H)
            h1 = pool_clip(oh * SH - PH + KH, 0, H)
            for ow in range(OW):
                w0 = pool_clip(ow * SW - PW, 0, W)
                w1 = pool_clip(ow * SW - PW + KW, 0, W)
                count = avg_pool_count(h0, h1, w0, w1, KH, KW, count_include_pad)
                _window_mean(&source[p // C, p % C, oh, ow] if backward else &source[p // C, p % C, 0, 0],
                             &target[p // C, p % C, 0, 0] if backward else &target[p // C, p % C, oh, ow], W, h0, h1, w0, w1, count, backward)


cdef void _adaptive_avg_pool(const real[:, :, :, ::1] source, real[:, :, :, ::1] target,
                             bint backward) noexcept nogil:
    """As _avg_pool, with window i = [floor(i * H / OH), ceil((i + 1) * H / OH))."""
    cdef Py_ssize_t C = source.shape[1], P = source.shape[0] * C
    cdef Py_ssize_t H = target.shape[2] if backward else source.shape[2]
    cdef Py_ssize_t W = target.shape[3] if backward else source.shape[3]
    cdef Py_ssize_t OH = source.shape[2] if backward else target.shape[2]
    cdef Py_ssize_t OW = source.shape[3] if backward else target.shape[3]
    cdef Py_ssize_t p, oh, ow, h0, h1, w0, w1
    for p in prange(P, schedule="static", use_threads_if=P * H * W > PARALLEL_MIN):
        if backward:
            memset(&target[p // C, p % C, 0, 0], 0, H * W * sizeof(real))
        for oh in range(OH):
            h0 = adaptive_window_start(oh, H, OH)
            h1 = adaptive_window_stop(oh, H, OH)
            for ow in range(OW):
                w0 = adaptive_window_start(ow, W, OW)
                w1 = adaptive_window_stop(ow, W, OW)
                _window_mean(&source[p // C, p % C, oh, ow] if backward else &source[p // C, p % C, 0, 0],
                             &target[p // C, p % C, 0, 0] if backward else &target[p // C, p % C, oh, ow], W, h0, h1, w0, w1,
                             (h1 - h0) * (w1 - w0), backward)
