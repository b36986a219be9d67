"""minigrad.utils.cython_extension.load: compiles once with the project's flags, caches by source
hash, imports, and leaves nothing in the temporary folder. One tiny module is compiled per run."""
import contextlib
import io
import os
import re
import shutil
import sysconfig
import tempfile

import pytest

from minigrad import _build
from minigrad.utils import cython_extension

TINY_PYX = """
from _types cimport PARALLEL_MIN  # minigrad's kernel headers are on the include path

def add(double a, double b):
    return a + b

def parallel_min():
    return PARALLEL_MIN
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(module, cache folder, source path, temp folder, captured output) of one compile."""
    root = tmp_path_factory.mktemp("cython_extension")
    source = root / "tiny_ext.pyx"
    source.write_text(TINY_PYX)
    cache, temp = root / "cache", root / "tmp"
    temp.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINIGRAD_CACHE", str(cache))
        patch.setattr(tempfile, "tempdir", str(temp))
        with contextlib.redirect_stdout(io.StringIO()) as output:
            module = cython_extension.load("tiny_ext", [source])
    return module, cache, source, temp, output.getvalue()


def test_load_compiles_imports_and_reports_progress(built):
    module, cache, _, _, output = built
    assert module.add(2.0, 3.5) == 5.5
    declared = re.search(r"PARALLEL_MIN = (\d+)", (_build.KERNELS_DIR / "_types.pxd").read_text()).group(1)
    assert module.parallel_min() == int(declared)  # read through the include path
    assert "compiling tiny_ext" in output and "Cython translates tiny_ext.pyx to C" in output
    assert "the C compiler builds tiny_ext" in output
    assert "built tiny_ext in" in output and "-O3" in output
    assert module.__file__.startswith(str(cache / "cython_extensions"))
    assert module.__file__.endswith(sysconfig.get_config_var("EXT_SUFFIX"))


def test_the_temporary_folder_is_left_empty(built):
    _, _, _, temp, _ = built
    assert list(temp.iterdir()) == []


def test_a_second_load_uses_the_cache_silently(built, monkeypatch, capfd):
    module, cache, source, _, _ = built
    monkeypatch.setenv("MINIGRAD_CACHE", str(cache))
    again = cython_extension.load("tiny_ext", str(source))
    assert again.__file__ == module.__file__ and again.add(1.0, 1.0) == 2.0
    assert capfd.readouterr().out == ""


def test_the_cache_key_follows_the_source_and_the_name(tmp_path):
    source = tmp_path / "a.pyx"
    source.write_text("x = 1\n")
    first = cython_extension._build_hash("a", [source])
    assert cython_extension._build_hash("a", [source]) == first
    assert cython_extension._build_hash("b", [source]) != first
    source.write_text("x = 2\n")
    assert cython_extension._build_hash("a", [source]) != first


def test_build_flags_are_shared_with_setup_py():
    setup_text = (_build.KERNELS_DIR.parent.parent / "setup.py").read_text()
    assert "minigrad\" / \"_build.py\"" in setup_text and "build_ext_command()" in setup_text
    assert _build.compiler_directives()["cdivision"] is True


