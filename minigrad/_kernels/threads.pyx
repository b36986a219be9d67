"""Thread count of the OpenMP kernels (a no-op in a serial build)."""
from ._types cimport minigrad_has_openmp, minigrad_max_threads, minigrad_set_threads


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
