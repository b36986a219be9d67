/* Process-level settings for the kernels: OpenMP threads (serial fallback without OpenMP) and
   glibc's malloc thresholds. */
#ifndef MINIGRAD_RUNTIME_H
#define MINIGRAD_RUNTIME_H
#include <time.h>

static inline long long minigrad_clock_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000LL + now.tv_nsec;
}

/* A job region's timing (a dynamic-schedule loop over jobs), judged by runtime.pyx's region_closed: when
   the calling thread opened it, how long that thread spent in its own jobs and how many it ran. Only
   the calling thread (thread 0 of the team) writes it. */
typedef struct {
    long long opened, master_work;
    long long jobs;
    int master_jobs, threads;
} minigrad_region;

static inline minigrad_region minigrad_region_open(long long jobs, int threads) {
    minigrad_region region = {threads > 1 ? minigrad_clock_ns() : 0, 0, jobs, 0, threads};
    return region;
}

/* The calling thread's back-off from parallel regions (runtime.pyx): its regions open one thread until
   `until` (0: none); `window` is the last back-off's length, doubled while lateness persists; `setting`
   the set_num_threads call it was made under; `timed` counts the job regions of several threads timed
   (for tests). The state is a static local: every module that includes this header has its own, so
   runtime.pyx alone calls this. */
typedef struct {
    long long until, window, timed;
    int setting;
} minigrad_backoff;

static inline minigrad_backoff* minigrad_thread_backoff(void) {
    static __thread minigrad_backoff backoff;
    return &backoff;
}

#ifdef _OPENMP
#include <omp.h>
/* Called at the start of each job in a job region: the time on the calling thread of a region of
   several threads, else 0 (no timing needed). */
static inline long long minigrad_job_start(const minigrad_region* region) {
    return region->threads > 1 && omp_get_thread_num() == 0 ? minigrad_clock_ns() : 0;
}
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
static inline long long minigrad_job_start(const minigrad_region* region) { (void)region; return 0; }
static inline int minigrad_max_threads(void) { return 1; }
static inline void minigrad_set_threads(int n) { (void)n; }
static inline int minigrad_has_openmp(void) { return 0; }
static inline int minigrad_num_procs(void) { return 1; }
static inline int minigrad_parallel_region_threads(void) { return 1; }
#endif

/* Called at the end of each job with what minigrad_job_start returned. */
static inline void minigrad_job_end(minigrad_region* region, long long started) {
    if (started) {
        region->master_work += minigrad_clock_ns() - started;
        region->master_jobs++;
    }
}

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
