/* Thread count for kernels, with a serial fallback when the build has no OpenMP. */
#ifndef MINIGRAD_PARALLEL_H
#define MINIGRAD_PARALLEL_H
#ifdef _OPENMP
#include <omp.h>
static int minigrad_max_threads(void) { return omp_get_max_threads(); }
static void minigrad_set_threads(int n) { omp_set_num_threads(n); }
static int minigrad_has_openmp(void) { return 1; }
#else
static int minigrad_max_threads(void) { return 1; }
static void minigrad_set_threads(int n) { (void)n; }
static int minigrad_has_openmp(void) { return 0; }
#endif
#endif
