"""Second and third derivatives (mg.autograd.grad with create_graph=True) of the expressions in
tests/higher_order_cases.py against torch.autograd.grad's, in float64, with the same directions."""
import numpy as np
import pytest

from oracle import HINT

torch = pytest.importorskip("torch", reason=HINT)

import minigrad as mg  # noqa: E402
import minigrad.functional as F  # noqa: E402
from higher_order_cases import CASES, inputs  # noqa: E402

LIBRARIES = {"mg": (mg, F, mg.autograd.grad, lambda a: mg.tensor(a)),
             "torch": (torch, torch.nn.functional, torch.autograd.grad, lambda a: torch.tensor(a))}


def derivatives(library, fn, arrays, directions):
    """The gradient, then the gradient of (gradient . direction) per direction, as NumPy arrays."""
    m, functional, grad, tensor = LIBRARIES[library]
    xs = [tensor(a).requires_grad_(True) for a in arrays]
    results = []
    grads = grad(fn(m, functional, *xs), xs, create_graph=True)
    results.append([g.detach().numpy() for g in grads])
    for direction in directions:
        projected = sum((g * tensor(d)).sum() for g, d in zip(grads, direction))
        if not projected.requires_grad:  # a polynomial of lower degree
            grads = [tensor(np.zeros_like(a)) for a in arrays]
        else:
            grads = grad(projected, xs, create_graph=True, allow_unused=True, materialize_grads=True)
        results.append([g.detach().numpy() for g in grads])
    return results


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=[c[0] for c in CASES])
def test_second_and_third_derivatives_equal_torchs(name, fn, shapes, domain):
    arrays = inputs(shapes, domain)
    rng = np.random.default_rng(1)
    directions = [[rng.standard_normal(a.shape) for a in arrays] for _ in range(2)]
    ours, theirs = (derivatives(library, fn, arrays, directions) for library in ("mg", "torch"))
    for order, (mine, torchs) in enumerate(zip(ours, theirs), start=1):
        for i, (a, b) in enumerate(zip(mine, torchs)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"{name}: order {order}, input {i}")
