"""Builds the Cython kernels in minigrad/_kernels.

Directives are set here once for every kernel module. MINIGRAD_CYTHON_DEBUG=1 turns bounds and
wraparound checking back on; MINIGRAD_PORTABLE=1 drops -march=native. OpenMP is used when a test
program compiles and links with it, otherwise the same sources build serially.
"""
import os
import tempfile
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

DEBUG = os.environ.get("MINIGRAD_CYTHON_DEBUG", "0") == "1"
PORTABLE = os.environ.get("MINIGRAD_PORTABLE", "0") == "1"

OPENMP_PROBE = """
#include <omp.h>
int main(void) { int n = 0;
#pragma omp parallel reduction(+:n)
  n += 1;
  return omp_get_max_threads() > 0 && n > 0 ? 0 : 1; }
"""


def _compiles(compiler, source, flags, link_flags):
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "probe.c")
        src.write_text(source)
        try:
            objects = compiler.compile([str(src)], output_dir=tmp, extra_postargs=flags)
            compiler.link_executable(objects, "probe", output_dir=tmp, extra_postargs=link_flags)
        except Exception:
            return False
    return True


class BuildKernels(build_ext):
    def build_extensions(self):
        # -fno-math-errno: sqrt need not set errno, so loops that take square roots (the optimizers)
        # vectorize; results are unchanged
        compile_flags = ["-O3", "-fno-math-errno"]
        if not PORTABLE and _compiles(self.compiler, "int main(void) { return 0; }", ["-march=native"], []):
            compile_flags.append("-march=native")
        link_flags = []
        if _compiles(self.compiler, OPENMP_PROBE, ["-fopenmp"], ["-fopenmp"]):
            compile_flags.append("-fopenmp")
            link_flags.append("-fopenmp")
        else:
            print("minigrad: OpenMP not available, building serial kernels")
        for ext in self.extensions:
            ext.extra_compile_args = compile_flags
            ext.extra_link_args = link_flags
        super().build_extensions()


extensions = [
    Extension(f"minigrad._kernels.{path.stem}", [str(path)], include_dirs=["minigrad/_kernels", "minigrad/_kernels/cuda"])
    for path in sorted(Path("minigrad/_kernels").glob("*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": 3,
            "boundscheck": DEBUG,
            "wraparound": DEBUG,
            "initializedcheck": DEBUG,
            "cdivision": True,
        },
    ),
    cmdclass={"build_ext": BuildKernels},
)
