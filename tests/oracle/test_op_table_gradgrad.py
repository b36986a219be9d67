"""Second derivatives of every differentiable op-table entry against torch's (issue 26), in float64:
for loss = sum(upstream * op(inputs)), the gradient with create_graph=True, then the gradient of
(gradient . direction) with respect to the inputs and to upstream (a Hessian-vector product and the
first-order Jacobian-vector product), both sides with the same inputs, upstream and directions. The
torch side is the entry's own call with torch in place of mg and F (harness.twin). Random ops (dropout)
draw other masks on torch and are left to the op table's gradgradcheck."""
import numpy as np
import pytest

from oracle import HINT

torch = pytest.importorskip("torch", reason=HINT)

from op_db import OPS  # noqa: E402
from oracle.harness import MG, TORCH, outputs, sample_args, twin, upstream  # noqa: E402

pytestmark = [pytest.mark.filterwarnings("ignore::RuntimeWarning"), pytest.mark.filterwarnings("ignore::UserWarning")]
RTOL, ATOL = 1e-7, 1e-10  # float64, sums in another order

CASES = [pytest.param(op, sample, id=f"{op.name}-{i}-{sample.name}".replace(" ", ""))
         for op in OPS if op.differentiable and op.gradgrad and not op.ref_takes_output
         for i, sample in enumerate(op.samples(np.random.default_rng(0))) if sample.grad]


def second_derivatives(side, call, sample):
    """[d/d leaf, ..., d/d upstream, ...] of sum(grad(loss, leaves) * directions), as float64 arrays
    (zeros where nothing depends on an input), or None when the op has no float output to differentiate."""
    args, leaves = sample_args(side, sample, "float64")
    outs = [o for o in outputs(call(*args, **sample.kwargs)) if side.is_tensor(o) and o.requires_grad and o.numel()]
    if not outs or not leaves:
        return None
    grad = side.lib.autograd.grad
    seeds = [side.tensor(upstream(tuple(o.shape), "float64"), requires_grad=True) for o in outs]
    loss = sum((o * s).sum() for o, s in zip(outs, seeds))
    rng = np.random.default_rng(2)
    directions = [side.tensor(rng.standard_normal(tuple(t.shape))) for t in leaves]
    firsts = grad(loss, leaves, create_graph=True, allow_unused=True)
    projected = sum((g * d).sum() for g, d in zip(firsts, directions) if g is not None and g.requires_grad)
    if not torch.is_tensor(projected) and not isinstance(projected, MG.lib.Tensor):
        return [np.zeros(tuple(t.shape)) for t in leaves + seeds]  # the gradient is constant
    seconds = grad(projected, leaves + seeds, allow_unused=True)
    # + 0: torch answers a known zero with a ZeroTensor, which numpy() refuses
    return [np.zeros(tuple(t.shape)) if g is None else side.numpy(g + 0) for g, t in zip(seconds, leaves + seeds)]


@pytest.mark.parametrize("op, sample", CASES)
def test_second_derivatives_equal_torchs(op, sample):
    try:
        theirs = second_derivatives(TORCH, twin(op.op), sample)
    except (TypeError, ValueError, RuntimeError) as error:  # the first-order oracle lists these calls
        pytest.skip(f"torch cannot run this call: {error}")
    mine = second_derivatives(MG, op.op, sample)
    assert (mine is None) == (theirs is None)
    for i, (a, b) in enumerate(zip(mine or [], theirs or [])):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=f"{op.name}: input {i}")
