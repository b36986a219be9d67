/* How a header of per-element math compiles for both devices: as C for the CPU loops (Cython includes
   it through `cdef extern from`) and as CUDA C++ for the GPU kernels (NVRTC, nvcc or the emulator).
   A function written once with MINIGRAD_HD is a static inline C function on the CPU and an inlined
   __host__ __device__ function on the GPU. */
#ifndef MINIGRAD_DEVICE_H
#define MINIGRAD_DEVICE_H
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)  /* nvcc, or NVRTC through CuPy */
#define MINIGRAD_DEVICE_COMPILER
#define MINIGRAD_HD __host__ __device__ __forceinline__
#else
#include <math.h>
#define MINIGRAD_HD static inline
#endif
#endif
