"""leaky_relu, gelu (exact and tanh), sigmoid, tanh and softmax(dim): float64 references,
gradcheck, float32, NaN propagation and bad arguments; the activation modules."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn

ERF = np.vectorize(math.erf)


def reference_gelu(x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + ERF(x / math.sqrt(2)))


CASES = [
    ("leaky_relu", lambda t: F.leaky_relu(t, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    ("leaky_relu default", F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    ("gelu", F.gelu, lambda x: reference_gelu(x, "none")),
    ("gelu tanh", lambda t: F.gelu(t, approximate="tanh"), lambda x: reference_gelu(x, "tanh")),
    ("sigmoid", F.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    ("tanh", F.tanh, np.tanh),
]


@pytest.mark.parametrize("name, fn, reference", CASES, ids=[c[0] for c in CASES])
def test_matches_reference_gradchecks_and_keeps_float32(name, fn, reference, rng, device):
    x = rng.standard_normal((5, 7)) * 3
    x[0, :3] = [1e-3, -1e-3, 8.5]  # near the kink, and where GELU's tails matter
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_allclose(fn(t).numpy(), reference(x), rtol=1e-12, atol=1e-15)
    assert mg.gradcheck(fn, [t])
    y32 = fn(mg.tensor(x, dtype="float32", device=device))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), reference(x.astype(np.float32).astype(np.float64)), rtol=2e-6, atol=1e-6)


# LeakyReLU's gradient at NaN is negative_slope * gy, as PyTorch's (NaN > 0 is false)
@pytest.mark.parametrize("fn, nan_gradient", [(lambda t: F.leaky_relu(t, 0.1), False), (F.gelu, True),
                                              (lambda t: F.gelu(t, "tanh"), True), (F.sigmoid, True), (F.tanh, True)])
def test_nan_propagates(fn, nan_gradient, device):
    t = mg.tensor([np.nan, 1.0, -1.0], dtype="float64", requires_grad=True, device=device)
    y = fn(t)
    y.backward(mg.ones(3, dtype="float64", device=device))
    assert np.isnan(y.numpy()[0]) and np.isfinite(y.numpy()[1:]).all()
    assert np.isnan(t.grad.numpy()[0]) == nan_gradient and np.isfinite(t.grad.numpy()[1:]).all()


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_is_finite_for_huge_inputs(approximate):
    x = mg.tensor([-1e200, -40.0, 40.0, 1e200], dtype="float64", requires_grad=True)
    y = F.gelu(x, approximate)
    y.sum().backward()
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0, 40.0, 1e200])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_take_dim(dim, rng, device):
    x = rng.standard_normal((3, 4, 5))
    t = mg.tensor(x, requires_grad=True, device=device)
    shifted = x - x.max(axis=dim, keepdims=True)
    expected = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    np.testing.assert_allclose(F.log_softmax(t, dim=dim).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(t, dim=dim).numpy(), np.exp(expected), rtol=1e-12)
    np.testing.assert_allclose(nn.LogSoftmax(dim=dim)(t).numpy(), expected, rtol=1e-12)
    assert mg.gradcheck(lambda a: nn.Softmax(dim=dim)(a), [t])


def test_bad_arguments_are_clear_errors():
    x = mg.randn(2, 3)
    with pytest.raises(ValueError, match="gelu: approximate must be one of 'none', 'tanh', got 'fast'"):
        F.gelu(x, "fast")
    with pytest.raises(ValueError, match="GELU: approximate must be one of 'none', 'tanh', got 'erf'"):
        nn.GELU("erf")
    with pytest.raises(TypeError, match="negative_slope must be a number"):
        F.leaky_relu(x, "0.1")
    with pytest.raises(IndexError, match="dim 2 is out of range for a tensor with 2 dimensions"):
        F.softmax(x, dim=2)
    with pytest.raises(TypeError, match="dim must be an int, got NoneType"):
        F.log_softmax(x, dim=None)


def test_modules_compute_their_function_and_print_like_torch(rng):
    x = mg.tensor(rng.standard_normal((4, 6)))
    modules = [(nn.LeakyReLU(0.3), lambda t: F.leaky_relu(t, 0.3), "LeakyReLU(negative_slope=0.3)"),
               (nn.GELU(approximate="tanh"), lambda t: F.gelu(t, "tanh"), "GELU(approximate='tanh')"),
               (nn.GELU(), F.gelu, "GELU(approximate='none')"),
               (nn.Sigmoid(), F.sigmoid, "Sigmoid()"), (nn.Tanh(), F.tanh, "Tanh()"),
               (nn.Softmax(dim=1), lambda t: F.softmax(t, 1), "Softmax(dim=1)"),
               (nn.LogSoftmax(dim=0), lambda t: F.log_softmax(t, 0), "LogSoftmax(dim=0)"),
               (nn.Identity(54, unused="ignored"), lambda t: t, "Identity()")]
    for module, fn, text in modules:
        np.testing.assert_array_equal(module(x).numpy(), fn(x).numpy())
        assert repr(module) == text
    assert nn.Identity()(x) is x
    # dim=None: PyTorch's implicit choice (1 for 2-d input, 0 for 1-d and 3-d)
    np.testing.assert_array_equal(nn.Softmax()(x).numpy(), F.softmax(x, 1).numpy())
    y3 = mg.tensor(rng.standard_normal((2, 3, 4)))
    np.testing.assert_array_equal(nn.Softmax()(y3).numpy(), F.softmax(y3, 0).numpy())
