# cython: wraparound=True
# (this module's Python-level code indexes shapes from the end; its loops index no arrays)
"""Matrix products on minigrad's threads (CPU): ``parallel_gemm`` splits one product into blocks, each a
single-threaded BLAS call (blas.pxd) on one of minigrad's OpenMP threads, and ``matmul`` is the products
of the fronts (Linear, Tensor matmul/mm/bmm/addmm) over it. BLAS itself stays single-threaded (see
minigrad/_kernels/__init__.py), so no second thread pool runs beside minigrad's."""
from cpython.buffer cimport PyBUF_STRIDES, PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from cython.parallel cimport prange

import numpy as np

from ._checks import check_matmul
from ._types cimport minigrad_job_end, minigrad_job_start, minigrad_max_threads, minigrad_region, minigrad_region_open
from .runtime cimport region_closed

# Below GEMM_PARALLEL_MIN multiply-adds a product is one BLAS call on the calling thread: waking the
# sleeping threads of a parallel region costs tens of microseconds quiet, and under load (another
# process on the cores) the region's end waits until the OS has run every woken thread, milliseconds
# at times, for a product that takes ~50 us on one thread. Above it the product is split into blocks
# that the threads take in turn (dynamic schedule): a thread the OS holds back takes fewer blocks
# instead of the others waiting for its half. The blocks are at most as many as the machine's cores,
# each of at least GEMM_BLOCK_MIN multiply-adds and BLOCK_MIN_EDGE rows or columns, since each block is
# one BLAS call that packs the shared operand again (~12 multiply-adds' time per element: a block of
# 128 columns costs ~8% more than one of 1024). Twice the cores cost 5-15% on a quiet 2-core host
# ((1024, 1024, 1024) at one thread: 24.5 ms against 22 ms), at both thread counts, for a gain under
# load that did not show through the noise. Edges are multiples of BLOCK_ALIGN.
#
# The split depends on the shape and the machine only, never on set_num_threads, and one thread runs
# the same blocks in turn: BLAS rounds an element differently depending on where the edges of its call
# fall (OpenBLAS's SkylakeX dgemm, for the last column of C, unless the edges are multiples of 96
# rows), so a split that followed the thread count would change bits between 1 and 2 threads.
cdef enum:
    GEMM_PARALLEL_MIN = 1 << 21
    GEMM_BLOCK_MIN = 1 << 20
    BLOCK_MIN_EDGE = 128
    BLOCK_ALIGN = 16

cdef extern from "_runtime.h":
    int minigrad_num_procs() nogil

INT_MAX = 2 ** 31 - 1


cdef inline Py_ssize_t _aligned_start(int block, int blocks, int size) noexcept nogil:
    """Where block ``block`` of ``blocks`` starts in range(size), on a multiple of BLOCK_ALIGN."""
    if block == blocks:
        return size
    return <Py_ssize_t>size * block // blocks // BLOCK_ALIGN * BLOCK_ALIGN


