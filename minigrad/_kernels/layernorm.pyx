"""LayerNorm loops (CPU). Statistics are per row of x viewed as (M, D), D the product of the
normalized dims.

The arrays arrive checked, C-contiguous and allocated (by the kernel front); these functions only
dispatch on dtype to the typed loops, which run with the GIL released and threads over rows. The
public defs dispatch by hand, not through fused-memoryview arguments: that form made LayerNorm
fwd+bwd on (256, 768) float32 20% slower (0.24 -> 0.39 ms, measured alternating processes).

Each row's mean and variance are computed in double, never as E[x^2] - E[x]^2, so rows with a large
offset (1e4 with std 1) keep their variance: a float32 row in one pass of sums of x - x[0] (see
_row_shifted_moments), a float64 row in two passes, the variance the mean of (x - mean)^2. Reductions run in LANES independent accumulators so
the compiler can vectorise them without reassociating a single sum.
"""
import numpy as np

from cython.parallel cimport prange
from libc.math cimport sqrt
from libc.stdlib cimport abort, calloc, free, malloc
from libc.string cimport memset

from ._types cimport minigrad_max_threads, real

cdef extern from *:  # a hint to the caches; it never faults, whatever the address
    """
    static inline void minigrad_prefetch(const void* p) { __builtin_prefetch(p); }
    """
    void minigrad_prefetch(const void* p) noexcept nogil

cdef enum:
    LANES = 32
    ROWS_PARALLEL_MIN = 65536
    TILE_ROWS = 8
    # the backward's blocks of rows: enough of them for the threads on mid-sized inputs, few enough
    # that their partial rows stay a small fraction of the work
    BLOCK_ELEMENTS = 32768
    # and at most this many blocks: at (4096, 1024) 128 blocks of 32 rows made 2 MB of fresh float64
    # partials, first touched (page faults) inside the kernel and summed after it, about 0.3 ms of 5.7
    MAX_BLOCKS = 32
    # the backward's row sums: elements summed in x's dtype (CHUNK / LANES per lane) before the double sums
    CHUNK = 512
    # rows up to this size have the next row's gy and x prefetched during their first pass: a row of
    # a page or so ends the hardware prefetcher's stream about when it has ramped up ((4096, 1024)
    # float32 backward 11-30% faster in interleaved runs); a longer row's next one would evict the row
    # still in use from L1 ((32, 12544): 5-8% slower)
    PREFETCH_ROW_BYTES = 8192


def layer_norm_forward(x, weight, bias, double eps, y, mean, invstd):
    """Fill y = (x - mean) * invstd * weight + bias and the per-row float64 mean and invstd.

    x, y: (M, D); weight, bias: (D,) in x's dtype; mean, invstd: float64 (M,).
    """
    if x.dtype == np.float32:
        _forward[float](x, weight, bias, eps, y, mean, invstd)
    else:
        _forward[double](x, weight, bias, eps, y, mean, invstd)


def layer_norm_backward(gy, x, mean, invstd, weight, gx, gweight, gbias):
    """Fill gx (M, D), gweight and gbias (D,), all in x's dtype.

    With g = gy * weight and x_hat = (x - mean) * invstd per row:
    gx = invstd * (g - mean(g) - x_hat * mean(g * x_hat)), gweight = sum_rows gy * x_hat,
    gbias = sum_rows gy. The rows are cut into blocks that depend on the shape only (see
    _backward_blocks); each block sums its rows into its own float64 partial row (through a tile of
    TILE_ROWS rows summed in x's dtype, in L1), and the partials are added in block order, so the
    result is bitwise the same at any thread count.
    """
    cdef Py_ssize_t M = x.shape[0], D = x.shape[1], blocks, block_rows
    blocks, block_rows = _backward_blocks(M, D)
    # scratch from malloc, zeroed by each block's own thread: no fresh NumPy array and no sum after
    cdef double* partials = <double*>malloc(max(blocks, 1) * 2 * _pair_stride(D, sizeof(double)) * sizeof(double))
    if partials == NULL:
        raise MemoryError(f"layer_norm_backward: no memory for {blocks} partial rows of {D} float64")
    try:
        if x.dtype == np.float32:
            _backward[float](gy, x, mean, invstd, weight, gx, gweight, gbias, partials, blocks, block_rows)
        else:
            _backward[double](gy, x, mean, invstd, weight, gx, gweight, gbias, partials, blocks, block_rows)
    finally:
        free(partials)


