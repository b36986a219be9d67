// im2col and col2im for one chunk of the batch, the GPU side of conv.pyx (same layout): the column
// matrix is (C * KH * KW, n * OH * OW), row (c * KH + kh) * KW + kw, column sample * OH * OW + oh * OW + ow.
// im2col: one thread per column entry (consecutive threads write consecutive columns).
// col2im: one thread per input entry, gathering the column entries that read it: no atomics, and
// the sum order is fixed, so results are deterministic.
#include "common.cuh"

// The geometry travels as plain arguments (what CuPy passes to a RawKernel), named as the loop's
// parameters (cuda_launch.py binds them by name), bundled here.
struct ConvGeometry {
    long long C, H, W, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW;
};
#define GEOMETRY_PARAMS                                                                          \
    long long C, long long H, long long W, long long kernel_h, long long kernel_w, long long stride_h, \
        long long stride_w, long long pad_h, long long pad_w, long long dilation_h, long long dilation_w, \
        long long out_h, long long out_w
#define GEOMETRY {C, H, W, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, out_h, out_w}

template <typename T>
__device__ void im2col(const T* x, T* cols, long long n, ConvGeometry g) {
    const long long L = g.OH * g.OW, width = n * L, total = g.C * g.KH * g.KW * width;
    MINIGRAD_GRID_STRIDE(i, total) {
        const long long row = i / width, column = i % width;
        const long long kw = row % g.KW, kh = (row / g.KW) % g.KH, c = row / (g.KW * g.KH);
        const long long sample = column / L, oh = (column % L) / g.OW, ow = column % g.OW;
        const long long ih = oh * g.SH - g.PH + kh * g.DH, iw = ow * g.SW - g.PW + kw * g.DW;
        const bool inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
        cols[i] = inside ? x[((sample * g.C + c) * g.H + ih) * g.W + iw] : T(0);
    }
}

template <typename T>
__device__ void col2im(const T* cols, T* gx, long long n, ConvGeometry g) {
    const long long L = g.OH * g.OW, width = n * L, total = n * g.C * g.H * g.W;
    MINIGRAD_GRID_STRIDE(i, total) {
        const long long iw = i % g.W, ih = (i / g.W) % g.H, c = (i / (g.W * g.H)) % g.C;
        const long long sample = i / (g.W * g.H * g.C);
        T sum = T(0);
        for (long long kh = 0; kh < g.KH; ++kh) {
            const long long h = ih + g.PH - kh * g.DH;  // = oh * SH for the output row that reads it
            if (h < 0 || h % g.SH != 0 || h / g.SH >= g.OH) continue;
            for (long long kw = 0; kw < g.KW; ++kw) {
                const long long w = iw + g.PW - kw * g.DW;
                if (w < 0 || w % g.SW != 0 || w / g.SW >= g.OW) continue;
                const long long row = (c * g.KH + kh) * g.KW + kw;
                sum += cols[row * width + sample * L + (h / g.SH) * g.OW + w / g.SW];
            }
        }
        gx[i] = sum;
    }
}

#define INSTANTIATE(T)                                                                             \
    extern "C" __global__ void im2col_##T(const T* x, T* cols, long long n, GEOMETRY_PARAMS) {     \
        im2col<T>(x, cols, n, ConvGeometry GEOMETRY);                                              \
    }                                                                                              \
    extern "C" __global__ void col2im_##T(const T* cols, T* gx, long long n, GEOMETRY_PARAMS) {    \
        col2im<T>(cols, gx, n, ConvGeometry GEOMETRY);                                             \
    }
INSTANTIATE(float)
INSTANTIATE(double)
