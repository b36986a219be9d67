"""Process-level settings of the kernels: OpenMP thread count, allocator tuning."""
from ._types cimport (minigrad_has_openmp, minigrad_max_threads, minigrad_parallel_region_threads,
                      minigrad_set_threads, minigrad_tune_malloc)

from threadpoolctl import threadpool_limits

# OpenMP keeps a thread count per thread, and a thread started later begins from OpenMP's default,
# not from what set_num_threads chose. The chosen count is kept here, for the whole process, and
# sync_threads hands it to the calling thread before a kernel runs. Read and written with the GIL
# held. Starts as OpenMP's default (OMP_NUM_THREADS, or the number of cores).
cdef int _num_threads = minigrad_max_threads()


# OpenMP aborts the process when it cannot create the threads asked for (100000 did); far more
# threads than any machine's cores is a mistake, refused here with a clear error.
MAX_THREADS = 1024


def set_num_threads(n):
    """Use ``n`` threads (an int in [1, 1024]) in the parallel kernels and the matrix products, in every
    thread of the process (like torch.set_num_threads): all of minigrad's CPU parallelism, BLAS
    included (single-threaded, called from these threads). Without OpenMP the kernels are serial
    and the count stays 1.

    Example: ``mg.set_num_threads(1)`` before timing single-threaded code.
    """
    global _num_threads
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_THREADS:
        raise ValueError(f"number of threads must be an int in [1, {MAX_THREADS}], got {n!r}")
    _num_threads = n if minigrad_has_openmp() else 1
    minigrad_set_threads(_num_threads)
    single_threaded_blas()  # n threads in all: BLAS runs inside them, one thread per call


def single_threaded_blas():
    """Set every BLAS library loaded in the process (NumPy's and SciPy's OpenBLAS, MKL, ...) to one
    thread. minigrad calls BLAS from its own threads (blas.pyx), each call on the calling thread; a
    BLAS with a pool of its own would start it beside minigrad's, and its workers spin after each
    product while the next kernel waits. NumPy code elsewhere in the process then runs its products
    on one thread too (as under torch, whose BLAS shares its one pool); for more, limit around that
    code: ``with threadpoolctl.threadpool_limits(4, user_api="blas"): ...``."""
    threadpool_limits(1, user_api="blas")


def get_num_threads():
    """The number of threads the parallel kernels use, the same in every thread."""
    return _num_threads


cpdef void sync_threads() noexcept:
    """Give the calling thread the process-wide thread count; called before each parallel kernel
    (a compare of two ints when nothing changed)."""
    if minigrad_max_threads() != _num_threads:
        minigrad_set_threads(_num_threads)


def parallel_region_threads():
    """How many threads a parallel region opened by the calling thread gets now (for tests)."""
    return minigrad_parallel_region_threads()


def has_openmp():
    """True when the kernels were built with OpenMP."""
    return bool(minigrad_has_openmp())


def tune_malloc():
    """Raise glibc's mmap and trim thresholds so large arrays are reused from the heap rather than
    mapped and page-faulted afresh on every op. Returns False where glibc is absent."""
    return bool(minigrad_tune_malloc())
