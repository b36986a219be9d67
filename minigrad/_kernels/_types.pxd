# Fused types shared by every kernel module: one specialisation per supported dtype.
ctypedef fused real:
    float
    double

# Below this many elements a parallel region costs more than it saves. A loop under it is written
# as a plain ``range`` loop, not as ``prange(..., use_threads_if=False)``: OpenMP opens the region even
# when its if clause keeps it on one thread (a thread team made and freed, about a microsecond), which
# is most of a kernel's time on a small array. Hence the pattern in the kernels that a training step
# calls on small arrays (activations, dropout, linear, BatchNorm, LayerNorm, the optimizers):
#     if work > PARALLEL_MIN:  for i in prange(n, schedule="static"): body(i)
#     else:                    for i in range(n): body(i)
# with the body in an inline function, under ``with nogil`` so that both branches release the GIL.
# Convolution and pooling keep ``use_threads_if``: one call is far more work than the region costs.
cdef enum:
    PARALLEL_MIN = 524288


cdef inline Py_ssize_t block_start(Py_ssize_t block, Py_ssize_t blocks, Py_ssize_t n) noexcept nogil:
    """Where block ``block`` of ``blocks`` near-equal blocks of range(n) starts (block = blocks: n)."""
    return n * block // blocks


cdef extern from "_runtime.h":
    int minigrad_max_threads() nogil
    void minigrad_set_threads(int n) nogil
    int minigrad_has_openmp() nogil
    int minigrad_parallel_region_threads() nogil
    int minigrad_tune_malloc() nogil
    long long minigrad_clock_ns() nogil
    ctypedef struct minigrad_region:
        long long opened, master_work, jobs
        int master_jobs, threads
    minigrad_region minigrad_region_open(long long jobs, int threads) nogil
    long long minigrad_job_start(const minigrad_region* region) nogil
    void minigrad_job_end(minigrad_region* region, long long started) nogil
