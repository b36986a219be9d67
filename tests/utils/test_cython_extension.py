"""minigrad.utils.cython_extension.load: compiles once with the project's flags, caches by source
hash, imports, and leaves nothing in the temporary folder. One tiny module is compiled per run."""
import contextlib
import io
import re
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
