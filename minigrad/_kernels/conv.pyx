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

A wide 3x3 stride-1 convolution runs its forward and input gradient as Winograd F(2x2, 3x3) instead
(see _winograd below). Narrower layers (every kernel but 1x1) run their forward, and stride-1 ones
their input gradient, as a direct loop vectorised over output channels (see _direct below and
conv_direct.h), and so do column-stride-2 layers of any width their forward; strided layers run
their input gradient as one such loop per stride phase (_direct_strided_adjoint, conv_adjoint.h)
where they are narrow or their output gradient is 16x16 or more (_direct_fits). The weight gradient
runs direct, vectorised over output channels too, wherever a job has enough pixels (see
_direct_weight_gradient below and conv_weight.h).

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

from ._types cimport (PARALLEL_MIN, block_start, minigrad_job_end, minigrad_job_start, minigrad_max_threads,
                      minigrad_region, minigrad_region_open, real)
from .blas cimport gemm
from .runtime cimport region_closed

cdef extern from "conv_direct.h" nogil:
    ctypedef struct DirectGeometry "mgd_geometry":
        Py_ssize_t N, groups, cin, cout, H, W, OH, OW, KH, KW, SH, SW, DH, DW, top, left
        Py_ssize_t blocks, rows, row_blocks, in_rows, pitch, phase, phases, pairs
    enum:
        MGD_FLOATS
        MGD_DOUBLES
        MGD_MAX_STEP
    void mgd_tap_offsets(const DirectGeometry* g, Py_ssize_t* offsets)
    void mgd_pack_f(const float* weight, float* packed, const DirectGeometry* g, int adjoint)
    void mgd_pack_d(const double* weight, double* packed, const DirectGeometry* g, int adjoint)
    void mgd_job_f(const float* x, const float* packed, const Py_ssize_t* offsets, const float* bias, float* y,
                   float* buffer, const DirectGeometry* g, Py_ssize_t job)
    void mgd_job_d(const double* x, const double* packed, const Py_ssize_t* offsets, const double* bias, double* y,
                   double* buffer, const DirectGeometry* g, Py_ssize_t job)

cdef extern from "conv_adjoint.h" nogil:
    ctypedef struct AdjointGeometry "mga_geometry":
        Py_ssize_t N, groups, cin, cout, H, W, OH, OW, KH, KW, SH, SW, DH, DW, PH, PW
        Py_ssize_t blocks, rows, row_blocks, in_rows, pitch, left, span, pairs
    void mgd_copy_padded_rows(const void* image, void* rows, size_t itemsize, Py_ssize_t channels, Py_ssize_t H,
                              Py_ssize_t W, Py_ssize_t top, Py_ssize_t count, Py_ssize_t in_rows, Py_ssize_t left,
                              Py_ssize_t pitch)
    void mga_tap_offsets(const AdjointGeometry* g, Py_ssize_t* tap_start, Py_ssize_t* offsets)
    void mga_pack_f(const float* weight, float* packed, const AdjointGeometry* g)
    void mga_pack_d(const double* weight, double* packed, const AdjointGeometry* g)
    void mga_job_f(const float* gy, const float* packed, const Py_ssize_t* tap_start, const Py_ssize_t* offsets,
                   float* gx, float* buffer, float* staging, const AdjointGeometry* g, Py_ssize_t job)
    void mga_job_d(const double* gy, const double* packed, const Py_ssize_t* tap_start, const Py_ssize_t* offsets,
                   double* gx, double* buffer, double* staging, const AdjointGeometry* g, Py_ssize_t job)

cdef extern from "conv_winograd.h" nogil:
    void mgw_input_f(const float* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t top, Py_ssize_t left, Py_ssize_t BW,
                     float* scratch, float* v, Py_ssize_t stride)
    void mgw_input_d(const double* plane, Py_ssize_t H, Py_ssize_t W, Py_ssize_t top, Py_ssize_t left, Py_ssize_t BW,
                     double* scratch, double* v, Py_ssize_t stride)
    void mgw_output_f(const float* m, Py_ssize_t stride, float base, float* y0, float* y1, Py_ssize_t OW)
    void mgw_product_f(const float* v, const Py_ssize_t* offsets, const float* packed, Py_ssize_t cin, Py_ssize_t cout,
                       Py_ssize_t blocks, float* m, Py_ssize_t stride)
    void mgw_product_d(const double* v, const Py_ssize_t* offsets, const double* packed, Py_ssize_t cin,
                       Py_ssize_t cout, Py_ssize_t blocks, double* m, Py_ssize_t stride)
    void mgw_output_d(const double* m, Py_ssize_t stride, double base, double* y0, double* y1, Py_ssize_t OW)

