"""Arithmetic, matmul and elementwise math: float64 references, gradcheck, float32, bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b),
}
UNARY = {
    "exp": (lambda t: t.exp(), np.exp),
    "log": (lambda t: t.log(), np.log),
    "tanh": (lambda t: t.tanh(), np.tanh),
    "sigmoid": (lambda t: t.sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    "neg": (lambda t: -t, np.negative),
}
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5, 1), (1, 6))]


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shape_a, shape_b", BROADCAST_SHAPES)
def test_binary_ops_match_numpy_and_gradcheck(name, shape_a, shape_b, rng, device):
    op, reference = BINARY[name]
    a, b = _positive(rng, shape_a), _positive(rng, shape_b)
    ta = mg.tensor(a, requires_grad=True, device=device)
    tb = mg.tensor(b, requires_grad=True, device=device)
    np.testing.assert_allclose(op(ta, tb).numpy(), reference(a, b), rtol=1e-12)
    assert mg.gradcheck(op, [ta, tb])


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_in_float32(name, rng, device):
    op, reference = BINARY[name]
    a, b = _positive(rng, (4, 5)), _positive(rng, (5,))
    result = op(mg.tensor(a, dtype="float32", device=device), mg.tensor(b, dtype="float32", device=device))
    assert result.dtype == np.float32
    np.testing.assert_allclose(result.numpy(), reference(a, b), rtol=1e-5)


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_take_numbers_on_either_side(name):
    op, reference = BINARY[name]
    x = mg.tensor([1.5, 2.0], dtype="float64", requires_grad=True)
    np.testing.assert_allclose(op(x, 3).numpy(), reference(np.array([1.5, 2.0]), 3))
    np.testing.assert_allclose(op(3, x).numpy(), reference(3, np.array([1.5, 2.0])))
    assert op(mg.tensor([1.0, 2.0]), 3).dtype == np.float32  # a number does not promote
    assert mg.gradcheck(lambda t: op(t, 3) + op(2.5, t), [x])


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_match_numpy_gradcheck_and_float32(name, rng, device):
    op, reference = UNARY[name]
    x = _positive(rng, (3, 4))
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_allclose(op(t).numpy(), reference(x), rtol=1e-12)
    assert mg.gradcheck(op, [t])
    t32 = mg.tensor(x, dtype="float32", device=device)
    assert op(t32).dtype == np.float32
    np.testing.assert_allclose(op(t32).numpy(), reference(x), rtol=1e-5)


def test_sigmoid_is_finite_for_large_inputs():
    y = mg.tensor([-1000.0, 0.0, 1000.0]).sigmoid().numpy()
    np.testing.assert_allclose(y, [0, 0.5, 1])


def test_pow_gradient_with_zero_base_is_finite():
    x = mg.tensor([0.0, 2.0], dtype="float64", requires_grad=True)
    e = mg.tensor([2.0, 2.0], dtype="float64", requires_grad=True)
    (x ** e).sum().backward()
    assert np.isfinite(e.grad.numpy()).all()


MATMUL_SHAPES = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2))]


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_matches_numpy_with_gradients(shape_a, shape_b, rng, device):
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    ta = mg.tensor(a, requires_grad=True, device=device)
    tb = mg.tensor(b, requires_grad=True, device=device)
    np.testing.assert_allclose((ta @ tb).numpy(), a @ b, rtol=1e-12)
    assert mg.gradcheck(lambda x, y: x @ y, [ta, tb])
    result32 = mg.tensor(a, dtype="float32", device=device) @ mg.tensor(b, dtype="float32", device=device)
    np.testing.assert_allclose(result32.numpy(), a @ b, rtol=1e-4, atol=1e-5)


def test_matmul_refuses_mismatched_shapes_dtypes_and_scalars():
    with pytest.raises(ValueError, match="do not align"):
        mg.randn(2, 3) @ mg.randn(4, 2)
    with pytest.raises(TypeError, match="dtype mismatch"):
        mg.randn(2, 3) @ mg.randn(3, 2, dtype="float64")
    with pytest.raises(ValueError, match="at least one dimension"):
        mg.randn(2) @ mg.tensor(2.0)


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
    return shapes.input_shapes


@settings(max_examples=40, deadline=None)
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div"]))
def test_broadcast_gradients_sum_back_to_each_input_shape(shapes, name):
    rng = np.random.default_rng(0)
    op, _ = BINARY[name]
    a = mg.tensor(_positive(rng, shapes[0]), requires_grad=True)
    b = mg.tensor(_positive(rng, shapes[1]), requires_grad=True)
    out = op(a, b)
    out.backward(mg.ones(*out.shape, dtype="float64"))
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    if name == "add":  # each input entry feeds (output size / input size) outputs
        np.testing.assert_allclose(a.grad.numpy(), out.numel() / max(a.numel(), 1))
