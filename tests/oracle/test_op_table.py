"""Every entry of the op table (tests/op_db.py) against torch: each sample, in float64 and float32, on
contiguous input and on a strided Fortran-order view of it (and through the Tensor method where the
entry names one); the same upstream gradient on both sides. Elementwise entries also get the edge
samples below (signed zeros, infinities, NaN, values where float32 or float64 under/overflow). The
torch side is the entry's own call with torch in place of mg and F (harness.twin)."""
import numpy as np
import pytest

from oracle import HINT

torch = pytest.importorskip("torch", reason=HINT)

from op_db import ACTIVATIONS, ELEMENTWISE, OPS, S, Const  # noqa: E402
from oracle.harness import MG, TORCH, TORCH_STRIDED, differences, differences_from_either, judge, run, sample_args, twin  # noqa: E402,E501
from oracle.known import OP_TABLE  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning"), pytest.mark.filterwarnings("ignore::UserWarning")]

EDGE_VALUES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.5, 3.0, 20.0, -20.0,
                        40.0, -40.0, 89.0, -89.0, 710.0, -750.0, 1e-40, 1e-310, 1e300, -1e300])
PAIR_VALUES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.0, -0.5, 3.5])


def _float_arrays(sample):
    return [a for a in sample.args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]


def edge_samples(op, samples):
    """For a one- or two-input elementwise entry: its values at the edges (every pair, for two)."""
    if op not in ELEMENTWISE + ACTIVATIONS or any(s.kwargs or len(s.args) != len(_float_arrays(s)) for s in samples):
        return []
    arity = {len(s.args) for s in samples}
    if arity == {1}:
        return [S(EDGE_VALUES.copy(), name="edges")]
    if arity == {2}:
        a, b = np.meshgrid(PAIR_VALUES, PAIR_VALUES)
        return [S(a.ravel().copy(), b.ravel().copy(), name="edge-pairs")]
    return []


def oracle_samples(op):
    samples = op.samples(np.random.default_rng(0))
    return samples + edge_samples(op, samples)


def strided(a):
    """The same values through a non-contiguous view: every other entry of a Fortran-order base."""
    if a.ndim == 0:
        return a
    base = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype, order="F")
    base[..., ::2] = a
    return base[..., ::2]


CASES = [pytest.param(op, dtype, sample, id=f"{op.name}-{dtype}-{i}-{sample.name}".replace(" ", ""))
         for op in OPS for dtype in ("float64", "float32") if dtype in op.dtypes
         for i, sample in enumerate(oracle_samples(op))]


def _method_call(op, args, kwargs):
    return lambda: getattr(args[0], op.method)(*args[1:], **kwargs)


@pytest.mark.parametrize("op, dtype, sample", CASES)
def test_op_matches_torch(op, dtype, sample, request):
    torch_op = twin(op.op)
    references = []
    for side in (TORCH, TORCH_STRIDED):
        args, leaves = sample_args(side, sample, dtype, strided)
        references.append(run(side, lambda: torch_op(*args, **sample.kwargs), leaves))
    found = []
    for variant, view in (("", None), ("strided: ", strided)):
        args, leaves = sample_args(MG, sample, dtype, view)
        mine = run(MG, lambda: op.op(*args, **sample.kwargs), leaves)
        found += [type(d)(d.aspect, variant + d.text)
                  for d in differences_from_either(mine, references, dtype, *op_tolerance(op, dtype))]
    if op.method and sample.args and isinstance(sample.args[0], (np.ndarray, Const)):
        args, leaves = sample_args(TORCH, sample, dtype)
        theirs = run(TORCH, _method_call(op, args, sample.kwargs), leaves)
        args, leaves = sample_args(MG, sample, dtype)
        mine = run(MG, _method_call(op, args, sample.kwargs), leaves)
        found += [type(d)(d.aspect, f"Tensor.{op.method}: " + d.text) for d in differences(mine, theirs, dtype)]
    judge(request.node.callspec.id, found, OP_TABLE, request, pytest.fail)


def op_tolerance(op, dtype):
    """The entry's own float32 tolerance where it is looser than the oracle's."""
    if dtype == "float32" and dtype in op.tol:
        return op.tol[dtype]
    return (None, None)


ERROR_CASES = [pytest.param(op, i, call, id=f"{op.name}-{i}") for op in OPS for i, (call, _, _) in enumerate(op.errors)]


def _random_tensor(side):
    rng = np.random.default_rng(0)

    def t(*shape, dtype="float64"):
        return side.tensor(rng.standard_normal(shape), dtype)
    t.index = lambda values: side.tensor(np.asarray(values))
    return t


@pytest.mark.parametrize("op, i, call", ERROR_CASES)
def test_op_table_errors_are_torch_errors(op, i, call, request):
    """The op table's refusals: torch refuses them too, or the difference is stated."""
    theirs = run(TORCH, lambda: twin(call)(_random_tensor(TORCH)))
    mine = run(MG, lambda: call(_random_tensor(MG)))
    judge(f"errors-{request.node.callspec.id}", differences(mine, theirs), OP_TABLE, request, pytest.fail)
