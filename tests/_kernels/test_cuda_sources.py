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
    assert sorted(p.name for p in SOURCES.glob("*.cu")) == ["activation.cu", "batchnorm.cu", "conv.cu", "dropout.cu", "pool.cu", "sgd.cu"]


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
