import numpy as np
import pytest

import minigrad as mg

# name: (Tensor function, float64 NumPy reference written out, input sampler)
ELEMENTWISE = {
    "abs": (lambda a: a.abs(), np.abs, lambda rng: rng.standard_normal((3, 4))),
    "sqrt": (lambda a: a.sqrt(), np.sqrt, lambda rng: rng.uniform(0.5, 2.0, (3, 4))),
    "sin": (lambda a: a.sin(), np.sin, lambda rng: rng.standard_normal((3, 4))),
    "cos": (lambda a: a.cos(), np.cos, lambda rng: rng.standard_normal((3, 4))),
    "clamp": (lambda a: a.clamp(-0.5, 0.7), lambda x: np.minimum(np.maximum(x, -0.5), 0.7),
              lambda rng: rng.standard_normal((3, 4))),
    "clamp(min=)": (lambda a: a.clamp(min=0.1), lambda x: np.maximum(x, 0.1), lambda rng: rng.standard_normal((3, 4))),
    "clip(max=)": (lambda a: a.clip(max=0.2), lambda x: np.minimum(x, 0.2), lambda rng: rng.standard_normal((3, 4))),
    "pow(3)": (lambda a: a.pow(3), lambda x: x ** 3, lambda rng: rng.standard_normal((3, 4))),
    "pow(tensor)": (lambda a: a.pow(mg.tensor([[1.0], [2.0], [0.5]], dtype=a.dtype, device=a.device)),
                    lambda x: x ** np.array([[1.0], [2.0], [0.5]]), lambda rng: rng.uniform(0.5, 2.0, (3, 4))),
    "softmax(1)": (lambda a: a.softmax(1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True),
                   lambda rng: rng.standard_normal((3, 4))),
    "softmax(0)": (lambda a: a.softmax(dim=0), lambda x: np.exp(x) / np.exp(x).sum(0, keepdims=True),
                   lambda rng: rng.standard_normal((3, 4))),
    "log_softmax(-1)": (lambda a: a.log_softmax(-1), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
                        lambda rng: rng.standard_normal((3, 4))),
    "masked_fill": (lambda a: a.masked_fill(mg.tensor([[True, False, False, True]]), -2.0),
                    lambda x: np.where([[True, False, False, True]], -2.0, x), lambda rng: rng.standard_normal((3, 4))),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_ops_match_numpy_and_gradcheck(name, rng, device):
    function, reference, sample = ELEMENTWISE[name]
    x = sample(rng)
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_allclose(function(t).numpy(), reference(x), rtol=1e-12, atol=1e-14)
    assert mg.gradcheck(function, [t])
    result32 = function(mg.tensor(x, dtype="float32", device=device))
    assert result32.dtype == np.float32
    np.testing.assert_allclose(result32.numpy(), reference(x), rtol=1e-5, atol=1e-6)


def test_module_level_forms_call_the_methods(rng):
    x = mg.tensor(rng.standard_normal((3, 4)))
    for name in ("exp", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu"):
        np.testing.assert_array_equal(getattr(mg, name)(x.abs()).numpy(), getattr(x.abs(), name)().numpy())
    np.testing.assert_array_equal(mg.clamp(x, min=0).numpy(), x.clamp(min=0).numpy())
    np.testing.assert_array_equal(mg.softmax(x, dim=1).numpy(), x.softmax(1).numpy())
    np.testing.assert_array_equal(mg.sum(x, dim=0).numpy(), x.sum(0).numpy())
    np.testing.assert_array_equal(mg.argmax(x, dim=1).numpy(), x.argmax(1).numpy())
    np.testing.assert_array_equal(mg.max(x, 1).indices.numpy(), x.max(1).indices.numpy())
    np.testing.assert_array_equal(mg.matmul(x, x.t()).numpy(), (x @ x.t()).numpy())
    np.testing.assert_array_equal(mg.permute(x, (1, 0)).numpy(), x.numpy().T)
    assert mg.flatten(mg.zeros(2, 3, 4), 1).shape == (2, 12)
    with pytest.raises(TypeError, match="mg.exp expects a Tensor"):
        mg.exp([1.0, 2.0])


def test_clamp_keeps_nan_and_passes_the_gradient_inside_the_bounds():
    x = mg.tensor([float("nan"), -2.0, 0.5, 2.0, 1.0], requires_grad=True)
    y = x.clamp(-1, 1)
    assert np.isnan(y.numpy()[0])
    np.testing.assert_array_equal(y.numpy()[1:], [-1, 0.5, 1, 1])
    y[1:].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 1, 0, 1])  # inclusive at the bound, as torch
    np.testing.assert_array_equal(mg.tensor([5.0]).clamp(3, 1).numpy(), [1])  # min > max gives max, as torch


