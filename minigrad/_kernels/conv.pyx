"""Convolution loops (CPU): the tiled convolution (forward, weight gradient, input gradient), and
im2col / col2im for unfold and fold.

The column matrix of n samples has shape (C * KH * KW, n * OH * OW): row (c * KH + kh) * KW + kw
holds, for every sample and output position, the input value that kernel tap (c, kh, kw) meets (0 in
the padding). The convolution never builds it whole. Its work is split into tiles, a tile being
``rows`` consecutive output rows of one sample; a thread packs the tile's columns (per group: C / G *
KH * KW rows, rows * OW columns) into its own buffer of about TILE_BYTES, small enough to stay in
cache between the packing and the GEMM that reads it, and calls GEMM on its own thread (blas.pxd):

    forward          y[n, group, tile] = weight[group] @ cols (+ bias, written first: beta = 1)
    weight gradient  gweight[group] += gy[n, group, tile] @ cols.T
    input gradient   cols = weight[group].T @ gy[n, group, tile], added back into gx (col2im)

A 1x1 kernel with stride 1 and no padding needs no packing: the input (output) rows of a tile are
its column matrix already, with the image's plane size as row stride.

Results do not depend on the number of threads or on which thread runs which tile: the forward
writes disjoint outputs; the weight gradient sums into WEIGHT_BLOCKS partial sums, each over a fixed
range of tiles in order, then added in block order; in the input gradient the tiles of a sample
overlap in the input (a tile reads (KH - 1) * DH rows beyond its own), so even tiles run first, then
odd ones, with tiles tall enough that tiles two apart never share an input row: each input entry
receives its sums in a fixed order and no two threads write it at once.

The loops take validated C-contiguous arrays and preallocated outputs; they check and allocate
nothing beyond their scratch (the front, ``front/``, checks). Padding is given as the top and left
offsets; the output size (OH, OW) fixes the bottom and right padding, so asymmetric padding ("same"
with an even kernel) needs nothing more.
"""
import numpy as np

from cython.parallel cimport prange, threadid
from libc.string cimport memcpy, memset

from ._types cimport PARALLEL_MIN, block_start, minigrad_max_threads, real
from .blas cimport gemm

# The columns of a tile: as many as TILE_BYTES of column buffer hold, at least MIN_TILE_COLUMNS
# (narrower GEMMs run far below BLAS's rate: it repacks the weight for every call). Measured on the
# bench's convolutions (2-core EPYC, one-thread OpenBLAS sgemm): 3x3 layers gain up to 12% from
# 256 KiB to 1 MiB and nothing beyond; 4x4 DCGAN outputs need several samples per tile. Module
# globals, so that tests can shrink tiles to reach their edges.
TILE_BYTES = 1 << 20
MIN_TILE_COLUMNS = 256
DTYPES = (np.float32, np.float64)  # by ``real is double``

cdef enum:
    WEIGHT_BLOCKS = 8  # partial sums of the weight gradient (a fixed count: see the module docstring)


cdef struct Geometry:
    Py_ssize_t KH, KW, SH, SW, PH, PW, DH, DW, OH, OW  # kernel, stride, top/left padding, dilation, output
    Py_ssize_t N, H, W  # batch, input size
    Py_ssize_t groups, Cg, Og, Kg  # groups; input channels, output channels and column rows per group
    Py_ssize_t stack, stacks  # samples per tile (small images: several whole ones), stacks of the batch
    Py_ssize_t rows, tiles  # output rows per tile, tiles per stack
    Py_ssize_t width  # the most columns of a tile: stack * rows * OW
    bint direct  # 1x1, stride 1, no padding, one sample per tile: the input is its own column matrix