def test_bad_arguments_and_build_errors_are_explained(tmp_path):
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        cython_extension.load("my-ext", [tmp_path / "x.pyx"])
    with pytest.raises(FileNotFoundError, match="source file not found.*missing.pyx"):
        cython_extension.load("missing", [tmp_path / "missing.pyx"])
    with pytest.raises(ValueError, match="must be .pyx or .c files"):
        cython_extension.load("bad", [tmp_path / "bad.py"])
    broken = tmp_path / "broken.pyx"
    broken.write_text("def f(:\n    pass\n")
    with pytest.raises(RuntimeError, match="building broken failed(.|\n)*broken.pyx:1"):
        cython_extension.load("broken", [broken], build_directory=tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.so"))


# ---- a module another user planted at the predictable <name>_<hash> path is never imported ------
PLANTED_PYX = """
open({marker!r}, "w").close()  # runs when the module is imported

def add(double a, double b):
    return -1.0
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """(a compiled tiny_ext whose import creates the file ``marker``, marker), compiled, never imported."""
    root = tmp_path_factory.mktemp("planted")
    marker = root / "planted_module_ran"
    source = root / "tiny_ext.pyx"  # the same module name as the user's, another source
    source.write_text(PLANTED_PYX.format(marker=str(marker)))
    with contextlib.redirect_stdout(io.StringIO()):
        path = cython_extension._compile("tiny_ext", [source], root / "build", verbose=False)
    return path, marker


def _plant(cache, source, planted_path):
    """Put the planted build where load("tiny_ext", [source]) with $MINIGRAD_CACHE=cache looks:
    returns (cache folder, build folder, file)."""
    folder = cache / "cython_extensions"
    target = folder / f"tiny_ext_{cython_extension._build_hash('tiny_ext', [source])}"
    target.mkdir(parents=True)
    shutil.copy(planted_path, target / planted_path.name)
    return folder, target, target / planted_path.name


_ANOTHER_USER = 54321
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="making a file another user's needs root")


@pytest.mark.parametrize("share, problem", [
    (lambda folder: folder.chmod(0o777), r"group or others can write it \(mode 777\)"),
    (lambda folder: folder.chmod(0o775), r"group or others can write it \(mode 775\)"),
    pytest.param(lambda folder: os.chown(folder, _ANOTHER_USER, -1), f"it belongs to user id {_ANOTHER_USER}",
                 marks=needs_root),
])
def test_a_cache_folder_others_can_write_is_refused(built, planted, tmp_path, monkeypatch, share, problem):
    _, _, source, _, _ = built
    folder, _, _ = _plant(tmp_path / "shared", source, planted[0])
    share(folder)
    monkeypatch.setenv("MINIGRAD_CACHE", str(tmp_path / "shared"))
    with pytest.raises(PermissionError, match=rf"the build cache {re.escape(str(folder))} is not private: {problem}"):
        cython_extension.load("tiny_ext", [source])
    assert not planted[1].exists()


@pytest.mark.parametrize("tamper", [
    pytest.param(lambda folder, target, file: os.chown(file, _ANOTHER_USER, -1), marks=needs_root, id="file-of-another-user"),
    pytest.param(lambda folder, target, file: os.chown(target, _ANOTHER_USER, -1), marks=needs_root, id="folder-of-another-user"),
    pytest.param(lambda folder, target, file: file.chmod(0o777), id="file-writable-by-others"),
    pytest.param(lambda folder, target, file: target.chmod(0o775), id="folder-writable-by-group"),
    pytest.param(lambda folder, target, file: (file.rename(folder / "elsewhere.so"), file.symlink_to(folder / "elsewhere.so")),
                 id="symlink"),
])
def test_a_cached_build_others_could_have_changed_is_rebuilt(built, planted, tmp_path, monkeypatch, tamper):
    module, _, source, _, _ = built
    folder, target, file = _plant(tmp_path / "cache", source, planted[0])
    tamper(folder, target, file)
    rebuilt = []

    def compile_by_copying(name, paths, target, verbose):  # the real compiler is exercised below
        target.mkdir(mode=0o755, exist_ok=True)
        rebuilt.append(shutil.copy(module.__file__, target / file.name))
        return target / file.name

    monkeypatch.setattr(cython_extension, "_compile", compile_by_copying)
    monkeypatch.setenv("MINIGRAD_CACHE", str(tmp_path / "cache"))
    assert cython_extension.load("tiny_ext", [source]).add(2.0, 3.0) == 5.0
    assert rebuilt and not planted[1].exists()


def test_a_planted_build_is_replaced_by_a_real_rebuild_that_stays_private(built, planted, tmp_path, monkeypatch):
    _, _, source, _, _ = built
    _, target, file = _plant(tmp_path / "cache", source, planted[0])
    file.chmod(0o666)
    monkeypatch.setenv("MINIGRAD_CACHE", str(tmp_path / "cache"))
    saved_umask = os.umask(0o002)  # a group-writable default must not make every later load rebuild
    try:
        with contextlib.redirect_stdout(io.StringIO()) as output:
            module = cython_extension.load("tiny_ext", [source])
            again = cython_extension.load("tiny_ext", [source])
    finally:
        os.umask(saved_umask)
    assert module.add(2.0, 3.0) == 5.0 and not planted[1].exists()
    assert output.getvalue().count("compiling tiny_ext") == 1 and again.__file__ == module.__file__
    for path in (target.parent, target, file):
        assert cython_extension._writable_by_others(os.lstat(path)) is None, path