def test_clamp_of_integers_by_a_float_bound_computes_in_float32():
    ints = mg.tensor([0, 1, 2])
    clamped = ints.clamp(0.5, 1.5)
    assert clamped.dtype == np.float32
    np.testing.assert_array_equal(clamped.numpy(), [0.5, 1, 1.5])
    assert ints.clamp(min=1).dtype == np.int64


def test_abs_has_a_zero_gradient_at_zero():
    x = mg.tensor([0.0, -3.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, -1])


def test_functions_of_integers_compute_in_float32():
    ints = mg.tensor([1, 4])
    for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid"):
        assert getattr(ints, name)().dtype == np.float32, name
    np.testing.assert_allclose(ints.sqrt().numpy(), [1, 2])
    assert ints.softmax(0).dtype == np.float32


def test_elementwise_ops_refuse_bad_arguments():
    x = mg.randn(2, 3)
    with pytest.raises(ValueError, match="at least one of min and max"):
        x.clamp()
    with pytest.raises(TypeError, match="min must be a number"):
        x.clamp(min="0")
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        x.masked_fill(mg.tensor([1, 0, 1]), 0.0)
    with pytest.raises(ValueError, match="does not broadcast"):
        x.masked_fill(mg.tensor([True, False]), 0.0)
    with pytest.raises(ValueError, match="one-element"):
        x.masked_fill(x > 0, mg.zeros(2))
    with pytest.raises(IndexError, match="out of range"):
        x.softmax(2)


@pytest.mark.parametrize("largest", [True, False])
def test_maximum_and_minimum_match_numpy_share_ties_and_gradcheck(largest, rng, device):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    ta, tb = (mg.tensor(x, requires_grad=True, device=device) for x in (a, b))
    name, reference = ("maximum", np.maximum) if largest else ("minimum", np.minimum)
    np.testing.assert_array_equal(getattr(ta, name)(tb).numpy(), reference(a, b))
    np.testing.assert_array_equal(getattr(mg, name)(ta, tb).numpy(), reference(a, b))
    np.testing.assert_array_equal((ta.max(tb) if largest else ta.min(tb)).numpy(), reference(a, b))
    assert mg.gradcheck(lambda x, y: getattr(x, name)(y), [ta, tb])
    tied = mg.tensor([1.0, 2.0, float("nan")], requires_grad=True)
    result = getattr(tied, name)(mg.tensor([1.0, 0.0, 0.0]))
    assert np.isnan(result.numpy()[2])
    result.sum().backward()
    np.testing.assert_array_equal(tied.grad.numpy(), [0.5, 1.0 if largest else 0.0, 1.0])


def test_named_arithmetic_forms_and_nonfinite_checks(rng):
    a = mg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = mg.tensor(rng.standard_normal((2, 3)))
    np.testing.assert_allclose(a.add(b, alpha=2).numpy(), a.numpy() + 2 * b.numpy())
    np.testing.assert_allclose(mg.sub(a, b, alpha=0.5).numpy(), a.numpy() - 0.5 * b.numpy())
    np.testing.assert_allclose(a.sub(1).numpy(), a.numpy() - 1)
    np.testing.assert_allclose(mg.mul(a, b).numpy(), a.numpy() * b.numpy())
    np.testing.assert_allclose(a.div(b).numpy(), a.numpy() / b.numpy())
    np.testing.assert_allclose(mg.neg(a).numpy(), -a.numpy())
    np.testing.assert_allclose(a.matmul(b.t()).numpy(), a.numpy() @ b.numpy().T, rtol=1e-6)
    a.add(b, alpha=3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones((2, 3)))
    x = mg.tensor([1.0, float("nan"), float("inf"), -float("inf")])
    np.testing.assert_array_equal(x.isnan().numpy(), [False, True, False, False])
    np.testing.assert_array_equal(mg.isinf(x).numpy(), [False, False, True, True])
    np.testing.assert_array_equal(x.isfinite().numpy(), [True, False, False, False])
