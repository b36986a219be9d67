"""LSTM and GRU loops (CPU). The step loops: the pointwise part of one step of one direction, over the
B rows of the batch that take part in it. The sequence loops: a whole direction of a layer, each
step's recurrent GEMM and its pointwise part, in one parallel region. The kernel front checks and
allocates (front/recurrent.py); the arrays are C-contiguous rows of one dtype. The per-element math
and the row loops are recurrent.h's, shared with cuda/recurrent.cu; the math runs in the arrays'
dtype."""
from cython.parallel cimport parallel, prange
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy

from .blas cimport gemm
from ._types cimport PARALLEL_MIN, block_start, minigrad_max_threads, real

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #endif
    /* A barrier of the enclosing parallel region (an orphaned directive binds to it), and the calling
       thread's index and team size there; without OpenMP the region is one thread. */
    static inline void recurrent_barrier(void) {
    #ifdef _OPENMP
    #pragma omp barrier
    #endif
    }
    static inline int recurrent_thread(void) {
    #ifdef _OPENMP
        return omp_get_thread_num();
    #else
        return 0;
    #endif
    }
    static inline int recurrent_team(void) {
    #ifdef _OPENMP
        return omp_get_num_threads();
    #else
        return 1;
    #endif
    }
    """
    void recurrent_barrier() nogil
    int recurrent_thread() nogil
    int recurrent_team() nogil

cdef extern from "recurrent.h" nogil:
    void lstm_forward_row_float(const float* x_gates, const float* h_gates, const float* c_prev, float* gates,
                                float* h, float* c, long long H)
    void lstm_forward_row_double(const double* x_gates, const double* h_gates, const double* c_prev, double* gates,
                                 double* h, double* c, long long H)
    void lstm_backward_row_float(const float* gates, const float* c_prev, const float* c, const float* gh,
                                 const float* gc, float* gates_grad, float* gc_prev, long long H)
    void lstm_backward_row_double(const double* gates, const double* c_prev, const double* c, const double* gh,
                                  const double* gc, double* gates_grad, double* gc_prev, long long H)
    void gru_forward_row_float(const float* x_gates, const float* h_gates, const float* h_prev, float* gates,
                               float* h, long long H)
    void gru_forward_row_double(const double* x_gates, const double* h_gates, const double* h_prev, double* gates,
                                double* h, long long H)
    void gru_backward_row_float(const float* gates, const float* h_prev, const float* gh, float* x_gates_grad,
                                float* h_gates_grad, float* gh_prev, long long H)
    void gru_backward_row_double(const double* gates, const double* h_prev, const double* gh, double* x_gates_grad,
                                 double* h_gates_grad, double* gh_prev, long long H)

cdef extern from "recurrent_gemm.h" nogil:
    enum:
        RG_MR
        RG_NR
    long long rg_packed_b_size(long long k, long long n)
    long long rg_packed_a_size(long long m, long long k)
    void rg_pack_b(const float* b, long long row_step, long long column_step, long long k, long long n, float* packed)
    void rg_pack_a(const float* a, long long row_step, long long column_step, long long m, long long k, float* packed)
    void rg_product(long long m, long long col0, long long col1, long long k, const float* packed_a,
                    const float* packed_b, long long b_rows, float beta, int resume, float* c, long long ldc)

cdef enum:
    # a few exps per element: threads pay off at fewer elements than a copy-like loop
    STEP_PARALLEL_MIN = PARALLEL_MIN // 16

cdef inline void _lstm_forward_row(const real* x_gates, const real* h_gates, const real* c_prev, real* gates, real* h,
                                   real* c, Py_ssize_t H) noexcept nogil:
    if real is float:
        lstm_forward_row_float(x_gates, h_gates, c_prev, gates, h, c, H)
    else:
        lstm_forward_row_double(x_gates, h_gates, c_prev, gates, h, c, H)


cdef inline void _gru_forward_row(const real* x_gates, const real* h_gates, const real* h_prev, real* gates, real* h,
                                  Py_ssize_t H) noexcept nogil:
    if real is float:
        gru_forward_row_float(x_gates, h_gates, h_prev, gates, h, H)
    else:
        gru_forward_row_double(x_gates, h_gates, h_prev, gates, h, H)


cdef inline void _lstm_backward_row(const real* gates, const real* c_prev, const real* c, const real* gh,
                                    const real* gc, real* gates_grad, real* gc_prev, Py_ssize_t H) noexcept nogil:
    if real is float:
        lstm_backward_row_float(gates, c_prev, c, gh, gc, gates_grad, gc_prev, H)
    else:
        lstm_backward_row_double(gates, c_prev, c, gh, gc, gates_grad, gc_prev, H)


cdef inline void _gru_backward_row(const real* gates, const real* h_prev, const real* gh, real* x_gates_grad,
                                   real* h_gates_grad, real* gh_prev, Py_ssize_t H) noexcept nogil:
    if real is float:
        gru_backward_row_float(gates, h_prev, gh, x_gates_grad, h_gates_grad, gh_prev, H)
    else:
        gru_backward_row_double(gates, h_prev, gh, x_gates_grad, h_gates_grad, gh_prev, H)


# One step is tens to hundreds of microseconds of work at the sizes that matter, so these loops take
# ``use_threads_if`` and its parallel region's microsecond (see _types.pxd) instead of a second, plain loop.


def lstm_cell_forward(const real[:, ::1] x_gates, const real[:, ::1] h_gates, const real[:, ::1] c_prev,
                      real[:, ::1] gates, real[:, ::1] h, real[:, ::1] c):
    """One LSTM step. x_gates, h_gates: (B, 4H) pre-activation parts (input and recurrent
    projections, biases included); c_prev: (B, H). Fills gates (B, 4H) with the activated i, f, g, o,
    c (B, H) with the new cell and h (B, H) with o * tanh(c)."""
    cdef Py_ssize_t r, rows = c_prev.shape[0], H = c_prev.shape[1]
    if H == 0:
        return
    for r in prange(rows, schedule="static", use_threads_if=rows * H > STEP_PARALLEL_MIN, nogil=True):
        _lstm_forward_row(&x_gates[r, 0], &h_gates[r, 0], &c_prev[r, 0], &gates[r, 0], &h[r, 0], &c[r, 0], H)


def lstm_cell_backward(const real[:, ::1] gates, const real[:, ::1] c_prev, const real[:, ::1] c,
                       const real[:, ::1] gh, const real[:, ::1] gc, real[:, ::1] gates_grad, real[:, ::1] gc_prev):
    """The backward of lstm_cell_forward. gates: (B, 4H) as it filled them; c_prev, c: (B, H); gh,
    gc: (B, H) gradients of h and c. Fills gates_grad (B, 4H), the pre-activations' gradient (of both
    projections), and gc_prev (B, H). gc_prev may be gc itself (each element is read, then written)."""
    cdef Py_ssize_t r, rows = c.shape[0], H = c.shape[1]
    if H == 0:
        return
    for r in prange(rows, schedule="static", use_threads_if=rows * H > STEP_PARALLEL_MIN, nogil=True):
        _lstm_backward_row(&gates[r, 0], &c_prev[r, 0], &c[r, 0], &gh[r, 0], &gc[r, 0], &gates_grad[r, 0],
                           &gc_prev[r, 0], H)


def gru_cell_forward(const real[:, ::1] x_gates, const real[:, ::1] h_gates, const real[:, ::1] h_prev,
                     real[:, ::1] gates, real[:, ::1] h):
    """One GRU step. x_gates, h_gates: (B, 3H) input and recurrent projections (r, z, n), each with
    its own bias; h_prev: (B, H). Fills gates (B, 4H) with r, z, n and h_gates' n part (what the
    backward needs) and h (B, H)."""
    cdef Py_ssize_t r, rows = h_prev.shape[0], H = h_prev.shape[1]
    if H == 0:
        return
    for r in prange(rows, schedule="static", use_threads_if=rows * H > STEP_PARALLEL_MIN, nogil=True):
        _gru_forward_row(&x_gates[r, 0], &h_gates[r, 0], &h_prev[r, 0], &gates[r, 0], &h[r, 0], H)


def gru_cell_backward(const real[:, ::1] gates, const real[:, ::1] h_prev, const real[:, ::1] gh,
                      real[:, ::1] x_gates_grad, real[:, ::1] h_gates_grad, real[:, ::1] gh_prev):
    """The backward of gru_cell_forward. gates: (B, 4H) as it filled them; h_prev, gh: (B, H). Fills
    x_gates_grad and h_gates_grad (B, 3H), the two projections' gradients, and gh_prev (B, H), h_prev's
    direct share (the recurrent projection's share is h_gates_grad @ weight_hh)."""
    cdef Py_ssize_t r, rows = h_prev.shape[0], H = h_prev.shape[1]
    if H == 0:
        return
    for r in prange(rows, schedule="static", use_threads_if=rows * H > STEP_PARALLEL_MIN, nogil=True):
        _gru_backward_row(&gates[r, 0], &h_prev[r, 0], &gh[r, 0], &x_gates_grad[r, 0], &h_gates_grad[r, 0],
                          &gh_prev[r, 0], H)


# The sequence loops. A step needs the whole previous state before its product, and its product
# before its pointwise part, so the threads meet at a barrier after each half: the product is split
# by blocks of its output columns (each thread one single-threaded GEMM), the pointwise part by rows.
# One region for the whole sequence: a region per step would wake the team twice as often. float32's
# products run recurrent_gemm.h's kernel on the weight packed once per sequence; float64's go to BLAS:
cdef enum:
    # Each float64 step's product goes to BLAS in blocks of whole columns of at most SMALL_PRODUCT multiply-adds
    # (OpenBLAS multiplies products up to 100^3 in its small-matrix kernel, without packing the
    # operands; one (32 x 256) x (256 x 1024) call repacked the whole 1 MiB weight every step: 64
    # steps took 43-49 ms, in blocks of 64 columns 26-29, one product of the whole sequence's size
    # 30-32; loaded 2-core host). The blocks are COLUMN_ALIGN wide or a multiple, fixed per call, and
    # threads split the columns at whole blocks, so a column's bits do not depend on the thread count.
    SMALL_PRODUCT = 1000000
    COLUMN_ALIGN = 16
    # Multiply-adds of one step's product from which its threads split it. Two barriers a step cost a
    # few microseconds on idle cores but up to a scheduler time slice where the cores are shared. On
    # the idle 2-core host the LSTM benchmark (32 x 256 x 1024 a step, 8.4M) took 103 ms on two
    # threads against 140 ms with its steps on one (170 ms on one thread); with the host loaded (about
    # 10) two threads were 1.15-1.4x slower than one. Idle machines are what the threads are for.
    SEQUENCE_PARALLEL_MIN = 1 << 22


cdef inline int _sequence_threads(Py_ssize_t rows, Py_ssize_t columns, Py_ssize_t inner) noexcept nogil:
    return minigrad_max_threads() if rows * columns * inner >= SEQUENCE_PARALLEL_MIN else 1


cdef inline Py_ssize_t _block_width(Py_ssize_t rows, Py_ssize_t inner) noexcept nogil:
    """The column block of a step's product of (rows, inner) by (inner, columns)."""
    return max(SMALL_PRODUCT // max(rows * inner, 1) // COLUMN_ALIGN, 1) * COLUMN_ALIGN


cdef inline Py_ssize_t _column(int thread, int team, Py_ssize_t columns, Py_ssize_t width) noexcept nogil:
    """Where the thread's share of a product's columns starts (thread = team: the end), in blocks of width."""
    if thread == team:
        return columns
    return block_start(thread, team, (columns + width - 1) // width) * width


cdef struct Packed:
    void* b  # the steps' B, made once per sequence: float32's packed (recurrent_gemm.h), float64's row-major
    float* a  # float32: each thread's packed step operand, a_size floats apiece
    Py_ssize_t a_size


cdef int _pack(Packed* packed, const real* b, Py_ssize_t row_step, Py_ssize_t column_step, Py_ssize_t rows,
               Py_ssize_t inner, Py_ssize_t columns, int threads) except -1:
    """The steps' B (inner, columns), element (j, col) at b[j * row_step + col * column_step] (the
    forward's W_hh^T is W_hh's transposed view: no transposed copy of the weight), made once per
    sequence: float32's packed for rg_product, with room for each thread's A (rows, inner); float64's
    a row-major copy for BLAS. _unpack frees it."""
    cdef Py_ssize_t j, col
    cdef double* rows_of_b
    packed.a = NULL
    packed.a_size = rg_packed_a_size(rows, inner) if real is float else 0
    packed.b = malloc((rg_packed_b_size(inner, columns) if real is float else inner * columns) * sizeof(real))
    if real is float:
        packed.a = <float*>malloc(threads * packed.a_size * sizeof(float))
    if packed.b == NULL or (real is float and packed.a == NULL):
        _unpack(packed)
        raise MemoryError(f"recurrent: no memory for a packed ({inner}, {columns}) weight")
    if real is float:
        rg_pack_b(b, row_step, column_step, inner, columns, <float*>packed.b)
        return 0
    rows_of_b = <double*>packed.b
    for j in range(inner):
        for col in range(columns):
            rows_of_b[j * columns + col] = b[j * row_step + col * column_step]
    return 0


cdef void _unpack(Packed* packed) noexcept nogil:
    free(packed.a)
    free(packed.b)


cdef inline Py_ssize_t _width(const real* dtype, Py_ssize_t rows, Py_ssize_t inner) noexcept nogil:
    """The column block of a step's product (dtype: any pointer of the product's type)."""
    if real is float:
        return RG_NR  # whole panels: a thread's columns start at a panel
    return _block_width(rows, inner)


cdef inline void _step_product(Packed* packed, int thread, Py_ssize_t rows, Py_ssize_t col0, Py_ssize_t col1,
                               Py_ssize_t width, Py_ssize_t inner, const real* a, Py_ssize_t columns, real beta,
                               real* c, Py_ssize_t ldc) noexcept nogil:
    """Columns col0:col1 of one step's C (rows, ldc) = A (rows, inner) B + beta C, B (inner, columns)
    as _pack made it.
    float32: recurrent_gemm.h's kernel on the packed B (the benchmark LSTM's forward walk 15.4-17.2 ms
    of thread time against 17.4-18.3 with BLAS's blocks, its backward 13.6-14.5 against 16.1-17.9).
    float64: one BLAS call per block of width columns of B's row-major copy: blocks of the transposed
    view took 47-49 ms over the benchmark's 64 forward steps against 22."""
    cdef Py_ssize_t col = col0
    if real is float:
        rg_pack_a(a, inner, 1, rows, inner, packed.a + thread * packed.a_size)
        rg_product(rows, col0, col1, inner, packed.a + thread * packed.a_size, <float*>packed.b, inner, beta, False,
                   c, ldc)
        return
    while col < col1:
        gemm(False, False, rows, min(width, col1 - col), inner, 1, a, inner, <real*>packed.b + col, columns, beta,
             c + col, ldc)
        col += width


# The whole sequence's float32 products (the input projection, the input's and the weights' gradients)
# on the same kernel: BLAS's sgemm ran the benchmark's (2048, 256) x (256, 1024) at 44 GFMA/s of thread
# time, this loop at 48 (a row block of A against every panel of B, the B panels read from L2). A
# product is taken PRODUCT_DEPTH of its k at a time, every row block of the output resuming from the
# previous slice (rg_block's resume), so the slice of B stays in L2 while all of A's row blocks pass
# over it: the LSTM's weight gradients (k: the 2048 rows of the sequence, B both parts' 2048 x 512)
# read the whole 4 MiB B from beyond L2 per row block and ran at 36 GFMA/s against PyTorch's 72. A
# block of rows of the output is one thread's and each element one chain of fused multiply-adds over
# k, so the bits depend neither on the thread count nor on the slicing.
cdef enum:
    PRODUCT_DEPTH = 256
    # row blocks a thread packs and multiplies together: their packed A (64 x 256 floats, 64 KiB) in
    # L2, each B panel reused from L1 across them; a transposed A (the weight gradients') is read a
    # column of all 64 rows at a time, whole cache lines (rg_pack_a)
    PRODUCT_GROUP = 8

cdef struct ProductPart:
    float* packed_b
    float* out
    const float* bias  # NULL: none
    Py_ssize_t columns, ldc


def packed_products(const float[:, :] a, tuple b_parts, tuple outs, tuple biases):
    """outs[i] (m, n_i) = a (m, k) @ b_parts[i] (k, n_i) + biases[i], float32, a and the parts of any
    strides (a transposed view packs as it is), biases[i] (n_i,) contiguous or None; one packing of
    each of a's row blocks serves every part. A bias is added to the thread's output rows once their
    last slice of k is in, while they are still in cache, not in a pass over the whole output."""
    cdef Py_ssize_t m = a.shape[0], k = a.shape[1], i, part, t, r, col, rows, group_rows, groups, threads
    cdef Py_ssize_t depth = min(k, <Py_ssize_t>PRODUCT_DEPTH), depth_slice, k0, slice_k
    # signed: a view's strides may be negative, and Py_ssize_t // size_t would divide unsigned
    cdef Py_ssize_t item = sizeof(float), row_step = a.strides[0] // item, column_step = a.strides[1] // item
    cdef Py_ssize_t parts_count = len(b_parts), work = 0
    cdef const float[:, :] b
    cdef const float[::1] bias
    cdef float[:, ::1] out
    cdef float* packed_a
    cdef float* out_rows
    cdef ProductPart* parts
    if m == 0 or k == 0:
        for out, bias in zip(outs, biases):
            if bias is None:
                out[:, :] = 0
            else:
                for r in range(m):
                    out[r, :] = bias
        return
    parts = <ProductPart*>calloc(parts_count, sizeof(ProductPart))
    if parts == NULL:
        raise MemoryError("packed_products: no memory")
    try:
        for i in range(parts_count):
            b, out = b_parts[i], outs[i]
            if b.shape[1] == 0:
                continue  # columns 0: nothing to pack or fill
            parts[i].columns, parts[i].ldc, parts[i].out = b.shape[1], out.shape[1], &out[0, 0]
            bias = biases[i]
            parts[i].bias = NULL if bias is None else &bias[0]
            parts[i].packed_b = <float*>malloc(rg_packed_b_size(k, b.shape[1]) * sizeof(float))
            if parts[i].packed_b == NULL:
                raise MemoryError(f"packed_products: no memory for a packed ({k}, {b.shape[1]}) operand")
            rg_pack_b(&b[0, 0], b.strides[0] // item, b.strides[1] // item, k, b.shape[1],
                      parts[i].packed_b)
            work += m * k * b.shape[1]
        threads = minigrad_max_threads() if work >= SEQUENCE_PARALLEL_MIN else 1
        # PRODUCT_GROUP row blocks a group, fewer where that would leave threads without one (a hidden
        # size of 64 has 32 row blocks: 4 groups of 8); grouping changes no element's chain
        group_rows = RG_MR * max(1, min(<Py_ssize_t>PRODUCT_GROUP, ((m + RG_MR - 1) // RG_MR + threads - 1) // threads))
        groups = (m + group_rows - 1) // group_rows
        with nogil, parallel(num_threads=threads):
            packed_a = <float*>malloc(rg_packed_a_size(group_rows, depth) * sizeof(float))
            for depth_slice in range((k + depth - 1) // depth):
                k0 = depth_slice * depth
                slice_k = min(depth, k - k0)
                for t in prange(groups, schedule="static"):
                    if packed_a == NULL:
                        continue
                    rows = min(group_rows, m - t * group_rows)
                    rg_pack_a(&a[t * group_rows, k0], row_step, column_step, rows, slice_k, packed_a)
                    for part in range(parts_count):
                        out_rows = parts[part].out + t * group_rows * parts[part].ldc
                        rg_product(rows, 0, parts[part].columns, slice_k, packed_a, parts[part].packed_b + k0 * RG_NR,
                                   k, 0, k0 > 0, out_rows, parts[part].ldc)
                        if parts[part].bias != NULL and k0 + slice_k == k:
                            for r in range(rows):
                                for col in range(parts[part].columns):
                                    out_rows[r * parts[part].ldc + col] += parts[part].bias[col]
            if packed_a == NULL:
                with gil:
                    raise MemoryError(f"packed_products: no memory for a packed ({group_rows}, {depth}) block")
            free(packed_a)
    finally:
        for i in range(parts_count):
            free(parts[i].packed_b)
        free(parts)


def lstm_sequence_forward(const real[:, ::1] x_gates, const real[:, ::1] w_hh, const real[::1] bias,
                          const long long[:, ::1] steps, real[:, ::1] h, real[:, ::1] c, real[:, ::1] h_gates,
                          real[:, ::1] gates, real[:, ::1] h_prev, real[:, ::1] c_prev, real[:, ::1] c_all,
                          real[:, ::1] y):
    """One direction of an LSTM layer (no projection). x_gates: (T, 4H) input projection; w_hh: (4H,
    H); bias: (4H,) both biases, added to each step's recurrent projection (not a pass over x_gates),
    or None; steps: (S, 2) first row and row count of each step in the order taken. h, c: (N, H) the
    initial state, left holding the final one; h_gates: (N, 4H) scratch. Fills, per row of the
    sequence, gates (T, 4H) as lstm_cell_forward, h_prev and c_prev (T, H) the state the step read,
    c_all (T, H) the new cell and y (T, H) the output."""
    _sequence_forward(True, x_gates, w_hh, bias, steps, h, c, h_gates, gates, h_prev, c_prev, c_all, y)


def lstm_sequence_backward(const real[:, ::1] gy, const real[:, ::1] w_hh, const long long[:, ::1] steps,
                           const real[:, ::1] gates, const real[:, ::1] c_prev, const real[:, ::1] c_all,
                           real[:, ::1] gh, real[:, ::1] gc, real[:, ::1] g, real[:, ::1] gates_grad):
    """lstm_sequence_forward's backward. gy: (T, H) the output's gradient; w_hh: (4H, H); steps: the
    forward's, in reverse; gates, c_prev, c_all: as the forward filled them. gh, gc: (N, H) the
    final state's gradients, left holding the initial state's; g: (N, H) scratch. Fills gates_grad
    (T, 4H), the pre-activations' gradient."""
    _sequence_backward(True, gy, w_hh, steps, gates, c_prev, c_all, gh, gc, g, gates_grad, gates_grad)


def gru_sequence_forward(const real[:, ::1] x_gates, const real[:, ::1] w_hh, const real[::1] b_hh,
                         const long long[:, ::1] steps, real[:, ::1] h, real[:, ::1] h_gates, real[:, ::1] gates,
                         real[:, ::1] h_prev, real[:, ::1] y):
    """One direction of a GRU layer. x_gates: (T, 3H) input projection with b_ih; w_hh: (3H, H);
    b_hh: (3H,); steps: as lstm_sequence_forward's. h: (N, H) the initial state, left holding the
    final one; h_gates: (N, 3H) scratch. Fills gates (T, 4H) as gru_cell_forward, h_prev (T, H) the
    state each step read and y (T, H)."""
    cdef real[:, ::1] no_cell = None
    _sequence_forward(False, x_gates, w_hh, b_hh, steps, h, no_cell, h_gates, gates, h_prev, no_cell, no_cell, y)


cdef int _sequence_forward(bint lstm, const real[:, ::1] x_gates, const real[:, ::1] w_hh, const real[::1] bias,
                            const long long[:, ::1] steps, real[:, ::1] h, real[:, ::1] c, real[:, ::1] h_gates,
                            real[:, ::1] gates, real[:, ::1] h_prev, real[:, ::1] c_prev, real[:, ::1] c_all,
                            real[:, ::1] y) except -1:
    """Both forward walks. Per step: the recurrent projection of the state into h_gates, starting from
    bias (the GRU's b_hh, which stays inside its n gate; the LSTM's two biases) unless it is None,
    then the cell over the step's rows, which saves the state it read and leaves the new one. c,
    c_prev and c_all: the LSTM's cell arrays (None for the GRU)."""
    cdef Py_ssize_t H = h.shape[1], G = w_hh.shape[0], s, r, start, size, first, last, col0, col1
    cdef Py_ssize_t width = _width(&h[0, 0], h.shape[0], H)
    cdef bint biased = bias is not None
    cdef real beta = 1 if biased else 0
    cdef int thread, team, threads = _sequence_threads(h.shape[0], G, H)
    cdef Packed packed
    if H == 0 or steps.shape[0] == 0:
        return 0
    _pack(&packed, &w_hh[0, 0], 1, H, h.shape[0], H, G, threads)  # B = W_hh^T
    with nogil, parallel(num_threads=threads):
        thread, team = recurrent_thread(), recurrent_team()
        col0, col1 = _column(thread, team, G, width), _column(thread + 1, team, G, width)
        for s in range(steps.shape[0]):
            start, size = steps[s, 0], steps[s, 1]
            if col1 > col0:
                if biased:
                    for r in range(size):
                        memcpy(&h_gates[r, col0], &bias[col0], (col1 - col0) * sizeof(real))
                _step_product(&packed, thread, size, col0, col1, width, H, &h[0, 0], G, beta, &h_gates[0, 0], G)
            recurrent_barrier()
            first, last = block_start(thread, team, size), block_start(thread + 1, team, size)
            for r in range(first, last):
                memcpy(&h_prev[start + r, 0], &h[r, 0], H * sizeof(real))
                if lstm:
                    memcpy(&c_prev[start + r, 0], &c[r, 0], H * sizeof(real))
                    _lstm_forward_row(&x_gates[start + r, 0], &h_gates[r, 0], &c_prev[start + r, 0],
                                      &gates[start + r, 0], &y[start + r, 0], &c_all[start + r, 0], H)
                    memcpy(&c[r, 0], &c_all[start + r, 0], H * sizeof(real))
                else:
                    _gru_forward_row(&x_gates[start + r, 0], &h_gates[r, 0], &h_prev[start + r, 0],
                                     &gates[start + r, 0], &y[start + r, 0], H)
                memcpy(&h[r, 0], &y[start + r, 0], H * sizeof(real))
            recurrent_barrier()
    _unpack(&packed)
    return 0


def gru_sequence_backward(const real[:, ::1] gy, const real[:, ::1] w_hh, const long long[:, ::1] steps,
                          const real[:, ::1] gates, const real[:, ::1] h_prev, real[:, ::1] gh, real[:, ::1] g,
                          real[:, ::1] x_gates_grad, real[:, ::1] h_gates_grad):
    """gru_sequence_forward's backward. gy: (T, H); w_hh: (3H, H); steps: the forward's, in reverse;
    gates, h_prev: as the forward filled them. gh: (N, H) the final state's gradient, left holding
    the initial state's; g: (N, H) scratch. Fills x_gates_grad and h_gates_grad (T, 3H), the two
    projections' gradients."""
    cdef real[:, ::1] no_cell = None
    _sequence_backward(False, gy, w_hh, steps, gates, h_prev, no_cell, gh, no_cell, g, x_gates_grad, h_gates_grad)


cdef int _sequence_backward(bint lstm, const real[:, ::1] gy, const real[:, ::1] w_hh, const long long[:, ::1] steps,
                             const real[:, ::1] gates, const real[:, ::1] state_prev, const real[:, ::1] c_all,
                             real[:, ::1] gh, real[:, ::1] gc, real[:, ::1] g, real[:, ::1] x_gates_grad,
                             real[:, ::1] h_gates_grad) except -1:
    """Both backward walks. Per step: the cell's backward over the step's rows, from g = gy + gh, into
    the pre-activations' gradients (the GRU's also writes h_prev's direct share into gh); then the
    recurrent projection's share, h_gates_grad's rows times w_hh, into gh (the GRU adds it to the
    direct share). state_prev: c_prev (LSTM) or h_prev (GRU); c_all and gc: the LSTM's cell arrays
    (None for the GRU); the LSTM's two gradients are one array (x_gates_grad is h_gates_grad)."""
    cdef Py_ssize_t H = gh.shape[1], G = w_hh.shape[0], s, r, k, start, size, first, last, col0, col1
    cdef Py_ssize_t width = _width(&gh[0, 0], gh.shape[0], G)
    cdef real beta = 0 if lstm else 1
    cdef int thread, team, threads = _sequence_threads(gh.shape[0], G, H)
    cdef Packed packed
    if H == 0 or steps.shape[0] == 0:
        return 0
    _pack(&packed, &w_hh[0, 0], H, 1, gh.shape[0], G, H, threads)
    with nogil, parallel(num_threads=threads):
        thread, team = recurrent_thread(), recurrent_team()
        col0, col1 = _column(thread, team, H, width), _column(thread + 1, team, H, width)
        for s in range(steps.shape[0]):
            start, size = steps[s, 0], steps[s, 1]
            first, last = block_start(thread, team, size), block_start(thread + 1, team, size)
            for r in range(first, last):
                for k in range(H):
                    g[r, k] = gy[start + r, k] + gh[r, k]
                if lstm:
                    _lstm_backward_row(&gates[start + r, 0], &state_prev[start + r, 0], &c_all[start + r, 0],
                                       &g[r, 0], &gc[r, 0], &x_gates_grad[start + r, 0], &gc[r, 0], H)
                else:
                    _gru_backward_row(&gates[start + r, 0], &state_prev[start + r, 0], &g[r, 0],
                                      &x_gates_grad[start + r, 0], &h_gates_grad[start + r, 0], &gh[r, 0], H)
            recurrent_barrier()
            _step_product(&packed, thread, size, col0, col1, width, G, &h_gates_grad[start, 0], H, beta, &gh[0, 0],
                          H)
            recurrent_barrier()
    _unpack(&packed)
    return 0
