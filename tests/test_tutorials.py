"""What of the tutorials the suite checks: CI's way of running them, and their shared verdict rule.

The suite runs no tutorial (each --quick run takes seconds to minutes). CI (.ci/run) runs every
tutorials/[0-9]*.py with --quick as its own step, under ``set -e``, so a tutorial that raises fails
CI; the first test checks that .ci/run still does that. The others check, without matplotlib's
figures, that a run on fewer than 3 seeds (--quick) draws no conclusion, and that the README lists
every tutorial with figures that exist.
"""
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_every_numbered_tutorial_with_quick_and_stops_on_its_failure():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci
    loop = re.search(r"for script in tutorials/\[0-9\]\*\.py; do(.*?)\ndone", ci, re.S)
    assert loop, ".ci/run no longer loops over tutorials/[0-9]*.py"
    runs = re.findall(r"^\s*(?:timeout \d+ mpiexec -n \d+ )?python \"\$script\" --quick$", loop.group(1), re.M)
    assert len(runs) == 2, "each tutorial runs as `python \"$script\" --quick` (09 under mpiexec with a timeout)"
    assert sorted(ROOT.glob("tutorials/[0-9]*.py")), "no numbered tutorials left"


@pytest.fixture(scope="module")
def common():
    """tutorials/_common.py, which imports matplotlib and tqdm (the tutorials extra)."""
    pytest.importorskip("matplotlib", reason="the tutorials need matplotlib: pip install -e '.[tutorials]'")
    pytest.importorskip("tqdm", reason="the tutorials need tqdm: pip install -e '.[tutorials]'")
    spec = importlib.util.spec_from_file_location("tutorials_common", ROOT / "tutorials" / "_common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("seeds", [[0], [0, 1]])
def test_a_run_on_too_few_seeds_prints_no_conclusion(seeds, capsys, common):
    common.print_verdict(["The regularising effect is clear."], seeds)
    printed = capsys.readouterr().out
    assert "clear" not in printed and f"quick run ({len(seeds)} seed" in printed and "too little data" in printed


def test_a_run_on_enough_seeds_prints_its_conclusions(capsys, common):
    common.print_verdict(["(a) holds.", "(b) does not hold here."], [0, 1, 2])
    assert capsys.readouterr().out == "(a) holds.\n(b) does not hold here.\n"


def test_the_readme_lists_every_numbered_tutorial_and_its_figures_exist():
    readme = (ROOT / "README.md").read_text()
    listed = readme[readme.index("## Tutorials"):]
    missing = [p.name for p in sorted(ROOT.glob("tutorials/[0-9]*.py")) if f"`{p.name}`" not in listed]
    assert not missing, f"tutorials missing from the README's tutorial list: {missing}"
    absent = [link for link in re.findall(r"\]\((docs/figures/[^)]+)\)", readme) if not (ROOT / link).exists()]
    assert not absent, f"figures the README links that docs/figures lacks: {absent}"
