"""CONTRIBUTING.md's walkthrough works as written: each code block is the text of the file it names,
and the op it defines, run from the page's own text, passes every generic op-table test."""
import pathlib
import re

import numpy as np
import pytest

import minigrad as mg
import op_db
import test_ops
from minigrad.nn import Module
from minigrad.ops._tensor_checks import float_tensor

pytestmark = test_ops.pytestmark  # the same warning filters as the generic tests (NaN/Inf samples)
ROOT = pathlib.Path(__file__).parent.parent
PAGE = (ROOT / "CONTRIBUTING.md").read_text()
# ```python blocks whose first line names the file they come from: {path: code}
BLOCKS = {m.group(1): m.group(2) for m in re.finditer(r"```python\n# (\S+)\n(.*?)```", PAGE, re.S)}


@pytest.mark.parametrize("path", sorted(BLOCKS))
def test_each_block_is_the_text_of_the_file_it_names(path):
    assert BLOCKS[path] in (ROOT / path).read_text(), f"CONTRIBUTING.md's block for {path} is not in that file"


class PageNamespace:
    """``F`` as the page's code sees it: the functions the page defines."""


def op_from_the_page():
    """The page's op, module and op-table entry, executed from its text (not imported from minigrad)."""
    F = PageNamespace()
    op_code = {"Op": mg.Op, "Tensor": mg.Tensor, "float_tensor": float_tensor}
    exec(BLOCKS["minigrad/ops/activation.py"], op_code)
    F.softsign = op_code["softsign"]
    layer_code = {"Module": Module, "F": F}
    exec(BLOCKS["minigrad/nn/layers.py"], layer_code)
    entry = eval(BLOCKS["tests/op_db.py"].strip().rstrip(","), {**vars(op_db), "F": F, "np": np, "mg": mg})
    assert entry.op is F.softsign  # the generic tests below run the page's function, not minigrad's
    return entry, layer_code["Softsign"]


def test_the_page_lists_every_block_it_runs():
    assert {"minigrad/ops/activation.py", "minigrad/nn/layers.py", "tests/op_db.py"} <= set(BLOCKS)


def test_the_op_defined_on_the_page_passes_the_generic_tests(device, request):
    entry, layer = op_from_the_page()
    test_ops.test_forward_matches_the_float64_reference(entry, device, request)
    test_ops.test_float32_stays_float32_within_tolerance_of_the_reference(entry, device, request)
    test_ops.test_gradcheck_in_float64(entry, device, request)
    for view in (test_ops.transposed, test_ops.stepped, test_ops.reversed_):
        test_ops.test_strided_input_gives_the_contiguous_result(entry, view, device, request)
    test_ops.test_declared_errors_are_raised(entry, device, request)
    x = mg.randn(4, dtype=mg.float64, device=device)
    np.testing.assert_allclose(layer()(x).numpy(), entry.op(x).numpy())