def _backward_blocks(Py_ssize_t M, Py_ssize_t D):
    """(blocks, rows per block) of the backward's column sums for x (M, D): about BLOCK_ELEMENTS
    elements per block, a whole number of tiles, at most MAX_BLOCKS blocks."""
    cdef Py_ssize_t block_rows = max(TILE_ROWS, BLOCK_ELEMENTS // max(D, 1) // TILE_ROWS * TILE_ROWS)
    cdef Py_ssize_t fewest_rows = (M + MAX_BLOCKS - 1) // MAX_BLOCKS
    block_rows = max(block_rows, (fewest_rows + TILE_ROWS - 1) // TILE_ROWS * TILE_ROWS)
    return (M + block_rows - 1) // block_rows, block_rows


cdef inline Py_ssize_t _pair_stride(Py_ssize_t D, size_t itemsize) noexcept nogil:
    """Elements from the first to the second row of a scratch pair (gweight's, then gbias's): at least
    D, and 2 KiB past a multiple of 4 KiB in bytes. Rows a multiple of 4 KiB apart (D = 1024 float32)
    alias in the core's store-to-load check (the low 12 bits of the addresses), so each load from one
    row, updated in the same loop as the other, waited on the store just made to the other: 0.56-0.57
    ns per element for the (32, 1024) backward in cache with the rows D apart, 0.47-0.53 at this stride."""
    cdef Py_ssize_t row_bytes = max(D, 1) * itemsize
    return (row_bytes + (6144 - row_bytes % 4096) % 4096) // itemsize


cdef inline bint _parallel(Py_ssize_t M, Py_ssize_t D) noexcept nogil:
    # rows are independent and each is a few microseconds of work: threads pay off early
    return M * D >= ROWS_PARALLEL_MIN and M >= 2 * minigrad_max_threads()


cdef void _forward(const real[:, ::1] x, const real[::1] weight, const real[::1] bias, double eps,
                   real[:, ::1] y, double[::1] mean, double[::1] invstd) noexcept nogil:
    cdef Py_ssize_t M = x.shape[0], D = x.shape[1], r
    with nogil:
        if _parallel(M, D):  # a plain loop below (see _types.pxd)
            for r in prange(M, schedule="static"):
                _row_forward(&x[r, 0], &weight[0], &bias[0], eps, &y[r, 0], D, &mean[r], &invstd[r])
        else:
            for r in range(M):
                _row_forward(&x[r, 0], &weight[0], &bias[0], eps, &y[r, 0], D, &mean[r], &invstd[r])


cdef inline void _row_forward(const real* x, const real* weight, const real* bias, double eps, real* y,
                              Py_ssize_t D, double* mean, double* invstd) noexcept nogil:
    cdef Py_ssize_t j
    cdef double mu, variance
    cdef real mean_hi, mean_lo
    if real is float:
        _row_shifted_moments(x, D, &mu, &variance)
    else:
        mu = _row_sum(x, D) / D
    # mean = mean_hi + mean_lo in x's dtype: (x - mean_hi) - mean_lo keeps every digit of the
    # centred value, so the per-element passes run in x's dtype (float32: twice the lanes)
    mean_hi = <real>mu
    mean_lo = <real>(mu - mean_hi)
    if real is double:
        variance = _row_centered_squares(x, D, mean_hi, mean_lo) / D
    cdef double scale = 1 / sqrt(variance + eps)
    cdef real scale_r = <real>scale
    mean[0], invstd[0] = mu, scale
    for j in range(D):
        y[j] = ((x[j] - mean_hi) - mean_lo) * scale_r * weight[j] + bias[j]


cdef void _backward(const real[:, ::1] gy, const real[:, ::1] x, const double[::1] mean,
                    const double[::1] invstd, const real[::1] weight, real[:, ::1] gx, real[::1] gweight,
                    real[::1] gbias, double* partials, Py_ssize_t blocks, Py_ssize_t block_rows) noexcept nogil:
    cdef Py_ssize_t M = x.shape[0], D = x.shape[1], block, j
    cdef Py_ssize_t stride = _pair_stride(D, sizeof(double))  # gbias's partial row stride past gweight's
    with nogil:
        if _parallel(M, D):  # a plain loop below (see _types.pxd)
            for block in prange(blocks, schedule="static"):
                _rows_backward(gy, x, mean, invstd, weight, gx, partials + 2 * stride * block, stride,
                               block * block_rows, min(M, (block + 1) * block_rows))
        else:
            for block in range(blocks):
                _rows_backward(gy, x, mean, invstd, weight, gx, partials + 2 * stride * block, stride,
                               block * block_rows, min(M, (block + 1) * block_rows))
        # the blocks' partial rows added in block order into the first pair (zero rows: no blocks)
        if blocks == 0:
            memset(partials, 0, 2 * stride * sizeof(double))
        for block in range(1, blocks):
            for j in range(D):
                partials[j] += partials[2 * stride * block + j]
                partials[stride + j] += partials[2 * stride * block + stride + j]
        for j in range(D):
            gweight[j] = <real>partials[j]
            gbias[j] = <real>partials[stride + j]


cdef inline void _rows_backward(const real[:, ::1] gy, const real[:, ::1] x, const double[::1] mean,
                                const double[::1] invstd, const real[::1] weight, real[:, ::1] gx,
                                double* partial, Py_ssize_t partial_stride, Py_ssize_t start,
                                Py_ssize_t stop) noexcept nogil:
    """Rows [start, stop), their column sums into partial (gweight's row, then gbias's partial_stride
    further): summed in x's dtype over TILE_ROWS rows (in L1, a vector add per element), then added into
    the float64 row."""
    cdef Py_ssize_t r, j, D = x.shape[1], stride = _pair_stride(D, sizeof(real))
    cdef bint ahead
    cdef double* gweight = partial
    cdef double* gbias = partial + partial_stride
    cdef real* tile = <real*>calloc(2 * stride, sizeof(real))
    cdef real* tile_bias = tile + stride
    if tile == NULL:
        abort()  # 2 rows of scratch: out of memory here leaves nothing sensible to do
    memset(gweight, 0, D * sizeof(double))
    memset(gbias, 0, D * sizeof(double))
    for r in range(start, stop):
        ahead = r + 1 < stop and D * sizeof(real) <= PREFETCH_ROW_BYTES
        _row_backward(&gy[r, 0], &x[r, 0], mean[r], invstd[r], &weight[0], &gx[r, 0], D, tile, tile_bias,
                      &gy[r + 1, 0] if ahead else NULL, &x[r + 1, 0] if ahead else NULL)
        if (r - start) % TILE_ROWS == TILE_ROWS - 1 or r == stop - 1:
            for j in range(D):
                gweight[j] += tile[j]
                gbias[j] += tile_bias[j]
                tile[j] = 0
                tile_bias[j] = 0
    free(tile)


cdef inline void _row_backward(const real* gy, const real* x, double mu, double scale, const real* weight,
                               real* gx, Py_ssize_t D, real* gweight, real* gbias, const real* next_gy,
                               const real* next_x) noexcept nogil:
    """One row, with d = x - mean and g = gy * weight: the sums of g and g * d, with gy * d * scale
    and gy added to the tile's column sums in the same pass, then
    gx = scale * g - scale * mean(g) - d * scale^3 * mean(g * d). The sums run in x's dtype over CHUNK
    elements per lane group, then in double lanes (a tail beyond the lanes straight into the double
    totals): a vector of float32 sums holds 16 elements, not 8, with no conversions, and the row total
    keeps double's reach. The tile's sums need only the row's scale, so they ride on the first pass and
    the gx pass is loads and one store: after each store to gx, that pass had loaded the tile and gy
    again, and those loads waited on the store (0.70 -> 0.47-0.53 ns per element at (32, 1024)
    float32, 0.64 -> 0.48-0.52 at (64, 512), in cache). next_gy, next_x: the next row's, fetched into
    the cache during the first pass (NULL: none)."""
    cdef real chunk_g[LANES]
    cdef real chunk_gd[LANES]
    cdef double sum_g[LANES]
    cdef double sum_gd[LANES]
    cdef double total_g = 0, total_gd = 0
    cdef real mean_hi = <real>mu
    cdef real mean_lo = <real>(mu - mean_hi)
    cdef real k_g = <real>scale
    cdef real g, d, k_d, k_0
    cdef Py_ssize_t start, j, k, whole = D - D % LANES
    for start in range(0, whole, 512):  # 512 = CHUNK: Cython needs a literal step
        for k in range(LANES):
            chunk_g[k] = 0
            chunk_gd[k] = 0
        for j in range(start, min(start + CHUNK, whole), 32):  # 32 = LANES
            if next_gy != NULL:
                for k in range(0, LANES * sizeof(real), 64):
                    minigrad_prefetch(<const char*>(next_gy + j) + k)
                    minigrad_prefetch(<const char*>(next_x + j) + k)
            for k in range(LANES):
                g = gy[j + k] * weight[j + k]
                d = (x[j + k] - mean_hi) - mean_lo
                chunk_g[k] += g
                chunk_gd[k] += g * d
                gweight[j + k] += gy[j + k] * (d * k_g)
                gbias[j + k] += gy[j + k]
        _gather_chunk(sum_g, chunk_g, start == 0)
        _gather_chunk(sum_gd, chunk_gd, start == 0)
    if whole:
        total_g = _lanes_total(sum_g)
        total_gd = _lanes_total(sum_gd)
    for j in range(whole, D):
        g = gy[j] * weight[j]
        d = (x[j] - mean_hi) - mean_lo
        total_g += g
        total_gd += <double>g * d
        gweight[j] += gy[j] * (d * k_g)
        gbias[j] += gy[j]
    k_0 = <real>(-scale * total_g / D)
    k_d = <real>(-scale * scale * scale * total_gd / D)
    for j in range(D):
        d = (x[j] - mean_hi) - mean_lo
        gx[j] = k_g * (gy[j] * weight[j]) + k_d * d + k_0


cdef inline void _row_shifted_moments(const float* row, Py_ssize_t D, double* mean, double* variance) noexcept nogil:
    """A float32 row's mean and biased variance in one pass: the sums of d = x - x[0] and d^2 in double
    (each d exact in double, d^2 within an ulp), var = mean(d^2) - mean(d)^2. The cancellation is at most
    a factor D (the row's own x[0] is in the variance: (mean - x[0])^2 <= D var), so var keeps 53 - log2(D)
    bits, far beyond float32's 24, whatever the row's offset."""
    cdef double sums[LANES]
    cdef double squares[LANES]
    cdef double shift = row[0] if D > 0 else 0, d, m
    cdef Py_ssize_t j, k, whole = D - D % LANES
    for k in range(LANES):
        sums[k] = 0
        squares[k] = 0
    for j in range(0, whole, 32):  # 32 = LANES: Cython needs a literal step
        for k in range(LANES):
            d = row[j + k] - shift
            sums[k] += d
            squares[k] += d * d
    for j in range(whole, D):
        d = row[j] - shift
        sums[0] += d
        squares[0] += d * d
    m = _lanes_total(sums) / D
    mean[0] = shift + m
    variance[0] = max(_lanes_total(squares) / D - m * m, 0.0)


cdef inline double _row_sum(const real* row, Py_ssize_t D) noexcept nogil:
    cdef double acc[LANES]
    cdef Py_ssize_t j, k, whole = D - D % LANES
    for k in range(LANES):
        acc[k] = 0
    for j in range(0, whole, 32):  # 32 = LANES: Cython needs a literal step
        for k in range(LANES):
            acc[k] += row[j + k]
    for j in range(whole, D):
        acc[0] += row[j]
    return _lanes_total(acc)


cdef inline double _row_centered_squares(const real* row, Py_ssize_t D, real mean_hi, real mean_lo) noexcept nogil:
    cdef double acc[LANES]
    cdef real d
    cdef Py_ssize_t j, k, whole = D - D % LANES
    for k in range(LANES):
        acc[k] = 0
    for j in range(0, whole, 32):  # 32 = LANES: Cython needs a literal step
        for k in range(LANES):
            d = (row[j + k] - mean_hi) - mean_lo
            acc[k] += <double>d * d
    for j in range(whole, D):
        d = (row[j] - mean_hi) - mean_lo
        acc[0] += <double>d * d
    return _lanes_total(acc)


cdef inline void _gather_chunk(double* lanes, const real* chunk, bint first) noexcept nogil:
    """lanes = chunk (the row's first chunk) or lanes += chunk, in double: no lanes to zero per row,
    the bulk of a row's fixed cost at D = 128."""
    cdef Py_ssize_t k
    if first:
        for k in range(LANES):
            lanes[k] = chunk[k]
    else:
        for k in range(LANES):
            lanes[k] += chunk[k]


cdef inline double _lanes_total(double* acc) noexcept nogil:
    """The sum of acc[0:LANES], in a tree of halvings: five dependent vector adds, where a sequential
    sum is 31 dependent adds per reduction, the bulk of a row's time at D = 128 (clobbers acc)."""
    cdef Py_ssize_t k
    for k in range(16):  # literal halvings of LANES = 32, so that each loop unrolls into vector adds
        acc[k] += acc[k + 16]
    for k in range(8):
        acc[k] += acc[k + 8]
    for k in range(4):
        acc[k] += acc[k + 4]
    for k in range(2):
        acc[k] += acc[k + 2]
    return acc[0] + acc[1]
