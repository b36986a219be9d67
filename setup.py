"""Builds the Cython kernels in minigrad/_kernels.

The directives, flags and probes live in minigrad/_build.py, shared with
minigrad.utils.cython_extension; it is loaded by path because minigrad is not built yet.
"""
import importlib.util
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

_spec = importlib.util.spec_from_file_location("_minigrad_build", Path(__file__).parent / "minigrad" / "_build.py")
build_config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_config)


extensions = [
    Extension(f"minigrad._kernels.{path.stem}", [str(path)], include_dirs=build_config.INCLUDE_DIRS)
    for path in sorted(Path("minigrad/_kernels").glob("*.pyx"))
]

setup(
    ext_modules=cythonize(extensions, compiler_directives=build_config.compiler_directives()),
    cmdclass={"build_ext": build_config.build_ext_command()},
)
