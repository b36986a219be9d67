"""The calls of tests/oracle/cases.py, written once and run on minigrad and on torch."""
import pytest

from oracle import HINT

torch = pytest.importorskip("torch", reason=HINT)

from oracle.cases import CASES, run_case  # noqa: E402
from oracle.harness import MG, TORCH, differences, judge  # noqa: E402
from oracle.known import CASES_KNOWN  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning"), pytest.mark.filterwarnings("ignore::UserWarning")]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_matches_torch(case, request):
    theirs = run_case(TORCH, case)
    mine = run_case(MG, case)
    # values built, not computed, must be exact (a fill rounded through float32 is 1.5e-8 off)
    judge(request.node.callspec.id, differences(mine, theirs, rtol=1e-12, atol=1e-15), CASES_KNOWN, request, pytest.fail)
