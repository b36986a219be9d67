"""Build and import a user's Cython module with minigrad's own flags (as torch.utils.cpp_extension).

``load(name, sources)`` compiles the .pyx (and any .c) files with the directives, -O3, -march=native
and OpenMP probe that minigrad's kernels are built with (minigrad/_build.py), with minigrad's
``_kernels`` folder on the include path (so ``from _types cimport real`` works), and imports the
result. Builds are cached by a hash of the sources and the toolchain in ``build_directory``, else
$MINIGRAD_CACHE, else ~/.cache/minigrad; compiling happens in a temporary folder that is removed.
A cached build is imported only when its folder and file are the current user's and writable by
nobody else (it is rebuilt otherwise); a cache folder others can write is refused.
"""
import hashlib
import importlib.util
import os
import shutil
import stat
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from .. import _build

_SUFFIXES = (".pyx", ".c")


def cache_root():
    """Where builds are cached: $MINIGRAD_CACHE, else ~/.cache/minigrad (as a Path)."""
    return Path(os.environ.get("MINIGRAD_CACHE") or Path.home() / ".cache" / "minigrad")


def load(name, sources, verbose=False, build_directory=None):
    """Compile (once per distinct source) and import a Cython extension module.

    name: the module's name (a Python identifier; ``import``-able as such once loaded).
    sources: a path or a list of paths to .pyx / .c files.
    verbose: show the Cython and compiler output. build_directory: cache folder (default: see module doc).
    Returns the imported module; a second call with unchanged sources imports the cached build.

    Example::

        swish = cython_extension.load("swish_kernel", ["swish_kernel.pyx"])
        y, d = swish.swish_forward(x)
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier (the module's name), got {name!r}")
    paths = [Path(s) for s in ([sources] if isinstance(sources, (str, os.PathLike)) else sources)]
    if not paths:
        raise ValueError("sources is empty: give the .pyx file(s) to compile")
    for path in paths:
        if path.suffix not in _SUFFIXES:
            raise ValueError(f"sources must be .pyx or .c files, got {str(path)!r}")
        if not path.is_file():
            raise FileNotFoundError(f"source file not found: {str(path)!r}")
    if not any(p.suffix == ".pyx" for p in paths):
        raise ValueError("sources needs a .pyx file (the module's Cython source)")

    folder = Path(build_directory) if build_directory is not None else cache_root() / "cython_extensions"
    _make_private_folder(folder)
    target = folder / f"{name}_{_build_hash(name, paths)}"
    built = _find_built(target, name)
    if built is None:
        built = _compile(name, paths, target, verbose)
    elif verbose:
        print(f"minigrad.utils.cython_extension: using the cached build {built}")
    return _import(name, built)


def _build_hash(name, paths):
    import Cython
    import numpy

    digest = hashlib.sha256()
    toolchain = (name, Cython.__version__, numpy.__version__, sys.version, sysconfig.get_config_var("EXT_SUFFIX"),
                 repr(sorted(_build.compiler_directives().items())), _build.portable())
    digest.update(repr(toolchain).encode())
    for path in paths + sorted(_build.KERNELS_DIR.glob("*.pxd")):  # a changed cimported .pxd rebuilds too
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _writable_by_others(status):
    """Why another user could change the file or folder ``status`` (an lstat) describes, or None when
    only the current user can: it is theirs, not a link, and not writable by group or others."""
    if status.st_uid != os.getuid():
        return f"it belongs to user id {status.st_uid}, not to you ({os.getuid()})"
    if stat.S_ISLNK(status.st_mode):
        return "it is a symbolic link"
    if status.st_mode & 0o022:
        return f"group or others can write it (mode {stat.S_IMODE(status.st_mode):o})"
    return None


def _make_private_folder(folder):
    """Create the cache folder (mode 0o755) or check that only the current user can write it: a module
    another user put there, at the predictable <name>_<hash> path, would run its code when imported."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(mode=0o755, exist_ok=True)
    problem = _writable_by_others(os.stat(folder))
    if problem:
        raise PermissionError(f"cython_extension.load: the build cache {folder} is not private: {problem}, so "
                              "another user could plant a module there that this process would import. Use a "
                              "folder only you can write (build_directory= or $MINIGRAD_CACHE), or chmod go-w it")


