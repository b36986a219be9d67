"""Every Python snippet in the README runs as printed: no name it uses is left undefined, and each
one that does not need a GPU is executed (in a temporary directory, for the files it writes)."""
import builtins
import re
import symtable
from pathlib import Path

import pytest

import minigrad as mg

README = Path(__file__).resolve().parents[1] / "README.md"


def _snippets():
    """(id, code) for each ```python block, named by the section heading above it; the code is
    padded with blank lines so that tracebacks give README line numbers."""
    text = README.read_text()
    snippets = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M):
        headings = re.findall(r"^#+ (.+)$", text[:match.start()], re.M)
        line = text.count("\n", 0, match.start(1))
        snippets.append((f"{headings[-1] if headings else 'top'} (line {line + 1})", "\n" * line + match.group(1)))
    return snippets


SNIPPETS = _snippets()


def _undefined_names(code):
    """Global names a snippet reads but never binds (nor imports) and that are not builtins."""
    top = symtable.symtable(code, "README snippet", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    used, tables = set(), [top]
    while tables:
        table = tables.pop()
        tables.extend(table.get_children())
        used |= {s.get_name() for s in table.get_symbols()
                 if s.is_referenced() and (s.is_global() or table is top)}
    return sorted(used - bound - set(dir(builtins)))


def test_the_readme_has_python_snippets():
    assert len(SNIPPETS) >= 3


@pytest.mark.parametrize("code", [code for _, code in SNIPPETS], ids=[name for name, _ in SNIPPETS])
def test_readme_snippet_defines_every_name_it_uses(code):
    assert _undefined_names(code) == []


@pytest.mark.parametrize("code", [code for _, code in SNIPPETS], ids=[name for name, _ in SNIPPETS])
def test_readme_snippet_runs(code, tmp_path, monkeypatch):
    if "cuda" in code and not mg.cuda.is_available():
        pytest.skip(f"snippet uses the GPU: {mg.cuda.unavailable_reason()}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MINIGRAD_CACHE", str(tmp_path / "cache"))  # a snippet's kernel build stays here
    try:
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    except ImportError as error:  # an optional dependency (an extra) that this environment lacks
        if (error.name or "").split(".")[0] == "minigrad":
            raise
        pytest.skip(f"snippet needs an optional package: {error}")


def test_the_undefined_name_check_finds_a_missing_name():
    assert _undefined_names("model = make_model().to('cuda')\nprint(model)") == ["make_model"]
    assert _undefined_names("import numpy as np\ndef f(x):\n    return np.exp(x) + y\nprint(f(1))") == ["y"]
