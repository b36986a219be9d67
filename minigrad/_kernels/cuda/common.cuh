// Shared by every minigrad CUDA source: a grid-stride loop and the float/double instantiation.
#pragma once
#define MINIGRAD_GRID_STRIDE(i, n) \
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < (n); \
         i += (long long)blockDim.x * gridDim.x)
