"""mg.autograd.functional against analytic results and finite differences."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.autograd import functional as AF


def t(values, requires_grad=False):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def numeric_jacobian(f, x, eps=1e-6):
    """d f / d x by central differences, shape f(x).shape + x.shape (NumPy in, NumPy out)."""
    out = f(x)
    jac = np.zeros(out.shape + x.shape)
    for index in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        jac[(...,) + index] = (f(x + step) - f(x - step)) / (2 * eps)
    return jac


def cubic(x):
    return (x ** 3).sum() + (x[0] * x[1]).sin()


def cubic_np(x):
    return np.sum(x ** 3) + np.sin(x[0] * x[1])


def test_jacobian_of_a_vector_function():
    x = np.array([0.3, -1.2, 2.0])
    f = lambda v: v.tanh() * v.sum()  # noqa: E731
    jac = AF.jacobian(f, t(x))
    np.testing.assert_allclose(jac.numpy(), numeric_jacobian(lambda v: np.tanh(v) * v.sum(), x), rtol=1e-6, atol=1e-8)
    assert not jac.requires_grad


def test_jacobian_of_several_inputs_and_outputs_is_a_tuple_of_tuples():
    a, b = t([1.0, 2.0]), t([3.0])
    (jaa, jab), (jba, jbb) = AF.jacobian(lambda x, y: (x * y, (x * x).sum()), (a, b))
    np.testing.assert_allclose(jaa.numpy(), np.diag([3.0, 3.0]))
    np.testing.assert_allclose(jab.numpy(), [[1.0], [2.0]])
    np.testing.assert_allclose(jba.numpy(), [2.0, 4.0])
    np.testing.assert_allclose(jbb.numpy(), [0.0])
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.jacobian(lambda x, y: x * 2, (a, b), strict=True)


def test_hessian_against_the_analytic_one():
    x = np.array([0.5, -0.7])
    hess = AF.hessian(cubic, t(x)).numpy()
    c = np.cos(x[0] * x[1])
    s = np.sin(x[0] * x[1])
    expected = np.array([[6 * x[0] - x[1] ** 2 * s, c - x[0] * x[1] * s],
                         [c - x[0] * x[1] * s, 6 * x[1] - x[0] ** 2 * s]])
    np.testing.assert_allclose(hess, expected, rtol=1e-12)


def test_hvp_vhp_against_finite_differences_of_the_gradient():
    x, v = np.array([0.5, -0.7]), np.array([1.5, 0.25])
    gradient = lambda p: 3 * p ** 2 + p[::-1] * np.cos(p[0] * p[1])  # noqa: E731  (cubic's, analytic)
    expected = (gradient(x + 1e-6 * v) - gradient(x - 1e-6 * v)) / 2e-6
    value, hv = AF.hvp(cubic, t(x), t(v))
    np.testing.assert_allclose(hv.numpy(), expected, rtol=1e-8)
    np.testing.assert_allclose(value.numpy(), cubic_np(x))
    _, vh = AF.vhp(cubic, t(x), t(v))
    np.testing.assert_allclose(vh.numpy(), hv.numpy(), rtol=1e-12)


def test_vjp_and_jvp_are_the_two_products_with_the_jacobian():
    x = np.array([0.2, 0.9, -0.4])
    f = lambda v: (v.exp() * v.flip(0)).cumsum(0)  # noqa: E731
    jac = numeric_jacobian(lambda v: np.cumsum(np.exp(v) * v[::-1]), x)
    u, w = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -1.0])
    out, vjp = AF.vjp(f, t(x), t(u))
    np.testing.assert_allclose(vjp.numpy(), u @ jac, rtol=1e-6)
    out, jvp = AF.jvp(f, t(x), t(w))
    np.testing.assert_allclose(jvp.numpy(), jac @ w, rtol=1e-6)
    assert not out.requires_grad and not jvp.requires_grad


def test_create_graph_keeps_results_differentiable():
    x = t([0.5, 1.5], requires_grad=True)
    _, hv = AF.hvp(lambda v: (v ** 4).sum(), x, t([1.0, 1.0]), create_graph=True)  # 12 x^2
    (g,) = mg.autograd.grad(hv.sum(), x)
    np.testing.assert_allclose(g.numpy(), 24 * np.array([0.5, 1.5]))


def test_v_must_match_and_may_be_omitted_only_for_one_element():
    with pytest.raises(RuntimeError, match="v can only be None"):
        AF.vjp(lambda v: v * 2, t([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="v has shapes"):
        AF.jvp(lambda v: v * 2, t([1.0, 2.0]), t([1.0]))
    _, g = AF.vjp(lambda v: (v * v).sum(), t([3.0]))
    np.testing.assert_allclose(g.numpy(), [6.0])
