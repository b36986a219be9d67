"""Second and third derivatives of the expressions in higher_order_cases.py against central differences
of the lower-order gradient, in float64 (the lower orders are checked by gradcheck and gradgradcheck)."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from higher_order_cases import CASES, inputs

EPS = 1e-6


def derivatives(fn, arrays, directions, create_graph):
    """The gradient of fn at ``arrays``, differentiated once per direction in ``directions`` (each a
    list of arrays like ``arrays``): gradient . d1, then its gradient . d2, ...; NumPy arrays."""
    xs = [mg.tensor(a, requires_grad=True) for a in arrays]
    value = fn(mg, F, *xs)
    grads = mg.autograd.grad(value, xs, create_graph=create_graph or bool(directions))
    for k, direction in enumerate(directions):
        projected = sum((g * mg.tensor(d)).sum() for g, d in zip(grads, direction))
        last = k == len(directions) - 1
        if not projected.requires_grad:  # a polynomial of lower degree: this derivative is 0
            return [np.zeros_like(a) for a in arrays]
        grads = mg.autograd.grad(projected, xs, create_graph=create_graph or not last, allow_unused=True,
                                 materialize_grads=True)
    return [g.detach().numpy() for g in grads]


def central_difference(fn, arrays, directions, along):
    """d/dt of derivatives(fn, arrays + t * along, directions) at t = 0."""
    plus = derivatives(fn, [a + EPS * d for a, d in zip(arrays, along)], directions, False)
    minus = derivatives(fn, [a - EPS * d for a, d in zip(arrays, along)], directions, False)
    return [(p - q) / (2 * EPS) for p, q in zip(plus, minus)]


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("order", [2, 3])
def test_derivative_matches_central_differences_of_the_order_below(name, fn, shapes, domain, order):
    arrays = inputs(shapes, domain)
    rng = np.random.default_rng(1)
    directions = [[rng.standard_normal(a.shape) for a in arrays] for _ in range(order - 1)]
    got = derivatives(fn, arrays, directions, False)
    # the order-k derivative along d_1..d_{k-1} is the slope, along d_{k-1}, of the order-(k-1) one
    expected = central_difference(fn, arrays, directions[:-1], directions[-1])
    for i, (g, e) in enumerate(zip(got, expected)):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7, err_msg=f"{name}: order {order}, input {i}")


def test_hessian_vector_product_against_finite_differences():
    x = np.array([0.3, -0.8, 1.1])
    v = np.array([1.0, 0.5, -2.0])

    def f(m, F, t):
        return (t.tanh() ** 3).sum() * t.exp().sum()

    _, hv = mg.autograd.functional.hvp(lambda t: f(mg, F, t), mg.tensor(x), mg.tensor(v))
    gradient = lambda p: derivatives(f, [p], [], False)[0]  # noqa: E731
    expected = (gradient(x + EPS * v) - gradient(x - EPS * v)) / (2 * EPS)
    np.testing.assert_allclose(hv.numpy(), expected, rtol=1e-7)
