"""The harness against itself: torch on both sides (one of them on strided views, as minigrad gets
them) finds no difference in the op table, the cases or the training tables; the comparison finds
a changed value, a missing gradient and a missing error; every README name is covered or explained."""
import numpy as np
import pytest

from oracle import HINT

torch = pytest.importorskip("torch", reason=HINT)

from op_db import OPS  # noqa: E402
from oracle import training as T  # noqa: E402
from oracle.cases import CASES, run_case  # noqa: E402
from oracle.harness import TORCH, TORCH_STRIDED, Result, differences, run, sample_args, twin  # noqa: E402
from oracle.inventory import inventory  # noqa: E402
from oracle.test_op_table import oracle_samples, strided  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning"), pytest.mark.filterwarnings("ignore::UserWarning")]

# torch against itself, contiguous vs strided: where its vectorised and scalar kernels differ (the op
# test accepts either answer there) and its random masks, which follow the memory layout
TORCH_PATHS = {("elu", "float64", "edges"): "grad at NaN: NaN vs 1.25 (the upstream gradient)",
               ("gelu", "float32", "nonfinite"): "gelu(inf): NaN vs inf",
               ("gelu", "float32", "edges"): "gelu(inf): NaN vs inf",
               **{(name, dtype, "edges"): "grad at NaN: 0 vs the upstream gradient"
                  for name in ("hardtanh", "hardtanh_bounds") for dtype in ("float32", "float64")},
               ("hardswish", "float64", "edges"): "grad at NaN: NaN vs the upstream gradient",
               ("dropout_mask", "float32", "(4, 30)"): "the mask follows the memory layout",
               ("dropout_mask", "float64", "(4, 30)"): "the mask follows the memory layout"}


def test_torch_against_torch_op_table():
    """Zero differences but the listed ones (and each listed one is still there)."""
    found = set()
    for op in OPS:
        torch_op = twin(op.op)
        for dtype in op.dtypes:
            for sample in oracle_samples(op):
                results = []
                for side in (TORCH, TORCH_STRIDED):
                    torch.manual_seed(0)
                    args, leaves = sample_args(side, sample, dtype, strided)
                    results.append(run(side, lambda: torch_op(*args, **sample.kwargs), leaves))
                if differences(*results, dtype):
                    found.add((op.name, dtype, sample.name))
    assert found == set(TORCH_PATHS)


def test_torch_against_torch_tables():
    found = {}
    for case in CASES:
        if case.name.startswith(("randint", "randperm")):
            continue
        torch.manual_seed(0)
        first = run_case(TORCH, case)
        torch.manual_seed(0)
        found[case.name] = differences(run_case(TORCH, case), first)
    for case in T.MODULES:
        state = T._initial_state(case, "float64")
        found[case.name] = differences(T.run_module(TORCH, case, "float64", state),
                                       T.run_module(TORCH, case, "float64", state))
    for name, kwargs in T.OPTIMIZERS:
        found[name + str(kwargs)] = differences(T.run_optimizer(TORCH, name, kwargs, "float64"),
                                                T.run_optimizer(TORCH, name, kwargs, "float64"))
    for name, make in T.SCHEDULERS:
        found[name] = differences(T.run_scheduler(TORCH, make), T.run_scheduler(TORCH, make))
    assert not {k: v for k, v in found.items() if v}


def test_the_comparison_finds_each_kind_of_difference():
    base = Result(values=[np.array([1.0, 2.0])], dtypes=["float64"], grads=[np.array([1.0])])
    assert not differences(base, base)
    aspects = lambda mine, theirs: [d.aspect for d in differences(mine, theirs)]  # noqa: E731
    assert aspects(Result([np.array([1.0, 2.1])], ["float64"], [np.array([1.0])]), base) == ["value"]
    assert aspects(Result([np.array([1.0, 2.0])], ["float32"], [np.array([1.0])]), base) == ["dtype"]
    assert aspects(Result([np.array([1.0, 2.0])], ["float64"], [None]), base) == ["grad"]
    assert aspects(Result([np.array([1.0, np.nan])], ["float64"], [np.array([1.0])]), base) == ["value"]
    assert aspects(base, Result(error="forward: RuntimeError: no")) == ["missing-error"]
    assert aspects(Result(error="forward: ValueError: no"), base) == ["spurious-error"]


def test_every_readme_name_that_torch_has_is_covered_or_explained():
    covered, claimed, not_comparable = inventory()
    assert sorted(set(claimed) - set(covered) - set(not_comparable)) == []
