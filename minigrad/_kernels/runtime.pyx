"""Process-level settings of the kernels: OpenMP thread count, allocator tuning."""
from ._types cimport minigrad_has_openmp, minigrad_max_threads, minigrad_set_threads, minigrad_tune_malloc


def set_num_threads(int n):
    """Use ``n`` threads in the parallel kernels (like torch.set_num_threads)."""
    if n < 1:
        raise ValueError(f"number of threads must be >= 1, got {n}")
    minigrad_set_threads(n)


def get_num_threads():
    return minigrad_max_threads()


def has_openmp():
    """True when the kernels were built with OpenMP."""
    return bool(minigrad_has_openmp())


def tune_malloc():
    """Raise glibc's mmap and trim thresholds so large arrays are reused from the heap rather than
    mapped and page-faulted afresh on every op. Returns False where glibc is absent."""
    return bool(minigrad_tune_malloc())
