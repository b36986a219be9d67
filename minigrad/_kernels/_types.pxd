# Fused types shared by every kernel module: one specialisation per supported dtype.
ctypedef fused real:
    float
    double

# Below this many elements a parallel region costs more than it saves.
cdef enum:
    PARALLEL_MIN = 524288

cdef extern from "_runtime.h":
    int minigrad_max_threads() nogil
    void minigrad_set_threads(int n) nogil
    int minigrad_has_openmp() nogil
    int minigrad_parallel_region_threads() nogil
    int minigrad_tune_malloc() nogil