def _find_built(target, name):
    """The cached build in ``target``, or None when there is none or someone else could have changed it
    (its folder or file is not the current user's alone): that build is removed, to be redone."""
    path = target / f"{name}{sysconfig.get_config_var('EXT_SUFFIX')}"
    if not os.path.lexists(target):
        return None
    folder_status = os.lstat(target)
    if _writable_by_others(folder_status) or not stat.S_ISDIR(folder_status.st_mode):
        shutil.rmtree(target) if stat.S_ISDIR(folder_status.st_mode) else os.unlink(target)
        return None
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    if _writable_by_others(status) or not stat.S_ISREG(status.st_mode):
        os.unlink(path)
        return None
    return path


def _compile(name, paths, target, verbose):
    try:
        from Cython.Build import cythonize
        from setuptools import Distribution, Extension
    except ImportError as error:
        raise ImportError(f"cython_extension.load needs Cython and setuptools ({error}): "
                          "pip install 'Cython>=3.1' setuptools") from None
    import numpy

    start = time.perf_counter()
    command_class = _build.build_ext_command()
    with tempfile.TemporaryDirectory(prefix=f"minigrad_{name}_") as tmp, _output_to(None if verbose else Path(tmp, "log")) as log:
        log.say(f"compiling {name} (once; later calls load the cached build): Cython translates "
                f"{', '.join(p.name for p in paths)} to C ...")
        try:
            extension = Extension(name, [str(p.resolve()) for p in paths],
                                  include_dirs=_build.INCLUDE_DIRS + [numpy.get_include()])
            modules = cythonize([extension], compiler_directives=_build.compiler_directives(),
                                include_path=_build.INCLUDE_DIRS, build_dir=tmp, quiet=not verbose)
            log.say(f"the C compiler builds {name} ({time.perf_counter() - start:.1f} s so far) ...")
            distribution = Distribution({"ext_modules": modules, "cmdclass": {"build_ext": command_class}})
            command = distribution.get_command_obj("build_ext")
            command.build_lib = command.build_temp = tmp
            command.ensure_finalized()
            command.run()
        except BaseException as error:
            raise RuntimeError(f"cython_extension.load: building {name} failed: {error}\n{log.read()}") from None
        built = next(Path(tmp).glob(f"{name}*{sysconfig.get_config_var('EXT_SUFFIX')}"))
        target.mkdir(mode=0o755, exist_ok=True)
        final = target / built.name
        staging = target / f"{built.name}.{os.getpid()}.tmp"
        with os.fdopen(os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o755), "wb") as file:
            file.write(built.read_bytes())
        os.replace(staging, final)  # atomic: a concurrent load sees the whole file or none
        log.say(f"built {name} in {time.perf_counter() - start:.1f} s with {' '.join(command_class.flags)} -> {final}")
    return final


class _output_to:
    """Sends stdout and stderr to the file ``path`` while open, both Python's (Cython's messages) and the
    file descriptors (the compiler's output); ``read()`` returns what was written and ``say(text)``
    prints a progress line to the real stdout. With path None output is left alone."""

    def __init__(self, path):
        self.path = path
        self._console = None

    def __enter__(self):
        self._console = sys.stdout
        if self.path is None:
            return self
        sys.stdout.flush(), sys.stderr.flush()
        self._file = open(self.path, "w+", encoding="utf-8", errors="replace")
        self._saved_fds = [os.dup(1), os.dup(2)]
        self._saved_streams = sys.stdout, sys.stderr
        os.dup2(self._file.fileno(), 1), os.dup2(self._file.fileno(), 2)
        sys.stdout = sys.stderr = self._file
        return self

    def say(self, text):
        line = f"minigrad.utils.cython_extension: {text}"
        if self.path is not None and _is_descriptor_1(self._console):  # fd 1 now goes to the log
            os.write(self._saved_fds[0], (line + "\n").encode())
        else:  # a console that is not fd 1 (Jupyter, pytest's capture) was left in place
            print(line, file=self._console, flush=True)

    def read(self):
        if self.path is None:
            return "(the compiler's output is above)"
        self._file.flush()
        self._file.seek(0)
        return self._file.read()

    def __exit__(self, *exc):
        if self.path is None:
            return
        self._file.flush()
        sys.stdout, sys.stderr = self._saved_streams
        for fd, saved in zip((1, 2), self._saved_fds):
            os.dup2(saved, fd)
            os.close(saved)
        self._file.close()


def _is_descriptor_1(stream):
    try:
        return stream.fileno() == 1
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation: a stream without a descriptor
        return False


def _import(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module
