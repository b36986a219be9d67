"""The CUDA kernel sources compile (to PTX for sm_80 and sm_90) wherever nvcc is installed, GPU or
not, so broken kernel code cannot land unseen. The Philox generator, the one piece of device code
that is also host code, is run on the host and compared with the CPU kernel."""
import shutil
import subprocess
from pathlib import Path

import pytest

from minigrad._kernels import dropout

SOURCES = Path(dropout.__file__).with_name("cuda")
NVCC = shutil.which("nvcc")
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc (the CUDA toolkit) is not installed")


def test_every_kernel_module_has_a_source():
    # linear's epilogue is plain cupy on the GPU, blas's products cupy.matmul (cuBLAS); runtime holds
    # process settings, no kernels
    modules = {p.stem for p in SOURCES.parent.glob("*.pyx")} - {"linear", "blas", "runtime"}
    assert {p.stem for p in SOURCES.glob("*.cu")} == modules


@needs_nvcc
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("source", sorted(p.name for p in SOURCES.glob("*.cu")))
def test_cuda_source_compiles_to_ptx(source, arch, tmp_path):
    result = subprocess.run([NVCC, "-ptx", f"-arch={arch}", "-I", str(SOURCES), str(SOURCES / source),
                             "-o", str(tmp_path / "out.ptx")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    ptx = (tmp_path / "out.ptx").read_text()
    for kernel in ("_float", "_double"):
        assert kernel in ptx


HOST_PHILOX = r"""
#include <cstdio>
#include "dropout.cu"
int main() {
    unsigned long long cases[][3] = {{0, 0, 0}, {5, 7, 12345678901ull}, {~0ull, ~0ull, ~0ull}, {1ull << 40, 3, 42}};
    for (auto& c : cases) {
        unsigned int w[4];
        philox4x32_10(c[0], c[1], c[2], w);
        printf("%u %u %u %u\n", w[0], w[1], w[2], w[3]);
    }
}
"""


@needs_nvcc
def test_cuda_philox_equals_the_cpu_generator(tmp_path):
    (tmp_path / "host.cu").write_text(HOST_PHILOX)
    build = subprocess.run([NVCC, "-I", str(SOURCES), str(tmp_path / "host.cu"), "-o", str(tmp_path / "host")],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    lines = subprocess.run([str(tmp_path / "host")], capture_output=True, text=True, check=True).stdout.split("\n")
    cases = [(0, 0, 0), (5, 7, 12345678901), (2**64 - 1, 2**64 - 1, 2**64 - 1), (1 << 40, 3, 42)]
    for (block, offset, seed), line in zip(cases, lines):
        assert [int(w) for w in line.split()] == dropout.philox4x32(block, offset, seed)


def _find_nvrtc():
    """libnvrtc from the system or from NVIDIA's pip wheel (how CuPy finds it), or None."""
    import ctypes
    import ctypes.util
    import glob
    import site

    candidates = [ctypes.util.find_library("nvrtc")]
    for root in site.getsitepackages():
        candidates += glob.glob(f"{root}/nvidia/cuda_nvrtc/lib/libnvrtc.so*")
    for name in filter(None, candidates):
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


NVRTC = _find_nvrtc()


@pytest.mark.skipif(NVRTC is None, reason="libnvrtc (the runtime compiler CuPy uses) is not installed")
@pytest.mark.parametrize("source", sorted(p.name for p in SOURCES.glob("*.cu")))
def test_cuda_source_compiles_with_nvrtc_as_cupy_does(source):
    import ctypes

    program = ctypes.c_void_p()
    assert NVRTC.nvrtcCreateProgram(ctypes.byref(program), (SOURCES / source).read_bytes(), source.encode(),
                                    0, None, None) == 0
    try:
        options = [b"-I" + str(SOURCES).encode(), b"--gpu-architecture=compute_80"]
        status = NVRTC.nvrtcCompileProgram(program, len(options), (ctypes.c_char_p * len(options))(*options))
        size = ctypes.c_size_t()
        NVRTC.nvrtcGetProgramLogSize(program, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        NVRTC.nvrtcGetProgramLog(program, log)
        assert status == 0, log.value.decode()
    finally:
        NVRTC.nvrtcDestroyProgram(ctypes.byref(program))


# ---- the convolution and pooling kernels, run on the host ---------------------------------------
# Their device functions use nothing but indexing and arithmetic, so with a one-thread "grid" they
# compile as C++ and run here, GPU or not: the CUDA kernels' window and index logic is checked
# against the Cython loops on every machine with a C++ compiler.
HOST_SHIM = r"""
#include <algorithm>
struct minigrad_dim3 { unsigned x, y, z; };
static const minigrad_dim3 threadIdx = {0, 0, 0}, blockIdx = {0, 0, 0}, blockDim = {1, 1, 1}, gridDim = {1, 1, 1};
#define __device__
#define __global__
#define __forceinline__ inline
using std::min;
template <typename T> T atomicAdd(T* address, T value) { T old = *address; *address += value; return old; }
#include "SOURCE"
"""
CXX = shutil.which("c++") or shutil.which("g++")


@pytest.fixture(scope="module")
def host_kernels(tmp_path_factory):
    """{"conv": CDLL, "pool": CDLL}: conv.cu and pool.cu built as host libraries."""
    import ctypes

    if CXX is None:
        pytest.skip("no C++ compiler to build the CUDA sources for the host")
    folder = tmp_path_factory.mktemp("host_kernels")
    libraries = {}
    for name in ("conv", "pool"):
        (folder / f"{name}.cpp").write_text(HOST_SHIM.replace("SOURCE", f"{name}.cu"))
        build = subprocess.run([CXX, "-O1", "-shared", "-fPIC", "-I", str(SOURCES), str(folder / f"{name}.cpp"),
                                "-o", str(folder / f"{name}.so")], capture_output=True, text=True)
        assert build.returncode == 0, build.stderr
        libraries[name] = ctypes.CDLL(str(folder / f"{name}.so"))
    return libraries


def _host_call(library, kernel, dtype, arrays, ints, flag=None):
    import ctypes

    import numpy as np

    args = [a.ctypes.data_as(ctypes.c_void_p) for a in arrays] + [ctypes.c_longlong(int(v)) for v in ints]
    if flag is not None:
        args.append(ctypes.c_int(int(flag)))
    getattr(library, f"{kernel}_{'float' if dtype == np.float32 else 'double'}")(*args)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("geometry", [(3, 3, 1, 1, 1, 1, 1, 1), (3, 2, 2, 1, 2, 0, 1, 2), (2, 4, 3, 2, 0, 3, 2, 1)])
def test_conv_kernels_on_the_host_equal_the_cpu_loops(geometry, dtype, host_kernels):
    import numpy as np

    from minigrad._kernels import cpu_loops

    kh, kw, sh, sw, ph, pw, dh, dw = geometry
    x = np.random.default_rng(0).standard_normal((3, 2, 9, 8)).astype(dtype)
    out_h = (9 + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    out_w = (8 + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    loop_args = (kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w)
    want, got = (np.full((2 * kh * kw, 3 * out_h * out_w), np.nan, dtype) for _ in range(2))
    cpu_loops.im2col(x, want, *loop_args)
    _host_call(host_kernels["conv"], "im2col", x.dtype, [x, got], (3, *x.shape[1:], *loop_args))
    np.testing.assert_array_equal(got, want)
    want_gx, got_gx = np.full_like(x, np.nan), np.full_like(x, np.nan)
    cpu_loops.col2im(want, want_gx, *loop_args)
    _host_call(host_kernels["conv"], "col2im", x.dtype, [want, got_gx], (3, *x.shape[1:], *loop_args))
    np.testing.assert_allclose(got_gx, want_gx, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("window", [(2, 2, 2, 2, 0, 0), (3, 3, 2, 1, 1, 1), (3, 2, 1, 3, 1, 0)])
def test_pool_kernels_on_the_host_equal_the_cpu_loops(window, dtype, host_kernels):
    import numpy as np

    from minigrad._kernels import cpu_loops

    kh, kw, sh, sw, ph, pw = window
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9, 8)).astype(dtype)
    x[0, 0, 1, 1] = np.nan
    out = (2, 3, (9 + 2 * ph - kh) // sh + 1, (8 + 2 * pw - kw) // sw + 1)
    gy = rng.standard_normal(out).astype(dtype)
    planes = (6, 9, 8, out[2], out[3])
    library = host_kernels["pool"]

    want, got = np.empty(out, dtype), np.empty(out, dtype)
    want_i, got_i = np.empty(out, np.int64), np.empty(out, np.int64)
    cpu_loops.max_pool2d_forward(x, want, want_i, *window)
    _host_call(library, "max_pool2d_forward", x.dtype, [x, got, got_i], planes + window)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_i, want_i)
    want_gx, got_gx = np.empty_like(x), np.zeros_like(x)
    cpu_loops.max_pool2d_backward(gy, want_i, want_gx)
    _host_call(library, "max_pool2d_backward", x.dtype, [gy, want_i, got_gx], planes)
    np.testing.assert_allclose(got_gx, want_gx, rtol=1e-6)

    x = np.nan_to_num(x)
    for count_include_pad in (True, False):
        cpu_loops.avg_pool2d_forward(x, want, *window, count_include_pad)
        _host_call(library, "avg_pool2d_forward", x.dtype, [x, got], planes + window, count_include_pad)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        cpu_loops.avg_pool2d_backward(gy, want_gx, *window, count_include_pad)
        _host_call(library, "avg_pool2d_backward", x.dtype, [gy, got_gx], planes + window, count_include_pad)
        np.testing.assert_allclose(got_gx, want_gx, rtol=1e-6, atol=1e-7)

    for size in [(1, 1), (4, 3), (11, 13)]:
        want, got = np.empty((2, 3) + size, dtype), np.empty((2, 3) + size, dtype)
        cpu_loops.adaptive_avg_pool2d_forward(x, want)
        _host_call(library, "adaptive_avg_pool2d_forward", x.dtype, [x, got], (6, 9, 8) + size)
        np.testing.assert_allclose(got, want, rtol=1e-6)
        gy = rng.standard_normal((2, 3) + size).astype(dtype)
        cpu_loops.adaptive_avg_pool2d_backward(gy, want_gx)
        _host_call(library, "adaptive_avg_pool2d_backward", x.dtype, [gy, got_gx], (6, 9, 8) + size)
        np.testing.assert_allclose(got_gx, want_gx, rtol=1e-6, atol=1e-7)
