/* Process-level settings for the kernels: OpenMP threads (serial fallback without OpenMP) and
   glibc's malloc thresholds. */
#ifndef MINIGRAD_RUNTIME_H
#define MINIGRAD_RUNTIME_H
#ifdef _OPENMP
#include <omp.h>
static inline int minigrad_max_threads(void) { return omp_get_max_threads(); }
static inline void minigrad_set_threads(int n) { omp_set_num_threads(n); }
static inline int minigrad_has_openmp(void) { return 1; }
static inline int minigrad_num_procs(void) { return omp_get_num_procs(); }
/* How many threads a parallel region opened by the calling thread gets now: the count that thread's
   kernels run with (tests observe it; OpenMP keeps one count per thread). */
static inline int minigrad_parallel_region_threads(void) {
    int n = 1;
#pragma omp parallel
    {
#pragma omp single
        n = omp_get_num_threads();
    }
    return n;
}
#else
static inline int minigrad_max_threads(void) { return 1; }
static inline void minigrad_set_threads(int n) { (void)n; }
static inline int minigrad_has_openmp(void) { return 0; }
static inline int minigrad_num_procs(void) { return 1; }
static inline int minigrad_parallel_region_threads(void) { return 1; }
#endif

#if defined(__GLIBC__)
#include <malloc.h>
/* Keep freed arrays in the heap for reuse instead of returning them to the kernel at once: every
   array then costs a fresh page fault per 4 KiB on its first write. mmap is kept for arrays above
   32 MiB (glibc's maximum threshold) and the heap is trimmed above 1 GiB of free space. */
static inline int minigrad_tune_malloc(void) { return mallopt(M_MMAP_THRESHOLD, 32 << 20) && mallopt(M_TRIM_THRESHOLD, 1 << 30); }
#else
static inline int minigrad_tune_malloc(void) { return 0; }
#endif
#endif
