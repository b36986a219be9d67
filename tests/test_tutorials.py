"""The tutorials' shared verdict rule: a run on fewer than 3 seeds (--quick) draws no conclusion."""
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the tutorials need matplotlib: pip install -e '.[tutorials]'")
pytest.importorskip("tqdm", reason="the tutorials need tqdm: pip install -e '.[tutorials]'")

_spec = importlib.util.spec_from_file_location(
    "tutorials_common", Path(__file__).resolve().parents[1] / "tutorials" / "_common.py")
_common = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_common)


@pytest.mark.parametrize("seeds", [[0], [0, 1]])
def test_a_run_on_too_few_seeds_prints_no_conclusion(seeds, capsys):
    _common.print_verdict(["The regularising effect is clear."], seeds)
    printed = capsys.readouterr().out
    assert "clear" not in printed and f"quick run ({len(seeds)} seed" in printed and "too little data" in printed


def test_a_run_on_enough_seeds_prints_its_conclusions(capsys):
    _common.print_verdict(["(a) holds.", "(b) does not hold here."], [0, 1, 2])
    assert capsys.readouterr().out == "(a) holds.\n(b) does not hold here.\n"