cdef extern from "conv_weight.h" nogil:
    enum:
        MG_WG_LANES_F32
        MG_WG_LANES_F64
        MG_WG_TAPS
        MG_WG_PAIR_TAPS
    ctypedef struct WeightPixels "mg_wg_pixels":
        Py_ssize_t images, image_step, rows, row_step, width, step
    void mg_wg_float(int vectors, int run, int taps, const float* g, Py_ssize_t g_stride, const float* x,
                     const Py_ssize_t* offsets, const WeightPixels* pixels, float* out, Py_ssize_t out_stride)
    void mg_wg_double(int vectors, int run, int taps, const double* g, Py_ssize_t g_stride, const double* x,
                      const Py_ssize_t* offsets, const WeightPixels* pixels, double* out, Py_ssize_t out_stride)
    void mg_wg_transpose_float(const float* gy, Py_ssize_t plane, Py_ssize_t channels, Py_ssize_t pixels, float* out,
                               Py_ssize_t vector_stride)
    void mg_wg_transpose_double(const double* gy, Py_ssize_t plane, Py_ssize_t channels, Py_ssize_t pixels,
                                double* out, Py_ssize_t vector_stride)

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
    if _winograd_fits(&g):
        _winograd(&x[0, 0, 0, 0], &weight[0, 0, 0], False, bias_data, &y[0, 0, 0, 0], &g)
        return
    if _direct_fits(&g, False, MGD_DOUBLES if real is double else MGD_FLOATS):
        _direct(&x[0, 0, 0, 0], &weight[0, 0, 0], False, bias_data, &y[0, 0, 0, 0], &g)
        return
    cdef real[:, ::1] scratch = _scratch(g, DTYPES[real is double])
    cdef minigrad_region region
    cdef long long started
    with nogil:
        region = _job_region(jobs, _parallel(g))
        for job in prange(jobs, schedule="dynamic", use_threads_if=_parallel(g)):
            started = minigrad_job_start(&region)
            _forward_tile(&x[0, 0, 0, 0], &weight[0, 0, 0], bias_data, &y[0, 0, 0, 0], &scratch[threadid(), 0], &g,
                          job // g.tiles, job % g.tiles)
            minigrad_job_end(&region, started)
        region_closed(&region)


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
    if _direct_weight_fits(&g, sizeof(real), MG_WG_LANES_F64 if real is double else MG_WG_LANES_F32):
        _direct_weight_gradient(&x[0, 0, 0, 0], &gy[0, 0, 0, 0], &gweight[0, 0, 0], &g)
        return
    cdef real[:, ::1] scratch = _scratch(g, DTYPES[real is double])
    cdef real[:, ::1] partial = np.empty((blocks, size), DTYPES[real is double])
    cdef real total
    cdef minigrad_region region
    cdef long long started
    with nogil:
        region = _job_region(blocks, _parallel(g))
        for block in prange(blocks, schedule="dynamic", use_threads_if=_parallel(g)):
            started = minigrad_job_start(&region)
            memset(&partial[block, 0], 0, size * sizeof(real))
            for job in range(block_start(block, blocks, jobs), block_start(block + 1, blocks, jobs)):
                _weight_gradient_tile(&x[0, 0, 0, 0], &gy[0, 0, 0, 0], &partial[block, 0], &scratch[threadid(), 0],
                                      &g, job // g.tiles, job % g.tiles)
            minigrad_job_end(&region, started)
        region_closed(&region)
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
    if not empty and _winograd_fits(&g):
        _winograd(&gy[0, 0, 0, 0], &weight[0, 0, 0], True, NULL, &gx[0, 0, 0, 0], &g)
        return
    if not empty and _direct_fits(&g, True, MGD_DOUBLES if real is double else MGD_FLOATS):
        if g.SH == 1 and g.SW == 1:
            _direct(&gy[0, 0, 0, 0], &weight[0, 0, 0], True, NULL, &gx[0, 0, 0, 0], &g)
        else:
            _direct_strided_adjoint(&gy[0, 0, 0, 0], &weight[0, 0, 0], &gx[0, 0, 0, 0], &g)
        return
    cdef real[:, ::1] scratch = _scratch(g, DTYPES[real is double])
    cdef minigrad_region region
    cdef long long started
    with nogil:
        if not g.direct or empty:  # tiles add into gx; direct tiles overwrite theirs
            for n in prange(N, schedule="static", use_threads_if=_parallel(g)):
                memset(&gx[n, 0, 0, 0], 0, plane * sizeof(real))
        for phase in range(0 if empty else phases):
            phase_tiles = (g.tiles - phase + phases - 1) // phases
            region = _job_region(g.stacks * phase_tiles, _parallel(g))
            for job in prange(g.stacks * phase_tiles, schedule="dynamic", use_threads_if=_parallel(g)):
                started = minigrad_job_start(&region)
                _input_gradient_tile(&gy[0, 0, 0, 0], &weight[0, 0, 0], &gx[0, 0, 0, 0], &scratch[threadid(), 0], &g,
                                     job // phase_tiles, (job % phase_tiles) * phases + phase)
                minigrad_job_end(&region, started)
            region_closed(&region)


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


cdef inline minigrad_region _job_region(Py_ssize_t jobs, bint parallel) noexcept nogil:
    """The timing of a job region (judged for lateness by runtime.pyx's region_closed) of ``jobs`` jobs,
    opened on the threads when ``parallel`` (its use_threads_if), else on the calling thread alone."""
    return minigrad_region_open(jobs, minigrad_max_threads() if parallel else 1)


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


# ---- Winograd F(2x2, 3x3) ----------------------------------------------------------------------------
# A 3x3 stride-1 convolution computes each 2x2 block of outputs from the 4x4 block of inputs under it:
#     Y = A^T [(G w G^T) * (B^T d B)] A        (* elementwise; Lavin and Gray, 2016)
# so that the 16 products of a block's transformed input V = B^T d B with the transformed weight
# U = G w G^T replace 36 multiply-adds per channel pair. Summed over the input channels, each of the 16
# positions xi of the 4x4 transform is a GEMM: M[xi] (outputs, blocks) = U[xi] (outputs, inputs) @
# V[xi] (inputs, blocks), 2.25x fewer multiply-adds than the tiled implicit GEMM. The transforms and
# the products run in conv_winograd.h; the products on the direct convolution's kernel (conv_direct.h:
# a vector of output channels by 16 blocks in registers, U packed per call), not BLAS, whose packing of
# V, read once per product, cost a third of its multiply time at 64 channels. The input gradient of a
# 3x3 stride-1 convolution is one as well: gy correlated with the weight flipped in both axes and with
# input and output channels swapped, its top/left padding 2 - pad (the adjoint).
#     B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
#     A^T = [1 1 1 0; 0 1 -1 -1]
# A job is a run of consecutive block rows of the flattened (sample, block row) range, so several
# small images share one GEMM; each output block is written by one job alone, from sums in a fixed
# order: results do not depend on the thread count. Transforms use only 0, +-1 and 1/2, exact in
# floating point but for the sums' rounding.
WINOGRAD = True  # module global, so that tests can compare with the tiled implicit GEMM
# Where it wins (measured on the bench's shapes, 2-core EPYC, one thread): 64 and 128 channels on 28x28
# and 56x56 images, forward 1.5-3x, input gradient 1.3-2.4x faster; at 16 or 32 channels (GEMMs too
# thin) and on 8x8 images (the per-row transforms dominate) it was up to 1.6x slower.
WINOGRAD_MIN_CHANNELS = 64  # per group, read and written
WINOGRAD_MIN_WIDTH = 16  # of the output written
WINOGRAD_TILE_BYTES = 1 << 21  # a job's transformed inputs and products together


cdef struct WinogradGeometry:
    Py_ssize_t N, groups, cin, cout  # batch, groups, channels per group read and written
    Py_ssize_t H, W, OH, OW, top, left  # read size, written size, input row of output row 0 at tap 0: -top
    Py_ssize_t BW, block_rows, rows, jobs, width  # blocks per row; block rows in all, per job; blocks per job
    Py_ssize_t lanes, vectors  # output channels per vector of the products' kernel; vectors per group


cdef bint _winograd_fits(Geometry* g) noexcept:
    return (WINOGRAD and g.KH == 3 and g.KW == 3 and g.SH == 1 and g.SW == 1 and g.DH == 1 and g.DW == 1
            and g.Cg >= WINOGRAD_MIN_CHANNELS and g.Og >= WINOGRAD_MIN_CHANNELS and g.N * g.OH * g.OW > 0
            and min(g.OW, g.W) >= WINOGRAD_MIN_WIDTH)


cdef void _winograd(const real* x, const real* weight, bint adjoint, const real* bias, real* y, Geometry* g):
    """y = the 3x3 stride-1 correlation of x with weight (groups, Og, Cg * 9), plus bias (or NULL);
    adjoint: the input gradient instead, x being gy (N, O, OH, OW) and y gx (N, C, H, W)."""
    cdef WinogradGeometry w
    w.N, w.groups = g.N, g.groups
    if adjoint:
        w.cin, w.cout, w.H, w.W, w.OH, w.OW, w.top, w.left = g.Og, g.Cg, g.OH, g.OW, g.H, g.W, 2 - g.PH, 2 - g.PW
    else:
        w.cin, w.cout, w.H, w.W, w.OH, w.OW, w.top, w.left = g.Cg, g.Og, g.H, g.W, g.OH, g.OW, g.PH, g.PW
    w.BW = (w.OW + 1) // 2
    w.block_rows = w.N * ((w.OH + 1) // 2)
    w.rows = max(1, min(w.block_rows, WINOGRAD_TILE_BYTES // (16 * (w.cin + w.cout) * sizeof(real) * w.BW)))
    w.jobs = (w.block_rows + w.rows - 1) // w.rows
    w.width = w.rows * w.BW
    w.lanes = MGD_DOUBLES if real is double else MGD_FLOATS
    w.vectors = (w.cout + w.lanes - 1) // w.lanes
    dtype = DTYPES[real is double]
    cdef real[::1] transformed = np.zeros(16 * w.groups * w.vectors * w.lanes * w.cin, dtype)
    cdef Py_ssize_t[::1] offsets = np.arange(w.cin, dtype=np.intp) * w.width  # of v's rows
    cdef real[:, ::1] scratch = np.empty((minigrad_max_threads(), 16 * (w.cin + w.cout) * w.width + 16 * (w.BW + 1)),
                                          dtype)
    cdef Py_ssize_t job
    cdef minigrad_region region
    cdef long long started
    with nogil:
        _transform_weight(weight, &transformed[0], adjoint, &w)
        region = _job_region(w.jobs, _parallel(g[0]))
        for job in prange(w.jobs, schedule="dynamic", use_threads_if=_parallel(g[0])):
            started = minigrad_job_start(&region)
            _winograd_job(x, &transformed[0], &offsets[0], bias, y, &scratch[threadid(), 0], &w, job)
            minigrad_job_end(&region, started)
        region_closed(&region)


cdef void _transform_weight(const real* weight, real* u, bint adjoint, WinogradGeometry* w) noexcept nogil:
    """u[xi, group, o // lanes, i, o % lanes] = (G k G^T)[xi] for the kernel k that output channel o
    reads from input channel i (the adjoint: weight[group, i, o] flipped); u is zero past cout."""
    cdef Py_ssize_t group, o, i, r, xi, plane = w.groups * w.vectors * w.lanes * w.cin
    cdef double k[9]
    cdef double t[12]
    cdef const real* taps
    for group in range(w.groups):
        for o in range(w.cout):
            for i in range(w.cin):
                if adjoint:
                    taps = weight + (group * w.cin + i) * w.cout * 9 + o * 9
                    for r in range(9):
                        k[r] = taps[8 - r]
                else:
                    taps = weight + (group * w.cout + o) * w.cin * 9 + i * 9
                    for r in range(9):
                        k[r] = taps[r]
                for r in range(3):  # t = G k (4x3), column by column
                    t[r] = k[r]
                    t[3 + r] = 0.5 * (k[r] + k[3 + r] + k[6 + r])
                    t[6 + r] = 0.5 * (k[r] - k[3 + r] + k[6 + r])
                    t[9 + r] = k[6 + r]
                xi = ((group * w.vectors + o // w.lanes) * w.cin + i) * w.lanes + o % w.lanes
                for r in range(4):  # u = t G^T (4x4), row by row
                    u[(4 * r) * plane + xi] = t[3 * r]
                    u[(4 * r + 1) * plane + xi] = 0.5 * (t[3 * r] + t[3 * r + 1] + t[3 * r + 2])
                    u[(4 * r + 2) * plane + xi] = 0.5 * (t[3 * r] - t[3 * r + 1] + t[3 * r + 2])
                    u[(4 * r + 3) * plane + xi] = t[3 * r + 2]


cdef inline void _winograd_job(const real* x, const real* u, const Py_ssize_t* offsets, const real* bias, real* y,
                               real* scratch, WinogradGeometry* w, Py_ssize_t job) noexcept nogil:
    cdef Py_ssize_t first = job * w.rows, rows = min(w.rows, w.block_rows - job * w.rows)
    cdef Py_ssize_t blocks = rows * w.BW, group, xi
    cdef const real* packed  # u[xi, group]
    cdef real* v = scratch
    cdef real* m = scratch + 16 * w.cin * w.width
    cdef real* rows_scratch = m + 16 * w.cout * w.width  # the input transform's padded rows
    for group in range(w.groups):
        _transform_input(x, v, rows_scratch, w, group, first, rows)
        for xi in range(16):
            packed = u + (xi * w.groups + group) * w.vectors * w.lanes * w.cin
            if real is float:
                mgw_product_f(v + xi * w.cin * w.width, offsets, packed, w.cin, w.cout, blocks,
                              m + xi * w.cout * w.width, w.width)
            else:
                mgw_product_d(v + xi * w.cin * w.width, offsets, packed, w.cin, w.cout, blocks,
                              m + xi * w.cout * w.width, w.width)
        _transform_output(m, bias, y, w, group, first, rows)


cdef inline void _transform_input(const real* x, real* v, real* d, WinogradGeometry* w, Py_ssize_t group,
                                  Py_ssize_t first, Py_ssize_t rows) noexcept nogil:
    """v[xi, i, b] = (B^T d B)[xi] for the 4x4 input d under block b of the job's block rows
    [first, first + rows) (zero outside x), one block row at a time (conv_winograd.h; d: its scratch)."""
    cdef Py_ssize_t i, row, n, top, BW = w.BW, block_rows = (w.OH + 1) // 2, stride = w.cin * w.width
    cdef const real* plane
    for i in range(w.cin):
        for row in range(rows):
            n = (first + row) // block_rows
            plane = x + ((n * w.groups + group) * w.cin + i) * w.H * w.W
            top = 2 * ((first + row) % block_rows) - w.top
            if real is float:
                mgw_input_f(plane, w.H, w.W, top, -w.left, BW, d, v + i * w.width + row * BW, stride)
            else:
                mgw_input_d(plane, w.H, w.W, top, -w.left, BW, d, v + i * w.width + row * BW, stride)


cdef inline void _transform_output(const real* m, const real* bias, real* y, WinogradGeometry* w, Py_ssize_t group,
                                   Py_ssize_t first, Py_ssize_t rows) noexcept nogil:
    """The 2x2 outputs A^T M A (+ bias) of every block of the job, those inside y, one block row at a
    time (conv_winograd.h)."""
    cdef Py_ssize_t o, row, n, oh, stride = w.cout * w.width, block_rows = (w.OH + 1) // 2
    cdef real* out
    cdef real base
    for o in range(w.cout):
        base = 0 if bias == NULL else bias[group * w.cout + o]
        for row in range(rows):
            n = (first + row) // block_rows
            oh = 2 * ((first + row) % block_rows)
            out = y + (((n * w.groups + group) * w.cout + o) * w.OH + oh) * w.OW
            if real is float:
                mgw_output_f(m + o * w.width + row * w.BW, stride, base, out, out + w.OW if oh + 1 < w.OH else NULL,
                             w.OW)
            else:
                mgw_output_d(m + o * w.width + row * w.BW, stride, base, out, out + w.OW if oh + 1 < w.OH else NULL,
                             w.OW)


# ---- Direct convolution ------------------------------------------------------------------------------
# For narrow layers (16 to 64 channels) a direct loop vectorised over output channels (conv_direct.h)
# beats the tiled implicit GEMM: OpenBLAS runs products with 16 to 64 rows far below its rate, and the
# tile's packing is a second pass over the columns. The input gradient of a stride-1 convolution is one
# too: gy correlated with the flipped, channel-swapped weight, top/left padding (K - 1) * dilation - pad;
# a strided one is one per stride phase (see _direct_strided_adjoint below).
DIRECT = True  # module global, so that tests can compare with the tiled implicit GEMM
DIRECT_BUFFER_BYTES = 1 << 17  # a job's copy of its input rows, kept in L2
DIRECT_WIDE_CHANNELS = 128  # read or written, per group
DIRECT_WIDE_OUTPUTS = 256  # per image: 16x16 and above
# Two channel blocks per run (conv_direct.h's mgd_pair_run; the strided input gradient's phases too) where
# a block's packed weights exceed this.
# Measured on a Xeon, one thread: with AVX-512 (2 x 8 pixels against 16), 64 or more input channels of
# 3x3 (36 KiB a block) 1.07-1.2x faster, 32 (18 KiB) 0.9-1.0x; built for AVX2 (2 x 4 pixels against 12)
# 1.05-1.3x faster from 32 to 128 channels, so every layer pairs there.
DIRECT_PAIR_WEIGHT_BYTES = (24 << 10) if MGD_FLOATS == 16 else 0


cdef bint _direct_fits(Geometry* g, bint adjoint, Py_ssize_t vector) noexcept:
    """Where the direct loop wins (measured, 1 thread, float32): every kernel but 1x1 (a GEMM on the
    input itself, or a strided copy of it), except wide products on large images (the tiled GEMM
    runs near BLAS's rate there) at column stride 1; at column stride 2 (rows read unsplit) the
    direct forward wins at every width measured (64 to 256 channels on 28x28 to 64x64 images:
    1.05-1.45x the tiled rate, Xeon with AVX-512), as the tiles' column matrix is a strided copy
    of the input. The input gradient (adjoint) where its written channels fill at
    least half of their vectors (3 or 6 input channels: 0.6x the tiled speed) and, at stride 1, neither
    side is wide (256 -> 128 channels on 14x14: 0.7x); strided, where neither side is wide or gy is
    16x16 or more: the tiles' col2im scatter loses there (the direct phases take 0.55-0.9x the time
    from 16 to 512 channels), but on a small wide gy each weight vector the phases load serves only
    gy's few columns (DCGAN's 512 -> 256 channels from 4x4: 2.1-2.3x the tiled time, 128 -> 64 from
    4x4 1.75x, 512 -> 256 from 7x7 1.14x; 256 -> 128 from 14x14 even)."""
    if not DIRECT or g.N * g.OH * g.OW * g.Og * g.Cg == 0 or g.KH * g.KW == 1:
        return False
    narrow = max(g.Cg, g.Og) < DIRECT_WIDE_CHANNELS
    if adjoint:
        return (2 * g.Cg >= (g.Cg + vector - 1) // vector * vector
                and (narrow or (g.SH > 1 or g.SW > 1) and g.OH * g.OW >= DIRECT_WIDE_OUTPUTS))
    return narrow or g.OH * g.OW < DIRECT_WIDE_OUTPUTS or g.SW == MGD_MAX_STEP


cdef void _direct(const real* x, const real* weight, bint adjoint, const real* bias, real* y, Geometry* g):
    """y = the correlation of x with weight (groups, Og, Cg * KH * KW), plus bias (or NULL); adjoint
    (stride 1 only): the input gradient instead, x being gy (N, O, OH, OW) and y gx (N, C, H, W)."""
    cdef DirectGeometry d
    cdef Py_ssize_t V = MGD_DOUBLES if real is double else MGD_FLOATS
    d.N, d.groups, d.KH, d.KW, d.SH, d.SW, d.DH, d.DW = g.N, g.groups, g.KH, g.KW, g.SH, g.SW, g.DH, g.DW
    if adjoint:
        d.cin, d.cout, d.H, d.W, d.OH, d.OW = g.Og, g.Cg, g.OH, g.OW, g.H, g.W
        d.top, d.left = (g.KH - 1) * g.DH - g.PH, (g.KW - 1) * g.DW - g.PW
    else:
        d.cin, d.cout, d.H, d.W, d.OH, d.OW, d.top, d.left = g.Cg, g.Og, g.H, g.W, g.OH, g.OW, g.PH, g.PW
    d.blocks = (d.cout + V - 1) // V
    d.phases = 1 if d.SW <= MGD_MAX_STEP else d.SW  # rows read at a step, or split into column phases
    d.phase = ((d.OW - 1) * d.SW + (d.KW - 1) * d.DW + d.phases) // d.phases
    d.pitch = d.phases * d.phase
    d.pairs = d.cin * d.KH * d.KW * V * sizeof(real) > DIRECT_PAIR_WEIGHT_BYTES
    cdef Py_ssize_t row_bytes = d.cin * d.pitch * d.SH * sizeof(real), halo = (d.KH - 1) * d.DH + 1 - d.SH
    d.rows = max(1, min(d.OH, DIRECT_BUFFER_BYTES // row_bytes - halo // d.SH))
    # enough jobs for every thread when the batch is small
    d.rows = min(d.rows, max(1, d.OH * d.N * d.groups // (4 * minigrad_max_threads())))
    d.row_blocks = (d.OH + d.rows - 1) // d.rows
    d.in_rows = (d.rows - 1) * d.SH + (d.KH - 1) * d.DH + 1
    dtype = DTYPES[real is double]
    cdef Py_ssize_t taps = d.cin * d.KH * d.KW, jobs = d.N * d.groups * d.row_blocks, job
    cdef real[::1] packed = np.empty(d.groups * d.blocks * taps * V, dtype)
    cdef Py_ssize_t[::1] offsets = np.empty(taps, np.intp)
    cdef real[:, ::1] buffers = np.empty((minigrad_max_threads(), d.cin * d.in_rows * d.pitch), dtype)
    mgd_tap_offsets(&d, &offsets[0])
    cdef minigrad_region region
    cdef long long started
    with nogil:
        if real is float:
            mgd_pack_f(weight, &packed[0], &d, adjoint)
        else:
            mgd_pack_d(weight, &packed[0], &d, adjoint)
        region = _job_region(jobs, _parallel(g[0]))
        for job in prange(jobs, schedule="dynamic", use_threads_if=_parallel(g[0])):
            started = minigrad_job_start(&region)
            if real is float:
                mgd_job_f(x, &packed[0], &offsets[0], bias, y, &buffers[threadid(), 0], &d, job)
            else:
                mgd_job_d(x, &packed[0], &offsets[0], bias, y, &buffers[threadid(), 0], &d, job)
            minigrad_job_end(&region, started)
        region_closed(&region)

# ---- Direct strided input gradient --------------------------------------------------------------------
# The input gradient of a strided convolution as SH * SW stride phases of gx, each a stride-1 correlation
# of gy with a sub-kernel (conv_adjoint.h), on the direct loop's run and store.


cdef void _direct_strided_adjoint(const real* gy, const real* weight, real* gx, Geometry* g):
    """gx (N, C, H, W) = the input gradient of the convolution for gy (N, O, OH, OW) and weight (groups,
    Og, Cg * KH * KW), stride above 1 on some axis."""
    cdef AdjointGeometry d
    cdef Py_ssize_t V = MGD_DOUBLES if real is double else MGD_FLOATS
    d.N, d.groups, d.cin, d.cout, d.H, d.W, d.OH, d.OW = g.N, g.groups, g.Og, g.Cg, g.H, g.W, g.OH, g.OW
    d.KH, d.KW, d.SH, d.SW, d.DH, d.DW, d.PH, d.PW = g.KH, g.KW, g.SH, g.SW, g.DH, g.DW, g.PH, g.PW
    d.blocks = (d.cout + V - 1) // V
    d.left = (d.KW - 1) * d.DW // d.SW
    d.pitch = d.left + (d.W - 1 + d.PW) // d.SW + 1
    d.span = (d.W + d.SW - 1) // d.SW  # the widest column phase
    d.pairs = d.cin * d.KH * d.KW * V * sizeof(real) > DIRECT_PAIR_WEIGHT_BYTES
    cdef Py_ssize_t halo = (d.KH - 1) * d.DH // d.SH + 2  # gy rows read beyond a job's rows / SH
    cdef Py_ssize_t gy_rows = DIRECT_BUFFER_BYTES // (d.cin * d.pitch * sizeof(real))
    d.rows = max(1, min(d.H, (gy_rows - halo) * d.SH))
    # enough jobs for every thread when the batch is small
    d.rows = min(d.rows, max(1, d.H * d.N * d.groups // (4 * minigrad_max_threads())))
    d.row_blocks = (d.H + d.rows - 1) // d.rows
    d.in_rows = (d.rows - 1 + (d.KH - 1) * d.DH) // d.SH + 2
    dtype = DTYPES[real is double]
    cdef Py_ssize_t taps = d.cin * d.KH * d.KW, jobs = d.N * d.groups * d.row_blocks, job
    cdef real[::1] packed = np.empty(d.groups * d.blocks * taps * V, dtype)
    cdef Py_ssize_t[::1] offsets = np.empty(max(1, taps), np.intp)
    cdef Py_ssize_t[::1] tap_start = np.empty(d.SH * d.SW + 1, np.intp)
    cdef real[:, ::1] buffers = np.empty((minigrad_max_threads(), d.cin * d.in_rows * d.pitch), dtype)
    cdef real[:, ::1] staging = np.empty((minigrad_max_threads(), 2 * V * d.SW * d.span), dtype)
    mga_tap_offsets(&d, &tap_start[0], &offsets[0])
    cdef minigrad_region region
    cdef long long started
    with nogil:
        if real is float:
            mga_pack_f(weight, &packed[0], &d)
        else:
            mga_pack_d(weight, &packed[0], &d)
        region = _job_region(jobs, _parallel(g[0]))
        for job in prange(jobs, schedule="dynamic", use_threads_if=_parallel(g[0])):
            started = minigrad_job_start(&region)
            if real is float:
                mga_job_f(gy, &packed[0], &tap_start[0], &offsets[0], gx, &buffers[threadid(), 0],
                          &staging[threadid(), 0], &d, job)
            else:
                mga_job_d(gy, &packed[0], &tap_start[0], &offsets[0], gx, &buffers[threadid(), 0],
                          &staging[threadid(), 0], &d, job)
            minigrad_job_end(&region, started)
        region_closed(&region)

# ---- Direct weight gradient --------------------------------------------------------------------------
# gweight[group, o, (c, kh, kw)] = sum over samples and output pixels p of gy[o, p] * x[c, p * stride +
# (kh, kw) * dilation - padding], vectorised over output channels (conv_weight.h). A job, a run of
# output rows of one sample or several whole samples, copies the input rows under them with their
# padding into a per-thread buffer (xs), and its output gradient transposed to [channel vector][pixel]
# [lane] (gs); then for each pair of vectors of output channels and each block of up to MG_WG_PAIR_TAPS
# taps (a last odd vector: blocks of up to MG_WG_TAPS; blocks keep a 3-tap run of a kernel row whole)
# the micro-kernel keeps one sum per tap and vector in a register over all the job's pixels and adds
# it into the partial sum, stored [group][tap][o] so that a vector of output channels is contiguous.
# The partial sums are those of the tiled path: WEIGHT_BLOCKS of them, each over a fixed range of jobs
# in order, added in block order at the end, so results do not depend on the thread count.
# Against the tiled GEMM (measured on ResNet-14's, LeNet's, DCGAN's and the bench's layers, one thread,
# 2-core EPYC): 1.1-6x faster from 3 to 128 channels, as OpenBLAS runs products with 16 to 64 rows far
# below its rate and the tile packs a column matrix that is read once; where a job has few pixels
# (DCGAN's 4x4 outputs of 512 channels) the partial sums' traffic dominates and the tiles stay, as they
# do for depthwise layers (one output channel per group fills one lane of a vector).
DIRECT_WEIGHT_GRADIENT = True  # module global, so that tests can compare with the tiled path
DIRECT_WEIGHT_BYTES = 1 << 18  # a job's input rows and transposed output gradient, kept in L2
DIRECT_WEIGHT_MIN_PIXELS = 64  # of a job, below which the tiled path runs
DIRECT_WEIGHT_MIN_LANES = 0.25  # the share of a vector's lanes that a group's output channels must fill
DIRECT_WEIGHT_PARTIAL_BYTES = 1 << 20  # partial sums beyond this (L2) need 4x the pixels per job
# module globals, so that tests can compare the kernels for pairs of vectors and for runs of taps with
# the one-vector, one-offset-per-tap kernel (the same sums in the same order: the same bits)
DIRECT_WEIGHT_PAIRS = True
DIRECT_WEIGHT_RUNS = True


cdef struct DirectWeight:
    Py_ssize_t lanes, vectors  # output channels per vector; vectors per group (the last padded with zeros)
    bint pairs  # vectors go to the micro-kernel two at a time (a last odd one alone)
    Py_ssize_t pitch, in_rows  # buffer row length; buffer rows per input channel
    Py_ssize_t stack, rows, chunks, jobs  # samples per job, output rows per job, jobs per stack, in all
    Py_ssize_t run  # taps in a run at consecutive offsets (a kernel row at dilation 1), that blocks keep whole
    Py_ssize_t tap_blocks, pair_tap_blocks  # blocks of the Kg taps for one vector, for a pair of vectors


cdef DirectWeight _direct_weight_geometry(Geometry* g, Py_ssize_t itemsize, Py_ssize_t lanes) noexcept:
    cdef DirectWeight d
    d.lanes = lanes
    d.vectors = (g.Og + lanes - 1) // lanes
    d.pitch = (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1
    cdef Py_ssize_t budget = DIRECT_WEIGHT_BYTES // itemsize, halo = (g.KH - 1) * g.DH + 1 - g.SH
    cdef Py_ssize_t row = g.Cg * g.SH * d.pitch + d.vectors * lanes * g.OW  # what an output row adds
    d.rows = max(1, min(g.OH, (budget - g.Cg * halo * d.pitch) // row))
    d.chunks = (g.OH + d.rows - 1) // d.rows
    d.rows = (g.OH + d.chunks - 1) // d.chunks  # the chunks evened out
    d.in_rows = (d.rows - 1) * g.SH + (g.KH - 1) * g.DH + 1
    d.stack = 1 if d.chunks > 1 else max(1, min(g.N, budget // (g.Cg * d.in_rows * d.pitch + d.vectors * lanes * g.OH * g.OW)))
    d.jobs = (g.N + d.stack - 1) // d.stack * d.chunks
    d.pairs = DIRECT_WEIGHT_PAIRS
    d.run = 3 if DIRECT_WEIGHT_RUNS and g.KW == 3 and g.DW == 1 else 1
    cdef Py_ssize_t runs = g.Kg // d.run, most = MG_WG_TAPS // d.run, most_pair = MG_WG_PAIR_TAPS // d.run
    d.tap_blocks = (runs + most - 1) // most
    d.pair_tap_blocks = (runs + most_pair - 1) // most_pair
    return d


cdef bint _direct_weight_fits(Geometry* g, Py_ssize_t itemsize, Py_ssize_t lanes) noexcept:
    cdef DirectWeight d = _direct_weight_geometry(g, itemsize, lanes)
    # partial sums larger than L2 (DCGAN's 128 -> 256 channels on 8x8, 2 MiB): each job's adds into
    # them miss the cache, which 64 pixels of sums do not repay (1.17x slower than the tiles)
    cdef Py_ssize_t partial_bytes = g.groups * g.Kg * d.vectors * lanes * itemsize
    cdef Py_ssize_t fewest = DIRECT_WEIGHT_MIN_PIXELS * (4 if partial_bytes > DIRECT_WEIGHT_PARTIAL_BYTES else 1)
    return DIRECT_WEIGHT_GRADIENT and d.stack * d.rows * g.OW >= fewest and g.Og >= DIRECT_WEIGHT_MIN_LANES * lanes


def _direct_weight_plan(tuple x_shape, Py_ssize_t groups, Py_ssize_t out_channels, tuple kernel, tuple stride,
                       tuple padding, tuple dilation, tuple out_size, dtype):
    """How conv_weight_gradient's direct path would run a layer (for tests): None where the tiles run,
    else a dict of the output channel vectors per group, whether any go in pairs, the taps per run and
    the blocks of taps for one vector and for a pair."""
    if groups <= 0 or out_channels % groups:
        raise ValueError(f"_direct_weight_plan: {out_channels} output channels in {groups} groups")
    itemsize = np.dtype(dtype).itemsize
    cdef Geometry g = _geometry(x_shape[0], x_shape[1], x_shape[2], x_shape[3], groups, out_channels // groups,
                                itemsize, kernel[0], kernel[1], stride[0], stride[1], padding[0], padding[1],
                                dilation[0], dilation[1], out_size[0], out_size[1])
    lanes = MG_WG_LANES_F64 if itemsize == 8 else MG_WG_LANES_F32
    if not _direct_weight_fits(&g, itemsize, lanes):
        return None
    cdef DirectWeight d = _direct_weight_geometry(&g, itemsize, lanes)
    return {"vectors": d.vectors, "pairs": bool(d.pairs and d.vectors > 1), "run": d.run, "tap_blocks": d.tap_blocks,
            "pair_tap_blocks": d.pair_tap_blocks}


cdef void _direct_weight_gradient(const real* x, const real* gy, real* gweight, Geometry* g):
    cdef DirectWeight d = _direct_weight_geometry(g, sizeof(real), MG_WG_LANES_F64 if real is double else MG_WG_LANES_F32)
    cdef Py_ssize_t blocks = min(d.jobs, <Py_ssize_t>WEIGHT_BLOCKS), padded = d.vectors * d.lanes
    cdef Py_ssize_t size = g.groups * g.Kg * padded, image = g.Cg * d.in_rows * d.pitch
    cdef Py_ssize_t block, job, group, o, k, b, c, kh, kw, i
    dtype = DTYPES[real is double]
    cdef real[:, ::1] partial = np.empty((blocks, size), dtype)
    cdef real[:, ::1] scratch = np.empty((minigrad_max_threads(), d.stack * (image + padded * d.rows * g.OW)), dtype)
    cdef Py_ssize_t[::1] offsets = np.empty(g.Kg, np.intp)
    for c in range(g.Cg):
        for kh in range(g.KH):
            for kw in range(g.KW):
                offsets[(c * g.KH + kh) * g.KW + kw] = (c * d.in_rows + kh * g.DH) * d.pitch + kw * g.DW
    cdef real* total
    cdef const real* other
    cdef minigrad_region region
    cdef long long started
    with nogil:
        region = _job_region(blocks, _parallel(g[0]))
        for block in prange(blocks, schedule="dynamic", use_threads_if=_parallel(g[0])):
            started = minigrad_job_start(&region)
            memset(&partial[block, 0], 0, size * sizeof(real))
            for job in range(block_start(block, blocks, d.jobs), block_start(block + 1, blocks, d.jobs)):
                _direct_weight_job(x, gy, &partial[block, 0], &scratch[threadid(), 0], &offsets[0], g, &d, job)
            minigrad_job_end(&region, started)
        region_closed(&region)
        # the partial sums added in block order into the first, a contiguous loop that vectorizes
        total = &partial[0, 0]
        for b in range(1, blocks):
            other = &partial[b, 0]
            for i in range(size):
                total[i] = total[i] + other[i]
        for group in range(g.groups):
            for o in range(g.Og):
                for k in range(g.Kg):
                    gweight[(group * g.Og + o) * g.Kg + k] = total[(group * g.Kg + k) * padded + o]


cdef inline void _direct_weight_job(const real* x, const real* gy, real* partial, real* scratch,
                                    const Py_ssize_t* offsets, Geometry* g, DirectWeight* d,
                                    Py_ssize_t job) noexcept nogil:
    cdef Py_ssize_t n = job // d.chunks * d.stack, first = job % d.chunks * d.rows, L = g.OH * g.OW
    cdef Py_ssize_t image = g.Cg * d.in_rows * d.pitch, padded = d.vectors * d.lanes, group, i, v, block, start
    cdef Py_ssize_t blocks, taps
    cdef bint pair
    cdef WeightPixels pixels
    pixels.images = min(d.stack, g.N - n)
    pixels.image_step = image
    pixels.rows = min(d.rows, g.OH - first)
    pixels.row_step = g.SH * d.pitch
    pixels.width = g.OW
    pixels.step = g.SW
    cdef Py_ssize_t count = pixels.images * pixels.rows * g.OW  # pixels of the job
    cdef real* xs = scratch
    cdef real* gs = scratch + d.stack * image
    for group in range(g.groups):
        for i in range(pixels.images):
            _copy_padded_rows(x + ((n + i) * g.groups + group) * g.Cg * g.H * g.W, xs + i * image,
                              first * g.SH - g.PH, (pixels.rows - 1) * g.SH + (g.KH - 1) * g.DH + 1, g, d)
            if real is float:
                mg_wg_transpose_float(gy + ((n + i) * g.groups + group) * g.Og * L + first * g.OW, L, g.Og,
                                      pixels.rows * g.OW, gs + i * pixels.rows * g.OW * d.lanes, count * d.lanes)
            else:
                mg_wg_transpose_double(gy + ((n + i) * g.groups + group) * g.Og * L + first * g.OW, L, g.Og,
                                       pixels.rows * g.OW, gs + i * pixels.rows * g.OW * d.lanes, count * d.lanes)
        v = 0
        while v < d.vectors:
            pair = d.pairs and v + 1 < d.vectors
            blocks = d.pair_tap_blocks if pair else d.tap_blocks
            for block in range(blocks):
                start = block_start(block, blocks, g.Kg // d.run) * d.run
                taps = block_start(block + 1, blocks, g.Kg // d.run) * d.run - start
                if real is float:
                    mg_wg_float(1 + pair, d.run, taps, gs + v * count * d.lanes,
                                count * d.lanes, xs, offsets + start, &pixels,
                                partial + (group * g.Kg + start) * padded + v * d.lanes, padded)
                else:
                    mg_wg_double(1 + pair, d.run, taps, gs + v * count * d.lanes,
                                 count * d.lanes, xs, offsets + start, &pixels,
                                 partial + (group * g.Kg + start) * padded + v * d.lanes, padded)
            v += 1 + pair


cdef inline void _copy_padded_rows(const real* image, real* xs, Py_ssize_t top, Py_ssize_t count, Geometry* g,
                                   DirectWeight* d) noexcept nogil:
    """xs[c, r, j] = image[c, top + r, j - PW] for the Cg channels of image (C, H, W), r < count and
    j < pitch; 0 outside the image. Channel planes lie in_rows * pitch apart."""
    mgd_copy_padded_rows(image, xs, sizeof(real), g.Cg, g.H, g.W, top, count, d.in_rows, g.PW, d.pitch)
