"""How minigrad compiles Cython: directives, C flags and the OpenMP / -march=native probes.

One module serves ``setup.py`` (which loads this file by path, before minigrad is built, so it
imports nothing from minigrad) and ``minigrad.utils.cython_extension`` (users' kernels get the
same flags as minigrad's own). MINIGRAD_CYTHON_DEBUG=1 turns bounds and wraparound checking back
on; MINIGRAD_PORTABLE=1 drops -march=native. OpenMP is used when a test program compiles and
links with it, otherwise the same sources build serially.
"""
import os
import tempfile
from pathlib import Path

KERNELS_DIR = Path(__file__).resolve().parent / "_kernels"
INCLUDE_DIRS = [str(KERNELS_DIR), str(KERNELS_DIR / "cuda")]

OPENMP_PROBE = """
#include <omp.h>
int main(void) { int n = 0;
#pragma omp parallel reduction(+:n)
  n += 1;
  return omp_get_max_threads() > 0 && n > 0 ? 0 : 1; }
"""


def debug():
    return os.environ.get("MINIGRAD_CYTHON_DEBUG", "0") == "1"


def portable():
    return os.environ.get("MINIGRAD_PORTABLE", "0") == "1"


def compiler_directives():
    """Cython directives for every kernel module (checks off unless MINIGRAD_CYTHON_DEBUG=1)."""
    checks = debug()
    return {"language_level": 3, "boundscheck": checks, "wraparound": checks, "initializedcheck": checks,
            "cdivision": True}


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


def compiler_flags(compiler):
    """(compile flags, link flags) for a distutils ``compiler``: -O3, -march=native where it
    compiles (unless MINIGRAD_PORTABLE=1) and -fopenmp where a test program builds with it.
    -fno-math-errno lets loops that take square roots (the optimizers) vectorize: sqrt need not set
    errno; results are unchanged."""
    compile_flags, link_flags = ["-O3", "-fno-math-errno"], []
    if not portable() and _compiles(compiler, "int main(void) { return 0; }", ["-march=native"], []):
        compile_flags.append("-march=native")
    if _compiles(compiler, OPENMP_PROBE, ["-fopenmp"], ["-fopenmp"]):
        compile_flags.append("-fopenmp")
        link_flags.append("-fopenmp")
    else:
        print("minigrad: OpenMP not available, building serial kernels")
    return compile_flags, link_flags


def build_ext_command():
    """setuptools' build_ext, setting every extension's flags from ``compiler_flags`` once the compiler
    exists; the compile flags used are kept on the class as ``flags``."""
    from setuptools.command.build_ext import build_ext

    class BuildWithProjectFlags(build_ext):
        flags = None

        def build_extensions(self):
            compile_flags, link_flags = compiler_flags(self.compiler)
            type(self).flags = compile_flags
            for ext in self.extensions:
                ext.extra_compile_args = compile_flags
                ext.extra_link_args = link_flags
            super().build_extensions()

    return BuildWithProjectFlags