cdef int gemm_blocks(int m, int n, int k) noexcept nogil:
    """How many blocks parallel_gemm splits an (m, n, k) product into (1: not split)."""
    cdef double work = <double>m * n * k
    if work < GEMM_PARALLEL_MIN:
        return 1
    return <int>max(1, min(<double>minigrad_num_procs(), max(m, n) // BLOCK_MIN_EDGE, work // GEMM_BLOCK_MIN))


cdef void parallel_gemm(bint trans_a, bint trans_b, int m, int n, int k, real alpha, const real* a, int lda,
                        const real* b, int ldb, real beta, real* c, int ldc) noexcept nogil:
    """``gemm`` (blas.pxd; same arguments) split over minigrad's threads: blocks of rows of C when m >=
    n (each block's rows of op(A)), else blocks of columns (each block's columns of op(B)), taken by
    the threads in turn. Call it outside any parallel region, after sync_threads."""
    cdef int blocks = gemm_blocks(m, n, k)
    cdef int threads = min(minigrad_max_threads(), blocks)
    cdef int block
    cdef long long started
    if threads == 1:
        serial_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    cdef minigrad_region region = minigrad_region_open(blocks, threads)  # judged for lateness (runtime.pyx)
    for block in prange(blocks, schedule="dynamic", chunksize=1, num_threads=threads):
        started = minigrad_job_start(&region)
        _gemm_block(block, blocks, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        minigrad_job_end(&region, started)
    region_closed(&region)


cdef void serial_gemm(bint trans_a, bint trans_b, int m, int n, int k, real alpha, const real* a, int lda,
                      const real* b, int ldb, real beta, real* c, int ldc) noexcept nogil:
    """parallel_gemm's blocks in turn on the calling thread (the same bits as parallel_gemm)."""
    cdef int block, blocks = gemm_blocks(m, n, k)
    for block in range(blocks):
        _gemm_block(block, blocks, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)


cdef inline void _gemm_block(int block, int blocks, bint trans_a, bint trans_b, int m, int n, int k, real alpha,
                             const real* a, int lda, const real* b, int ldb, real beta, real* c,
                             int ldc) noexcept nogil:
    """Block ``block`` of ``blocks`` of parallel_gemm's product."""
    cdef bint by_rows = m >= n
    cdef int size = m if by_rows else n
    cdef Py_ssize_t start = _aligned_start(block, blocks, size), stop = _aligned_start(block + 1, blocks, size)
    if by_rows:
        gemm(trans_a, trans_b, stop - start, n, k, alpha, a + start * (1 if trans_a else lda), lda, b, ldb,
             beta, c + start * ldc, ldc)
    else:
        gemm(trans_a, trans_b, m, stop - start, k, alpha, a, lda, b + start * (ldb if trans_b else 1), ldb,
             beta, c + start, ldc)


def _gemm_block_count(m, n, k):
    """How many blocks an (m, n, k) product is split into (for tests; private: not a loop of cpu_loops)."""
    return gemm_blocks(m, n, k)


cdef void _products(Py_ssize_t batch, bint trans_a, bint trans_b, int m, int n, int k, const real* a, int lda,
                    Py_ssize_t a_step, const real* b, int ldb, Py_ssize_t b_step, real beta, real* c, int ldc,
                    Py_ssize_t c_step) noexcept nogil:
    """C[i] = op(A[i]) op(B[i]) + beta C[i] for i in range(batch); X[i] is X + i * x_step. A batch that
    fills the threads evenly runs whole products, taken by the threads in turn (see parallel_gemm);
    otherwise each product is split."""
    cdef Py_ssize_t i
    cdef long long started
    cdef int threads = minigrad_max_threads()
    cdef minigrad_region region
    if threads > 1 and (batch % threads == 0 or batch >= 4 * threads) \
            and <double>batch * m * n * k >= GEMM_PARALLEL_MIN:
        region = minigrad_region_open(batch, threads)
        for i in prange(batch, schedule="dynamic"):
            started = minigrad_job_start(&region)
            serial_gemm(trans_a, trans_b, m, n, k, 1, a + i * a_step, lda, b + i * b_step, ldb, beta,
                        c + i * c_step, ldc)
            minigrad_job_end(&region, started)
        region_closed(&region)
    else:
        for i in range(batch):
            parallel_gemm(trans_a, trans_b, m, n, k, 1, a + i * a_step, lda, b + i * b_step, ldb, beta,
                          c + i * c_step, ldc)


cdef size_t _address(array, int flags) except 0:
    """The address of an array's first element (any strides)."""
    cdef Py_buffer view
    PyObject_GetBuffer(array, &view, flags)
    address = <size_t>view.buf
    PyBuffer_Release(&view)
    return address


cdef tuple _operand(array):
    """(array, transposed, leading dimension, batch step) for a 3-D operand (batch, rows, cols): how
    BLAS reads it. A row-major or column-major matrix (each row, or each column, contiguous) is read
    in place, a column-major one as the transpose of a row-major one; other strides are copied."""
    cdef Py_ssize_t itemsize = array.itemsize
    batch_stride, row_stride, col_stride = array.strides
    rows, cols = array.shape[1], array.shape[2]
    if batch_stride % itemsize == 0:
        step = batch_stride // itemsize if array.shape[0] > 1 else 0
        # a dimension of length 1 has no meaningful stride: any is accepted, and the leading
        # dimension is the least BLAS allows
        if (cols == 1 or col_stride == itemsize) and (rows == 1 or row_stride % itemsize == 0
                                                      and row_stride >= cols * itemsize):
            return array, False, row_stride // itemsize if rows > 1 else max(cols, 1), step
        if (rows == 1 or row_stride == itemsize) and (cols == 1 or col_stride % itemsize == 0
                                                      and col_stride >= rows * itemsize):
            return array, True, col_stride // itemsize if cols > 1 else max(rows, 1), step
    array = np.ascontiguousarray(array)
    return array, False, max(cols, 1), rows * cols if array.shape[0] > 1 else 0


cdef bint _rows_in_place(out):
    """Whether BLAS can write the product into out in place: each row contiguous, rows apart by at
    least a row and by whole elements (BLAS's C is row-major with a leading dimension)."""
    itemsize, shape, strides = out.itemsize, out.shape, out.strides
    if shape[-1] > 1 and strides[-1] != itemsize:
        return False
    if shape[-2] > 1 and (strides[-2] % itemsize or strides[-2] < shape[-1] * itemsize):
        return False
    return out.ndim == 2 or shape[0] == 1 or strides[0] % itemsize == 0


def matmul(a, b, out=None, accumulate=False):
    """a @ b on minigrad's threads: (m, k) @ (k, n) -> (m, n), or batched (B, m, k) @ (B, k, n) -> (B, m,
    n), where a 2-D operand (or a batch of 1) is shared by the whole batch. float32 or float64, one
    dtype; any strides (transposed views go to BLAS as flags, not copies). out: the array to write,
    or with ``accumulate`` to add the product to; else a new C-contiguous array. Returns out.

    Example: ``matmul(gy.T, x)`` -> the weight gradient (out, in) of Linear, no copy of gy.T.
    """
    cdef int m_, n_, k_, lda, ldb, ldc
    cdef Py_ssize_t batch, a_step, b_step, c_step
    cdef bint transposed_a, transposed_b
    cdef double beta
    cdef size_t pa, pb, pc
    shape = check_matmul(a, b, out, accumulate)
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    if max(m, k, n) > INT_MAX:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} exceed BLAS's 32-bit sizes")
    target = out
    if out is None:
        target = out = np.empty(shape, a.dtype)
    elif accumulate and k == 0:
        return out
    elif not _rows_in_place(out) or np.may_share_memory(out, a) or np.may_share_memory(out, b):
        target = np.empty(shape, a.dtype)  # computed aside, then copied or added into out
    if k == 0:
        target[...] = 0
    elif m and n:
        target3 = target if target.ndim == 3 else target[None]
        a, transposed_a, leading_a, a_step = _operand(a if a.ndim == 3 else a[None])
        b, transposed_b, leading_b, b_step = _operand(b if b.ndim == 3 else b[None])
        leading_c = target3.strides[1] // target.itemsize if m > 1 else n
        if max(leading_a, leading_b, leading_c) > INT_MAX:
            raise ValueError(f"matmul: strides of {a.shape}, {b.shape} exceed BLAS's 32-bit sizes")
        lda, ldb, ldc = leading_a, leading_b, leading_c
        c_step = target3.strides[0] // target.itemsize
        batch = target3.shape[0]
        beta = 1 if accumulate and target is out else 0
        m_, n_, k_ = m, n, k
        pa, pb, pc = _address(a, PyBUF_STRIDES), _address(b, PyBUF_STRIDES), _address(target, PyBUF_STRIDES | PyBUF_WRITABLE)
        if a.dtype == np.float32:
            with nogil:
                _products[float](batch, transposed_a, transposed_b, m_, n_, k_, <const float*>pa, lda, a_step,
                                 <const float*>pb, ldb, b_step, <float>beta, <float*>pc, ldc, c_step)
        else:
            with nogil:
                _products[double](batch, transposed_a, transposed_b, m_, n_, k_, <const double*>pa, lda, a_step,
                                  <const double*>pb, ldb, b_step, beta, <double*>pc, ldc, c_step)
    if target is not out:
        if accumulate:
            out += target
        else:
            out[...] = target
    return out
