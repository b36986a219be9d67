"""The activations of ops/activation.py (relu, leaky_relu, gelu exact and tanh, sigmoid, tanh, silu,
softplus, elu, logsigmoid, mish, hardswish, softmax(dim), softmin): float64 references written
here, gradcheck, float32, torch's values at the kinks, at +-inf and at NaN, in place, bad
arguments, and the modules with torch's repr."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


def test_relu_matches_numpy_gradcheck_and_float32(rng, device):
    x = rng.standard_normal((5, 7))
    x[np.abs(x) < 1e-3] = 0.5  # keep central differences away from the kink
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(F.relu(t).detach().numpy(), np.maximum(x, 0))
    np.testing.assert_array_equal(t.relu().detach().numpy(), np.maximum(x, 0))
    assert mg.gradcheck(F.relu, [t])
    y32 = F.relu(mg.tensor(x, dtype="float32", device=device))
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(y32.numpy(), np.maximum(x.astype(np.float32), 0))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
def test_relu_of_integers_clips_at_zero_without_gradient(dtype, device):
    """As torch: relu (F.relu, Tensor.relu, nn.ReLU, inplace too) takes integer tensors and keeps
    their dtype; bool is refused."""
    values = [3, 0, -2, 5] if dtype != "uint8" else [3, 0, 2, 5]
    expected = np.maximum(np.array(values, dtype=dtype), 0)
    for relu in (F.relu, lambda t: t.relu(), nn.ReLU(), nn.ReLU(inplace=True)):
        x = mg.tensor(np.array(values, dtype=dtype), device=device)
        y = relu(x)
        assert y.dtype == np.dtype(dtype) and not y.requires_grad
        np.testing.assert_array_equal(y.numpy(), expected)
    assert F.relu(mg.tensor(-3, device=device)).item() == 0
    with pytest.raises(TypeError, match="relu: bool inputs are not supported"):
        F.relu(mg.tensor([True, False], device=device))


def test_relu_takes_non_contiguous_input_and_gradients():
    x = mg.randn(4, 6, requires_grad=True)
    y = F.relu(x.T)
    (y * mg.randn(6, 4)).sum().backward()
    assert x.grad.shape == (4, 6)


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
    np.testing.assert_allclose(fn(t).detach().numpy(), reference(x), rtol=1e-12, atol=1e-15)
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
    assert np.isnan(y.detach().numpy()[0]) and np.isfinite(y.detach().numpy()[1:]).all()
    assert np.isnan(t.grad.numpy()[0]) == nan_gradient and np.isfinite(t.grad.numpy()[1:]).all()


@pytest.mark.parametrize("approximate, huge_gradient", [("none", (0.0, 1.0)), ("tanh", (np.nan, np.nan))])
def test_gelu_is_finite_for_huge_inputs(approximate, huge_gradient):
    x = mg.tensor([-1e200, -40.0, 40.0, 1e200], dtype="float64", requires_grad=True)
    y = F.gelu(x, approximate)
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, 0.0, 40.0, 1e200])
    # torch's tanh formula: (1 - tanh^2) * x^2 is 0 * inf where x^2 overflows
    np.testing.assert_array_equal(x.grad.numpy(), [huge_gradient[0], 0.0, 1.0, huge_gradient[1]])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_take_dim(dim, rng, device):
    x = rng.standard_normal((3, 4, 5))
    t = mg.tensor(x, requires_grad=True, device=device)
    shifted = x - x.max(axis=dim, keepdims=True)
    expected = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    np.testing.assert_allclose(F.log_softmax(t, dim=dim).detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(t, dim=dim).detach().numpy(), np.exp(expected), rtol=1e-12)
    np.testing.assert_allclose(nn.LogSoftmax(dim=dim)(t).detach().numpy(), expected, rtol=1e-12)
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


def ref_sigmoid(x):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def ref_softplus(x, beta=1.0, threshold=20.0):
    return np.where(beta * x > threshold, x, np.logaddexp(0, beta * x) / beta)


def ref_hardswish(x):
    return np.where(x <= -3, 0.0, np.where(x >= 3, x, x * (x + 3) / 6))


# (name, minigrad function, float64 value reference, float64 derivative reference)
CASES_WITH_DERIVATIVES = [
    ("silu", F.silu, lambda x: x * ref_sigmoid(x),
     lambda x: ref_sigmoid(x) * (1 + x * (1 - ref_sigmoid(x)))),
    ("softplus", F.softplus, ref_softplus, lambda x: np.where(x > 20, 1.0, ref_sigmoid(x))),
    ("softplus beta=2 threshold=5", lambda t: F.softplus(t, beta=2, threshold=5), lambda x: ref_softplus(x, 2, 5),
     lambda x: np.where(2 * x > 5, 1.0, ref_sigmoid(2 * x))),
    ("softplus beta=-0.5", lambda t: F.softplus(t, -0.5), lambda x: ref_softplus(x, -0.5),
     lambda x: np.where(-0.5 * x > 20, 1.0, ref_sigmoid(-0.5 * x))),
    ("elu", F.elu, lambda x: np.where(x > 0, x, np.expm1(x)), lambda x: np.where(x > 0, 1.0, np.exp(x))),
    ("elu alpha=0.3", lambda t: F.elu(t, alpha=0.3), lambda x: np.where(x > 0, x, 0.3 * np.expm1(x)),
     lambda x: np.where(x > 0, 1.0, 0.3 * np.exp(x))),
    ("logsigmoid", F.logsigmoid, lambda x: -np.logaddexp(0, -x), lambda x: ref_sigmoid(-x)),
    ("mish", F.mish, lambda x: x * np.tanh(np.logaddexp(0, x)),
     lambda x: np.tanh(np.logaddexp(0, x)) + x * ref_sigmoid(x) / np.cosh(np.logaddexp(0, x)) ** 2),
    ("hardswish", F.hardswish, ref_hardswish, lambda x: np.where(x <= -3, 0.0, np.where(x >= 3, 1.0, x / 3 + 0.5))),
]


IDS = [c[0] for c in CASES_WITH_DERIVATIVES]


def sample(rng):
    x = rng.standard_normal(60) * 4
    x[:8] = [25.0, -25.0, 19.5, 2.4, -2.4, 8.0, -8.0, 0.3]  # both sides of softplus' threshold, hardswish's middle
    return x.reshape(6, 10)


@pytest.mark.parametrize("name, fn, reference, derivative", CASES_WITH_DERIVATIVES, ids=IDS)
def test_matches_reference_and_gradchecks(name, fn, reference, derivative, rng, device):
    x = sample(rng)
    t = mg.tensor(x, requires_grad=True, device=device)
    y = fn(t)
    assert y.dtype == np.float64 and y.shape == (6, 10)
    np.testing.assert_allclose(y.detach().numpy(), reference(x), rtol=1e-12, atol=1e-300)
    gy = rng.uniform(0.5, 1.5, x.shape)
    y.backward(mg.tensor(gy, device=device))
    np.testing.assert_allclose(t.grad.numpy(), gy * derivative(x), rtol=1e-11, atol=1e-300)
    assert mg.gradcheck(fn, [mg.tensor(x[:, :5], requires_grad=True, device=device)])


@pytest.mark.parametrize("name, fn, reference, derivative", CASES_WITH_DERIVATIVES, ids=IDS)
def test_float32_stays_float32_within_a_few_ulp(name, fn, reference, derivative, rng, device):
    x = sample(rng).astype(np.float32)
    x[0, :4] = [-20.0, -50.0, -80.0, -9.5]  # tiny outputs: a sigmoid computed as 1 - (near 1) would lose them
    t = mg.tensor(x, requires_grad=True, device=device)
    y = fn(t)
    y.sum().backward()
    assert y.dtype == np.float32 and t.grad.dtype == np.float32
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(y.detach().numpy(), reference(x64), rtol=2e-6, atol=1e-37)
    # derivatives: relative for the tiny ones, absolute 1e-7 elsewhere (silu' and mish' cross 0 near x = -2.4,
    # where float32's 1 + x (1 - s) cancels)
    tiny = (np.abs(derivative(x64)) > 1e-37) & (np.abs(x64) > 9)  # float32 normal numbers, but < 1e-7
    np.testing.assert_allclose(t.grad.numpy()[tiny], derivative(x64)[tiny], rtol=2e-6, atol=0)
    np.testing.assert_allclose(t.grad.numpy(), derivative(x64), rtol=2e-6, atol=1e-7)


def test_large_inputs_are_finite_and_exact(device):
    """Values far beyond where exp overflows: softplus and logsigmoid stay exact, nothing is NaN."""
    x = mg.tensor([-1000.0, -100.0, 100.0, 1000.0], dtype="float64", requires_grad=True, device=device)
    cases = [(F.softplus, [0.0, np.exp(-100), 100.0, 1000.0], [0.0, np.exp(-100), 1.0, 1.0]),
             (lambda t: F.softplus(t, beta=1, threshold=5000), [0.0, np.exp(-100), 100.0, 1000.0],
              [0.0, np.exp(-100), 1.0, 1.0]),  # below the threshold: log1p(exp(1000)) must not overflow
             (F.logsigmoid, [-1000.0, -100.0, -np.exp(-100), 0.0], [1.0, 1.0, np.exp(-100), 0.0]),
             (F.silu, [0.0, -100 * np.exp(-100), 100.0, 1000.0], [0.0, -99 * np.exp(-100), 1.0, 1.0]),
             (F.mish, [0.0, -100 * np.exp(-100), 100.0, 1000.0], [0.0, -99 * np.exp(-100), 1.0, 1.0]),
             (F.elu, [-1.0, np.expm1(-100), 100.0, 1000.0], [0.0, np.exp(-100), 1.0, 1.0]),
             (F.hardswish, [0.0, 0.0, 100.0, 1000.0], [0.0, 0.0, 1.0, 1.0])]
    for fn, value, grad in cases:
        x.grad = None
        y = fn(x)
        y.sum().backward()
        np.testing.assert_allclose(y.detach().numpy(), value, rtol=1e-12, atol=0)
        np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-12, atol=0)


def test_torchs_gradient_at_the_kinks(device):
    x = mg.tensor([-3.0, 3.0, 0.0], dtype="float64", requires_grad=True, device=device)
    F.hardswish(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.5])  # 0 at -3 and 1 at 3, as torch
    for alpha in (1.0, 0.5, -2.0):
        x.grad = None
        F.elu(x, alpha).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [alpha * np.exp(-3.0), 1.0, alpha])  # alpha at 0
    x.grad = None
    F.softplus(x, beta=2.0, threshold=6.0).sum().backward()  # 2 * 3 > 6 is false: still the curve at 3
    np.testing.assert_allclose(x.grad.numpy(), ref_sigmoid(np.array([-6.0, 6.0, 0.0])), rtol=1e-15)


# torch's values at -inf, +inf and NaN (and its gradients; the NaN gradients of elu and hardswish are
# those of torch's vectorised CPU loop)
NONFINITE = [
    (F.silu, [np.nan, np.inf, np.nan], [np.nan, np.nan, np.nan]),
    (F.softplus, [0.0, np.inf, np.nan], [0.0, 1.0, np.nan]),
    (F.elu, [-1.0, np.inf, np.nan], [0.0, 1.0, np.nan]),
    (F.logsigmoid, [-np.inf, 0.0, np.nan], [1.0, 0.0, np.nan]),
    (F.mish, [np.nan, np.inf, np.nan], [np.nan, np.nan, np.nan]),
    (F.hardswish, [np.nan, np.inf, np.nan], [0.0, 1.0, np.nan]),
]


@pytest.mark.parametrize("fn, value, grad", NONFINITE, ids=[c[0].__name__ for c in NONFINITE])
def test_infinities_and_nan_as_torch(fn, value, grad, device):
    x = mg.tensor([-np.inf, np.inf, np.nan, 1.0], dtype="float64", requires_grad=True, device=device)
    with np.errstate(all="raise"):  # no NumPy warning escapes either
        y = fn(x)
        y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy()[:3], value)
    np.testing.assert_array_equal(x.grad.numpy()[:3], grad)
    assert np.isfinite(y.detach().numpy()[3]) and np.isfinite(x.grad.numpy()[3])


@pytest.mark.parametrize("fn", [F.silu, F.elu, F.mish, F.hardswish, lambda t, inplace: F.elu(t, 0.5, inplace)])
def test_inplace_overwrites_the_input_and_keeps_gradients(fn, rng, device):
    x = rng.standard_normal(7) * 3
    leaf = mg.tensor(x, requires_grad=True, device=device)
    expected = fn(leaf, inplace=False)
    expected.sum().backward()
    expected_grad = leaf.grad.numpy()
    leaf.grad = None
    y = leaf * 1
    out = fn(y, inplace=True)
    assert out is y
    np.testing.assert_array_equal(y.detach().numpy(), expected.detach().numpy())
    out.sum().backward()  # the op read a copy: the overwrite does not spoil its saved input
    np.testing.assert_array_equal(leaf.grad.numpy(), expected_grad)
    plain = mg.tensor(x, device=device)
    assert fn(plain, inplace=True) is plain
    np.testing.assert_array_equal(plain.numpy(), expected.detach().numpy())
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad is being used in an in-place"):
        fn(leaf, inplace=True)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmin_is_softmax_of_the_negation(dim, rng, device):
    x = rng.standard_normal((3, 4, 5)) * 5
    t = mg.tensor(x, requires_grad=True, device=device)
    shifted = -x - (-x).max(axis=dim, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(axis=dim, keepdims=True)
    np.testing.assert_allclose(F.softmin(t, dim).detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(nn.Softmin(dim=dim)(t).detach().numpy(), expected, rtol=1e-12)
    assert mg.gradcheck(lambda a: F.softmin(a, dim) * mg.tensor(np.arange(60.0).reshape(3, 4, 5), device=device), [t])
    y32 = F.softmin(mg.tensor(x, dtype="float32", device=device), dim)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(F.softmin(mg.tensor(x, dtype="float32", device=device), dim, dtype=mg.float64).numpy(),
                               np.exp(-x.astype(np.float32).astype(np.float64)) / np.exp(-x.astype(np.float32).astype(
                                   np.float64)).sum(axis=dim, keepdims=True), rtol=1e-12)


def test_softmin_without_dim_warns_and_chooses_as_torch(rng):
    x = mg.tensor(rng.standard_normal((2, 3)))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin has been deprecated"):
        y = F.softmin(x)
    np.testing.assert_array_equal(y.numpy(), F.softmin(x, 1).numpy())
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        np.testing.assert_array_equal(F.softmin(x[0]).numpy(), F.softmin(x[0], 0).numpy())
    np.testing.assert_array_equal(nn.Softmin()(x).numpy(), F.softmin(x, 1).numpy())


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.silu(mg.tensor([1, 2])), TypeError, "silu needs a float32 or float64 tensor, got int64"),
    (lambda: F.softplus(mg.tensor([True])), TypeError, "softplus needs a float32 or float64 tensor, got bool"),
    (lambda: F.elu(np.ones(3)), TypeError, "elu takes a Tensor, got ndarray"),
    (lambda: F.logsigmoid([1.0]), TypeError, "logsigmoid takes a Tensor, got list"),
    (lambda: F.mish(mg.tensor([1, 2])), TypeError, "mish needs a float32 or float64 tensor"),
    (lambda: F.hardswish(mg.tensor([1, 2])), TypeError, "hardswish needs a float32 or float64 tensor"),
    (lambda: F.softplus(mg.ones(2), beta="2"), TypeError, "softplus: beta must be a number, got str '2'"),
    (lambda: F.softplus(mg.ones(2), threshold=None), TypeError, "softplus: threshold must be a number, got None"),
    (lambda: F.elu(mg.ones(2), alpha=True), TypeError, "elu: alpha must be a number, got bool True"),
    (lambda: F.softmin(mg.ones(2, 3), dim=2), IndexError, "dim 2 is out of range for a tensor with 2 dimensions"),
    (lambda: F.softmin(np.ones(3), 0), TypeError, "softmin takes a Tensor, got ndarray"),
    (lambda: nn.Softplus(beta=[1]), TypeError, "Softplus: beta must be a number"),
    (lambda: nn.ELU(alpha="1"), TypeError, "ELU: alpha must be a number"),
])
def test_bad_silu_softplus_elu_mish_hardswish_softmin_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_silu_softplus_elu_mish_hardswish_modules_compute_their_function_and_print_like_torch(rng, device):
    x = mg.tensor(rng.standard_normal((4, 6)), device=device)
    modules = [(nn.SiLU(), F.silu, "SiLU()"), (nn.SiLU(inplace=True), F.silu, "SiLU(inplace=True)"),
               (nn.Softplus(), F.softplus, "Softplus(beta=1.0, threshold=20.0)"),
               (nn.Softplus(2, 10), lambda t: F.softplus(t, 2, 10), "Softplus(beta=2, threshold=10)"),
               (nn.ELU(), F.elu, "ELU(alpha=1.0)"),
               (nn.ELU(0.5, True), lambda t: F.elu(t, 0.5), "ELU(alpha=0.5, inplace=True)"),
               (nn.LogSigmoid(), F.logsigmoid, "LogSigmoid()"),
               (nn.Mish(), F.mish, "Mish()"), (nn.Mish(inplace=True), F.mish, "Mish(inplace=True)"),
               (nn.Hardswish(), F.hardswish, "Hardswish()"), (nn.Hardswish(True), F.hardswish, "Hardswish()"),
               (nn.Softmin(dim=1), lambda t: F.softmin(t, 1), "Softmin(dim=1)"),
               (nn.Softmin(), lambda t: F.softmin(t, 1), "Softmin(dim=None)")]
    for module, fn, text in modules:
        expected = fn(x).numpy()
        np.testing.assert_array_equal(module(x.clone()).numpy(), expected)
        assert repr(module) == text
    inplace = x.clone()
    assert nn.Mish(inplace=True)(inplace) is inplace and nn.ELU(inplace=True)(inplace) is inplace


@pytest.mark.gpu
@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-12), ("float32", 1e-6)])
def test_gelu_and_leaky_relu_match(approximate, dtype, tol, rng):
    x = (rng.standard_normal((300, 301)) * 4).astype(dtype)
    results = []
    for device in ("cpu", "cuda"):
        tx = mg.tensor(x, requires_grad=True, device=device)
        y = F.gelu(tx, approximate) + F.leaky_relu(tx, 0.1)
        y.backward(mg.tensor(np.sin(np.arange(x.size)).reshape(x.shape), dtype=dtype, device=device))
        results.append([y.detach().numpy(), tx.grad.numpy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hardtanh_at_and_beyond_its_bounds_as_torch(dtype, device):
    # torch's hardtanh_backward: 0 where x <= min_val or x >= max_val (the bounds included), gy
    # elsewhere, NaN included; the forward keeps NaN and rounds the bounds to x's dtype
    x = mg.tensor([-1.0, 1.0, 0.5, -2.0, 3.0, float("nan"), 0.1], dtype=dtype, requires_grad=True, device=device)
    y = F.hardtanh(x, -1.0, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), np.array([-1, 1, 0.5, -1, 1, np.nan, 0.1], dtype))
    y.backward(mg.full((7,), 2.0, dtype=dtype, device=device))
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 2, 0, 0, 2, 2])
    relu6 = F.hardtanh(mg.tensor([-3.0, 2.0, 7.0], dtype=dtype, device=device), 0.0, 6.0)
    np.testing.assert_array_equal(relu6.numpy(), [0, 2, 6])


def test_hardtanh_and_softsign_take_integers_as_torch():
    x = mg.tensor([-2, 0, 3])
    y = F.hardtanh(x, -1.5, 2.5)  # torch: the bounds truncated, the dtype kept
    assert y.dtype == mg.int64 and y.tolist() == [-1, 0, 2]
    s = F.softsign(x)  # torch's true division: float32
    assert s.dtype == mg.float32
    np.testing.assert_allclose(s.numpy(), [-0.6666667, 0.0, 0.75], rtol=1e-6)
    with pytest.raises(TypeError, match="bool"):
        F.hardtanh(mg.tensor([True]))
    with pytest.raises(TypeError, match="bool"):
        F.softsign(mg.tensor([True]))