def conv_forward(const real[:, :, :, ::1] x, const real[:, :, ::1] weight, const real[::1] bias,
                 real[:, :, :, ::1] y, Py_ssize_t kernel_h, Py_ssize_t kernel_w, Py_ssize_t stride_h,
                 Py_ssize_t stride_w, Py_ssize_t pad_h, Py_ssize_t pad_w, Py_ssize_t dilation_h, Py_ssize_t dilation_w,
                 Py_ssize_t out_h, Py_ssize_t out_w):
    """Fill y (N, O, OH, OW) with the cross-correlation of x (N, C, H, W) with weight (groups, O //
    groups, C // groups * KH * KW), plus bias (O,) or None."""
    cdef Geometry g = _geometry(x.shape[0], x.shape[1], x.shape[2], x.shape[3], weight.shape[0], weight.shape[1],
                                sizeof(real), kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h,
                                dilation_w, out_h, out_w)
    cdef const real* bias_data = NULL
    cdef Py_ssize_t N = x.shape[0], jobs = g.stacks * g.tiles, job
    if N == 0 or y.shape[1] == 0 or g.OH * g.OW == 0:
        return
    if bias is not None:
        bias_data = &bias[0]
    cdef real[:, ::1] scratch = _scratch(g, DTYPES[real is double])
    with nogil:
        for job in prange(jobs, schedule="dynamic", use_threads_if=_parallel(g)):
            _forward_tile(&x[0, 0, 0, 0], &weight[0, 0, 0], bias_data, &y[0, 0, 0, 0], &scratch[threadid(), 0], &g,
                          job // g.tiles, job % g.tiles)


def conv_weight_gradient(const real[:, :, :, ::1] x, const real[:, :, :, ::1] gy, real[:, :, ::1] gweight,
                         Py_ssize_t kernel_h, Py_ssize_t kernel_w, Py_ssize_t stride_h, Py_ssize_t stride_w,
                         Py_ssize_t pad_h, Py_ssize_t pad_w, Py_ssize_t dilation_h, Py_ssize_t dilation_w,
                         Py_ssize_t out_h, Py_ssize_t out_w):
    """Overwrite gweight (groups, O // groups, C // groups * KH * KW) with the weight gradient of
    conv_forward for the input x (N, C, H, W) and the output gradient gy (N, O, OH, OW)."""
    cdef Geometry g = _geometry(x.shape[0], x.shape[1], x.shape[2], x.shape[3], gweight.shape[0], gweight.shape[1],
                                sizeof(real), kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h,
                                dilation_w, out_h, out_w)
    cdef Py_ssize_t jobs = g.stacks * g.tiles if g.OH * g.OW else 0, size = gweight.size
    cdef Py_ssize_t blocks = min(jobs, <Py_ssize_t>WEIGHT_BLOCKS), block, job, i, b
    if size == 0:
        return
    if blocks == 0:
        memset(&gweight[0, 0, 0], 0, size * sizeof(real))
        return
    cdef real[:, ::1] scratch = _scratch(g, DTYPES[real is double])
    cdef real[:, ::1] partial = np.empty((blocks, size), DTYPES[real is double])
    cdef real total
    with nogil:
        for block in prange(blocks, schedule="dynamic", use_threads_if=_parallel(g)):
            memset(&partial[block, 0], 0, size * sizeof(real))
            for job in range(block_start(block, blocks, jobs), block_start(block + 1, blocks, jobs)):
                _weight_gradient_tile(&x[0, 0, 0, 0], &gy[0, 0, 0, 0], &partial[block, 0], &scratch[threadid(), 0],
                                      &g, job // g.tiles, job % g.tiles)
        for i in range(size):
            total = partial[0, i]
            for b in range(1, blocks):
                total = total + partial[b, i]
            (&gweight[0, 0, 0])[i] = total


def conv_input_gradient(const real[:, :, :, ::1] gy, const real[:, :, ::1] weight, real[:, :, :, ::1] gx,
                        Py_ssize_t kernel_h, Py_ssize_t kernel_w, Py_ssize_t stride_h, Py_ssize_t stride_w,
                        Py_ssize_t pad_h, Py_ssize_t pad_w, Py_ssize_t dilation_h, Py_ssize_t dilation_w,
                        Py_ssize_t out_h, Py_ssize_t out_w):
    """Overwrite gx (N, C, H, W) with the input gradient of conv_forward for the output gradient gy
    (N, O, OH, OW) and weight (groups, O // groups, C // groups * KH * KW)."""
    cdef Geometry g = _geometry(gx.shape[0], gx.shape[1], gx.shape[2], gx.shape[3], weight.shape[0], weight.shape[1],
                                sizeof(real), kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h,
                                dilation_w, out_h, out_w)
    cdef Py_ssize_t N = gx.shape[0], plane = gx.shape[1] * gx.shape[2] * gx.shape[3]
    cdef Py_ssize_t phases = 1 if g.direct else 2, phase, phase_tiles, job, n
    if N == 0 or plane == 0:
        return
    cdef bint empty = g.OH * g.OW * g.Og == 0
    cdef real[:, ::1] scratch = _scratch(g, DTYPES[real is double])
    with nogil:
        if not g.direct or empty:  # tiles add into gx; direct tiles overwrite theirs
            for n in prange(N, schedule="static", use_threads_if=_parallel(g)):
                memset(&gx[n, 0, 0, 0], 0, plane * sizeof(real))
        for phase in range(0 if empty else phases):
            phase_tiles = (g.tiles - phase + phases - 1) // phases
            for job in prange(g.stacks * phase_tiles, schedule="dynamic", use_threads_if=_parallel(g)):
                _input_gradient_tile(&gy[0, 0, 0, 0], &weight[0, 0, 0], &gx[0, 0, 0, 0], &scratch[threadid(), 0], &g,
                                     job // phase_tiles, (job % phase_tiles) * phases + phase)


def im2col(const real[:, :, :, ::1] x, real[:, ::1] cols, Py_ssize_t kernel_h, Py_ssize_t kernel_w,
           Py_ssize_t stride_h, Py_ssize_t stride_w, Py_ssize_t pad_h, Py_ssize_t pad_w, Py_ssize_t dilation_h,
           Py_ssize_t dilation_w, Py_ssize_t out_h, Py_ssize_t out_w):
    """Fill cols (C * KH * KW, n * OH * OW) from x (n, C, H, W)."""
    cdef Geometry g = _geometry(x.shape[0], x.shape[1], x.shape[2], x.shape[3], 1, 0, sizeof(real), kernel_h, kernel_w,
                                stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w)
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], L = out_h * out_w, job, n, c
    if cols.shape[1] == 0:
        return
    # jobs channel by channel, samples innermost: consecutive jobs then fill consecutive stretches of
    # each column row (sample-major order made im2col and col2im 3x slower on 4x4 and 8x8 outputs)
    for job in prange(N * C, schedule="static", nogil=True, use_threads_if=N * C * g.Kg * L > PARALLEL_MIN):
        c = job // N
        n = job % N
        _pack_channel(&x[n, c, 0, 0], &cols[c * g.KH * g.KW, n * L], N * L, 0, out_h, &g)


def col2im(const real[:, ::1] cols, real[:, :, :, ::1] gx, Py_ssize_t kernel_h, Py_ssize_t kernel_w,
           Py_ssize_t stride_h, Py_ssize_t stride_w, Py_ssize_t pad_h, Py_ssize_t pad_w, Py_ssize_t dilation_h,
           Py_ssize_t dilation_w, Py_ssize_t out_h, Py_ssize_t out_w):
    """Overwrite gx (n, C, H, W) with the sum, over kernel taps, of the column entries that read
    each input position (the adjoint of im2col)."""
    cdef Geometry g = _geometry(gx.shape[0], gx.shape[1], gx.shape[2], gx.shape[3], 1, 0, sizeof(real), kernel_h,
                                kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w)
    cdef Py_ssize_t N = gx.shape[0], C = gx.shape[1], L = out_h * out_w, job, n, c
    for job in prange(N * C, schedule="static", nogil=True, use_threads_if=N * C * g.Kg * L > PARALLEL_MIN):
        c = job // N
        n = job % N
        memset(&gx[n, c, 0, 0], 0, g.H * g.W * sizeof(real))
        if L:
            _unpack_channel(&cols[c * g.KH * g.KW, n * L], N * L, &gx[n, c, 0, 0], 0, out_h, &g)


cdef Geometry _geometry(Py_ssize_t N, Py_ssize_t C, Py_ssize_t H, Py_ssize_t W, Py_ssize_t groups, Py_ssize_t Og,
                        Py_ssize_t itemsize, Py_ssize_t KH, Py_ssize_t KW, Py_ssize_t SH, Py_ssize_t SW, Py_ssize_t PH,
                        Py_ssize_t PW, Py_ssize_t DH, Py_ssize_t DW, Py_ssize_t OH, Py_ssize_t OW):
    cdef Geometry g
    g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, g.OH, g.OW = KH, KW, SH, SW, PH, PW, DH, DW, OH, OW
    g.N, g.H, g.W, g.groups, g.Og = N, H, W, groups, Og
    g.Cg = C // groups
    g.Kg = g.Cg * KH * KW
    cdef Py_ssize_t columns = max(1, MIN_TILE_COLUMNS, TILE_BYTES // (max(g.Kg, 1) * itemsize))
    cdef Py_ssize_t L = max(OH * OW, 1)
    # tiles two apart must not share an input row (see the module docstring): rows * SH > (KH - 1) * DH - SH
    cdef Py_ssize_t fewest = max(1, ((KH - 1) * DH - SH) // SH + 1)
    g.stack = max(1, min(N, columns // L))
    g.stacks = (N + g.stack - 1) // g.stack
    g.rows = max(OH, 1) if g.stack > 1 else min(max(OH, 1), max(fewest, columns // max(OW, 1)))
    g.tiles = (OH + g.rows - 1) // g.rows
    g.width = g.stack * g.rows * OW
    g.direct = (KH == 1 and KW == 1 and SH == 1 and SW == 1 and PH == 0 and PW == 0 and OH == H and OW == W
                and g.stack == 1)
    return g


cdef object _scratch(Geometry g, dtype):
    """One buffer per thread: a tile's columns (none where direct), then its output or output
    gradient gathered from a stack of samples (none for one sample)."""
    cdef Py_ssize_t columns = 0 if g.direct else g.Kg * g.width, gathered = 0 if g.stack == 1 else g.Og * g.width
    return np.empty((minigrad_max_threads(), max(1, columns + gathered)), dtype)


cdef inline bint _parallel(Geometry g) noexcept nogil:
    return g.N * g.groups * g.Og * g.Kg * g.OH * g.OW > PARALLEL_MIN


# A tile: output rows [first, last) of samples [n, n + count) (count > 1: whole images, first = 0,
# last = OH), width = count * (last - first) * OW columns; its output (gradient) is the matrix
# (Og, width) of a group, in place for one sample (row stride L), else gathered into scratch.
cdef struct Tile:
    Py_ssize_t n, count, first, last, width


cdef inline Tile _tile(Geometry* g, Py_ssize_t stack, Py_ssize_t tile) noexcept nogil:
    cdef Tile t
    t.n = stack * g.stack
    t.count = min(g.stack, g.N - t.n)
    t.first = tile * g.rows
    t.last = min(g.OH, t.first + g.rows)
    t.width = t.count * (t.last - t.first) * g.OW
    return t


cdef inline void _forward_tile(const real* x, const real* weight, const real* bias, real* y, real* scratch,
                               Geometry* g, Py_ssize_t stack, Py_ssize_t tile) noexcept nogil:
    cdef Tile t = _tile(g, stack, tile)
    cdef Py_ssize_t L = g.OH * g.OW, group, o, i
    cdef const real* b
    cdef real* out
    cdef Py_ssize_t ldc = L if t.count == 1 else t.width
    cdef real beta = 0
    for group in range(g.groups):
        b = _tile_columns(x, scratch, g, &t, group)
        out = y + (t.n * g.groups + group) * g.Og * L + t.first * g.OW if t.count == 1 else scratch + g.Kg * g.width
        if bias != NULL:
            beta = 1
            for o in range(g.Og):
                for i in range(t.width):
                    out[o * ldc + i] = bias[group * g.Og + o]
        gemm(False, False, g.Og, t.width, g.Kg, 1, weight + group * g.Og * g.Kg, g.Kg, b, _ld(g, &t), beta, out, ldc)
        if t.count > 1:
            _move_stack(out, y + (t.n * g.groups + group) * g.Og * L, g, &t, True)


cdef inline void _weight_gradient_tile(const real* x, const real* gy, real* gweight, real* scratch, Geometry* g,
                                       Py_ssize_t stack, Py_ssize_t tile) noexcept nogil:
    cdef Tile t = _tile(g, stack, tile)
    cdef Py_ssize_t group
    cdef const real* b
    for group in range(g.groups):
        b = _tile_columns(x, scratch, g, &t, group)
        gemm(False, True, g.Og, g.Kg, t.width, 1, _tile_gradient(gy, scratch, g, &t, group),
             g.OH * g.OW if t.count == 1 else t.width, b, _ld(g, &t), 1, gweight + group * g.Og * g.Kg, g.Kg)


cdef inline void _input_gradient_tile(const real* gy, const real* weight, real* gx, real* scratch, Geometry* g,
                                      Py_ssize_t stack, Py_ssize_t tile) noexcept nogil:
    cdef Tile t = _tile(g, stack, tile)
    cdef Py_ssize_t plane = g.H * g.W, lda = g.OH * g.OW if t.count == 1 else t.width, group, i, c
    cdef real* image
    cdef real* cols
    cdef Py_ssize_t span = (t.last - t.first) * g.OW  # one sample's columns
    for group in range(g.groups):
        image = gx + (t.n * g.groups + group) * g.Cg * plane
        # direct: the tile's rows of gx are its columns, and the product lands in place
        cols = image + t.first * g.OW if g.direct else scratch
        gemm(True, False, g.Kg, t.width, g.Og, 1, weight + group * g.Og * g.Kg, g.Kg,
             _tile_gradient(gy, scratch, g, &t, group), lda, 0, cols, _ld(g, &t))
        if not g.direct:
            for i in range(t.count):
                for c in range(g.Cg):
                    _unpack_channel(cols + c * g.KH * g.KW * t.width + i * span, t.width,
                                    image + (i * g.groups * g.Cg + c) * plane, t.first, t.last, g)


cdef inline Py_ssize_t _ld(Geometry* g, Tile* t) noexcept nogil:
    """The row stride of a tile's column matrix."""
    return g.H * g.W if g.direct else t.width


cdef inline const real* _tile_columns(const real* x, real* cols, Geometry* g, Tile* t, Py_ssize_t group) noexcept nogil:
    """The column matrix (Kg, width) of a tile for one group: packed into cols, or in place (direct)."""
    cdef Py_ssize_t span = (t.last - t.first) * g.OW, plane = g.H * g.W, i, c
    cdef const real* image
    for i in range(t.count):
        image = x + ((t.n + i) * g.groups + group) * g.Cg * plane
        if g.direct:
            return image + t.first * g.OW
        for c in range(g.Cg):
            _pack_channel(image + c * plane, cols + c * g.KH * g.KW * t.width + i * span, t.width, t.first, t.last, g)
    return cols


cdef inline const real* _tile_gradient(const real* gy, real* scratch, Geometry* g, Tile* t,
                                       Py_ssize_t group) noexcept nogil:
    """The output gradient (Og, width) of a tile for one group: in place (one sample; row stride
    OH * OW) or gathered after the tile's columns in scratch (row stride width)."""
    cdef Py_ssize_t L = g.OH * g.OW
    cdef const real* block = gy + (t.n * g.groups + group) * g.Og * L
    if t.count == 1:
        return block + t.first * g.OW
    _move_stack(scratch + g.Kg * g.width, <real*>block, g, t, False)
    return scratch + g.Kg * g.width


cdef inline void _move_stack(real* matrix, real* images, Geometry* g, Tile* t, bint to_images) noexcept nogil:
    """Copy between a stack's matrix (Og, width), whole images side by side, and the images' Og
    channels of one group (images: the first sample's first channel of the group)."""
    cdef Py_ssize_t L = g.OH * g.OW, i, o
    cdef real* image
    for i in range(t.count):
        for o in range(g.Og):
            image = images + (i * g.groups * g.Og + o) * L
            if to_images:
                memcpy(image, matrix + o * t.width + i * L, L * sizeof(real))
            else:
                memcpy(matrix + o * t.width + i * L, image, L * sizeof(real))


# [lo, hi): the outputs o in [0, count) whose input index o * stride + offset is in [0, size)
cdef inline Py_ssize_t _valid_hi(Py_ssize_t offset, Py_ssize_t stride, Py_ssize_t size,
                                 Py_ssize_t count) noexcept nogil:
    cdef Py_ssize_t hi = (size - offset + stride - 1) // stride if size > offset else 0
    return count if hi > count else hi


cdef inline Py_ssize_t _valid_lo(Py_ssize_t offset, Py_ssize_t stride, Py_ssize_t hi) noexcept nogil:
    cdef Py_ssize_t lo = 0 if offset >= 0 else (-offset + stride - 1) // stride
    return hi if lo > hi else lo


cdef inline void _pack_channel(const real* plane, real* dst, Py_ssize_t ld, Py_ssize_t first, Py_ssize_t last,
                               Geometry* g) noexcept nogil:
    """The KH * KW column rows (row stride ld) of one input plane (H, W) for output rows [first, last)."""
    cdef Py_ssize_t kh, kw, oh, ow, ih, w_offset, lo, hi
    cdef const real* src
    cdef real* row
    for kh in range(g.KH):
        for kw in range(g.KW):
            w_offset = kw * g.DW - g.PW
            hi = _valid_hi(w_offset, g.SW, g.W, g.OW)
            lo = _valid_lo(w_offset, g.SW, hi)
            row = dst + (kh * g.KW + kw) * ld
            # plain loops: with short rows (OW of 4 to 16 in strided and transposed convolutions) three
            # memset calls per row cost more than the copy
            for oh in range(first, last):
                ih = oh * g.SH - g.PH + kh * g.DH
                if ih < 0 or ih >= g.H:
                    for ow in range(g.OW):
                        row[ow] = 0
                else:
                    src = plane + ih * g.W + w_offset
                    for ow in range(lo):
                        row[ow] = 0
                    if g.SW == 1:
                        memcpy(row + lo, src + lo, (hi - lo) * sizeof(real))
                    else:
                        for ow in range(lo, hi):
                            row[ow] = src[ow * g.SW]
                    for ow in range(hi, g.OW):
                        row[ow] = 0
                row = row + g.OW


cdef inline void _unpack_channel(const real* src, Py_ssize_t ld, real* plane, Py_ssize_t first, Py_ssize_t last,
                                 Geometry* g) noexcept nogil:
    """Add the KH * KW column rows (row stride ld) of output rows [first, last) into the input plane
    (H, W) that they read (the adjoint of _pack_channel)."""
    cdef Py_ssize_t kh, kw, oh, ow, ih, w_offset, lo, hi
    cdef const real* row
    cdef real* dst
    for kh in range(g.KH):
        for kw in range(g.KW):
            w_offset = kw * g.DW - g.PW
            hi = _valid_hi(w_offset, g.SW, g.W, g.OW)
            lo = _valid_lo(w_offset, g.SW, hi)
            row = src + (kh * g.KW + kw) * ld
            for oh in range(first, last):
                ih = oh * g.SH - g.PH + kh * g.DH
                if ih >= 0 and ih < g.H:
                    dst = plane + ih * g.W + w_offset
                    for ow in range(lo, hi):
                        dst[ow * g.SW] += row[ow]
                row = row + g.OW
