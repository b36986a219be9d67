"""Process-level settings of the kernels: OpenMP thread count (and its back-off under load), allocator
tuning."""
from ._types cimport (minigrad_clock_ns, minigrad_has_openmp, minigrad_max_threads, minigrad_parallel_region_threads,
                      minigrad_region, minigrad_region_open, minigrad_set_threads, minigrad_tune_malloc)

cdef extern from "_runtime.h":
    ctypedef struct minigrad_backoff:
        long long until, window, timed
        int setting
    minigrad_backoff* minigrad_thread_backoff() nogil

from threadpoolctl import threadpool_limits

# OpenMP keeps a thread count per thread, and a thread started later begins from OpenMP's default,
# not from what set_num_threads chose. The chosen count is kept here, for the whole process, and
# sync_threads hands it to the calling thread before a kernel runs. Read and written with the GIL
# held. Starts as OpenMP's default (OMP_NUM_THREADS, or the number of cores).
cdef int _num_threads = minigrad_max_threads()
# Counts the set_num_threads calls: a back-off made under an earlier setting no longer holds.
cdef int _setting = 0
# Whether late regions start a back-off (tests that compare thread counts turn it off: _allow_backoff).
cdef bint _backoff_allowed = True

# Back-off under load. At a parallel region's start the calling thread wakes the sleeping workers;
# when other processes keep the cores busy, the OS may run a woken worker only a time slice later
# (milliseconds), and the region's end waits for it even after the calling thread has run every job:
# a 3 ms training step that opens a few regions then took 6 ms at 2 threads against 3 ms at 1. So each
# job region (a dynamic schedule over jobs: the products of blas.pyx, convolution) is timed, and
# region_closed judges it late when it took LATE_NS longer than the calling thread alone would have
# (its mean time per job times the jobs). A late region makes the calling thread open its regions,
# the elementwise ones too, with one thread for a back-off window, BACKOFF_MIN_NS at first, doubled
# (up to BACKOFF_MAX_NS) each time the first region after a window is late again, reset when a region
# is on time. LATE_NS is well above what waking a thread costs on an idle host (tens of microseconds),
# so there the back-off does not start. The state is per thread, as OpenMP's thread count is;
# get_num_threads still returns the setting, and every kernel gives the same bits at any count. A new
# job region is timed as parallel_gemm's is (blas.pyx; region_closed says how).
cdef enum:
    LATE_NS = 250000
    BACKOFF_MIN_NS = 20000000
    BACKOFF_MAX_NS = 640000000


# OpenMP aborts the process when it cannot create the threads asked for (100000 did); far more
# threads than any machine's cores is a mistake, refused here with a clear error.
MAX_THREADS = 1024


def set_num_threads(n):
    """Use ``n`` threads (an int in [1, 1024]) in the parallel kernels and the matrix products, in every
    thread of the process (like torch.set_num_threads): all of minigrad's CPU parallelism, BLAS
    included (single-threaded, called from these threads). Without OpenMP the kernels are serial
    and the count stays 1. Under load (other processes busy on the cores) a thread whose parallel
    regions keep waiting for a worker the OS has not run runs its kernels on one thread for a while,
    then tries ``n`` again (see LATE_NS in runtime.pyx); the results are the same bits either way.

    Example: ``mg.set_num_threads(1)`` before timing single-threaded code.
    """
    global _num_threads, _setting
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_THREADS:
        raise ValueError(f"number of threads must be an int in [1, {MAX_THREADS}], got {n!r}")
    _num_threads = n if minigrad_has_openmp() else 1
    _setting += 1
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
    """The number of threads the parallel kernels use, the same in every thread (the setting: a thread
    backing off under load runs on one for a while without changing it)."""
    return _num_threads


cpdef void sync_threads() noexcept:
    """Give the calling thread the process-wide thread count, or one thread while it backs off (see
    LATE_NS); called before each parallel kernel (with more than one thread set, a thread-local read
    and a compare when nothing changed and no back-off runs)."""
    cdef int threads = 1 if _num_threads > 1 and _backing_off() else _num_threads
    if minigrad_max_threads() != threads:
        minigrad_set_threads(threads)


cdef bint _backing_off() noexcept nogil:
    """Whether the calling thread's back-off window is open (under the current setting)."""
    cdef minigrad_backoff* backoff = minigrad_thread_backoff()
    if backoff.until == 0:
        return False
    if backoff.setting == _setting and minigrad_clock_ns() < backoff.until:
        return True
    backoff.until = 0
    return False


cdef void region_closed(minigrad_region* region) noexcept nogil:
    """Judge a job region that the calling thread opened (minigrad_region_open before it, each job
    between minigrad_job_start and minigrad_job_end) and that has just closed; a late one starts or
    lengthens the calling thread's back-off and narrows its next regions to one thread at once."""
    if region.threads > 1:  # a region of one thread read no clock and has nothing to judge
        _judge(region, minigrad_clock_ns())


cdef void _judge(const minigrad_region* region, long long now) noexcept nogil:
    """region_closed for a region that closed at ``now``."""
    cdef minigrad_backoff* backoff = minigrad_thread_backoff()
    if region.threads < 2:
        return
    backoff.timed += 1
    # not when turned off, nor when the calling thread itself was held back (nothing to judge by)
    if not _backoff_allowed or region.master_jobs == 0:
        return
    if now - region.opened <= <double>region.master_work * region.jobs / region.master_jobs + LATE_NS:
        backoff.window = backoff.until = 0
        return
    if backoff.window and backoff.setting == _setting:
        backoff.window = min(2 * backoff.window, <long long>BACKOFF_MAX_NS)
    else:
        backoff.window = BACKOFF_MIN_NS
    backoff.setting = _setting
    backoff.until = now + backoff.window
    minigrad_set_threads(1)


def _allow_backoff(allowed):
    """Let late regions start a back-off or not (tests whose point is a thread count turn it off, so a
    loaded host cannot quietly run their 2-thread pass on one thread); returns the previous state."""
    global _backoff_allowed
    previous, _backoff_allowed = _backoff_allowed, bool(allowed)
    return previous


def _close_region(elapsed_ns, master_work_ns, master_jobs, jobs, threads):
    """Judge a region of ``threads`` threads over ``jobs`` jobs that closed ``elapsed_ns`` after it
    opened, the calling thread having run ``master_jobs`` of them in ``master_work_ns`` (for tests)."""
    cdef minigrad_region region = minigrad_region_open(jobs, threads)
    region.master_work, region.master_jobs = master_work_ns, master_jobs
    _judge(&region, region.opened + elapsed_ns)


def _backoff_state():
    """The calling thread's (job regions of several threads timed, back-off window in ns, whether the
    window is open now) (for tests)."""
    cdef minigrad_backoff* backoff = minigrad_thread_backoff()
    return backoff.timed, backoff.window, _backing_off()


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
