// Shared by every minigrad CUDA source: a grid-stride loop and the flag parameter type.
#pragma once
#define MINIGRAD_GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); \
         i += (long long)blockDim.x * gridDim.x)
// A kernel's bool parameter (the CPU loop's bint), passed as a 4-byte int: cuda_launch.py converts
// the argument with bool() first, as Cython does for a bint.
typedef int flag;
