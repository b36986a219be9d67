"""nn.init: the distributions' ranges and moments, fans and gains as PyTorch computes them,
seeding, in-place filling without a graph, nn.Linear's default initialisation, and the structured
fills (orthogonal_, trunc_normal_, eye_, dirac_, sparse_)."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn import init


@pytest.mark.parametrize("shape, fan_in, fan_out", [((30, 20), 20, 30), ((16, 8, 3, 3), 72, 144), ((4, 2, 5), 10, 20)])
def test_fans_of_linear_and_conv_weights(shape, fan_in, fan_out):
    assert init._calculate_fan_in_and_fan_out(mg.zeros(*shape)) == (fan_in, fan_out)


def test_gains():
    assert init.calculate_gain("linear") == init.calculate_gain("conv2d") == init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2 / (1 + 0.01 ** 2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    assert init.calculate_gain("leaky_relu", 0) == math.sqrt(2)  # slope 0 is given, not the default 0.01
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match=r"calculate_gain: param \(leaky_relu's negative_slope\) must be a number, got str 'a'"):
        init.calculate_gain("leaky_relu", "a")


# (fill, the bound of a uniform or the std of a normal, "uniform" or "normal") for a (400, 300) weight
FAN_IN, FAN_OUT = 300, 400
CASES = [
    (lambda t: init.uniform_(t, -0.3, 0.7), (-0.3, 0.7), "uniform"),
    (lambda t: init.normal_(t, 2.0, 0.5), (2.0, 0.5), "normal"),
    (lambda t: init.xavier_uniform_(t, gain=2.0), (-2 * math.sqrt(6 / 700), 2 * math.sqrt(6 / 700)), "uniform"),
    (lambda t: init.xavier_normal_(t), (0.0, math.sqrt(2 / 700)), "normal"),
    (lambda t: init.kaiming_uniform_(t), (-math.sqrt(6 / FAN_IN), math.sqrt(6 / FAN_IN)), "uniform"),  # a=0: gain sqrt 2
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), (-1 / math.sqrt(FAN_IN), 1 / math.sqrt(FAN_IN)), "uniform"),
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), (0.0, math.sqrt(2 / FAN_OUT)), "normal"),
]


@pytest.mark.parametrize("fill, parameters, kind", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_distributions_have_the_right_range_and_moments(fill, parameters, kind, dtype):
    t = mg.zeros(FAN_OUT, FAN_IN, dtype=dtype)
    assert fill(t) is t and t.dtype == dtype
    values = t.numpy().astype(np.float64)
    if kind == "uniform":
        low, high = parameters
        assert low <= values.min() and values.max() <= high
        assert values.min() < low + 0.01 * (high - low) and values.max() > high - 0.01 * (high - low)
        np.testing.assert_allclose(values.std(), (high - low) / math.sqrt(12), rtol=0.02)
    else:
        mean, std = parameters
        np.testing.assert_allclose(values.mean(), mean, atol=0.01 * std + 1e-12)
        np.testing.assert_allclose(values.std(), std, rtol=0.02)


def test_constants_seeding_in_place_and_no_graph():
    w = nn.Parameter(mg.zeros(3, 4))
    array = w._data
    assert init.constant_(w, 0.5) is w and w._data is array and (w.detach().numpy() == 0.5).all()
    assert init.ones_(w).detach().numpy().sum() == 12 and init.zeros_(w).detach().numpy().sum() == 0
    (w * 2).sum().backward()  # still a leaf: filling recorded nothing
    np.testing.assert_array_equal(w.grad.numpy(), 2)
    mg.manual_seed(7)
    first = init.normal_(mg.zeros(5)).numpy()
    mg.manual_seed(7)
    np.testing.assert_array_equal(init.normal_(mg.zeros(5)).numpy(), first)
    generated = init.uniform_(mg.zeros(5), generator=np.random.default_rng(3)).numpy()
    np.testing.assert_array_equal(generated, np.random.default_rng(3).uniform(0, 1, 5).astype(np.float32))


def test_linear_initialises_as_torch_and_reset_parameters_redraws():
    mg.manual_seed(0)
    layer = nn.Linear(50, 20)
    bound = 1 / math.sqrt(50)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.detach().numpy()).max() <= bound and np.abs(p.detach().numpy()).max() > 0.9 * bound
    # the draws: weight then bias from the seeded generator, U(-1/sqrt(in), 1/sqrt(in))
    rng = np.random.default_rng(0)
    np.testing.assert_allclose(layer.weight.detach().numpy(), rng.uniform(-bound, bound, (20, 50)).astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose(layer.bias.detach().numpy(), rng.uniform(-bound, bound, 20).astype(np.float32), rtol=1e-6)
    before = layer.weight.detach().numpy().copy()
    layer.reset_parameters()
    assert not np.array_equal(layer.weight.detach().numpy(), before)


def test_initialising_a_weight_that_a_graph_saved_makes_backward_refuse():
    layer = nn.Linear(3, 2)
    x = mg.randn(4, 3, requires_grad=True)
    loss = layer(x).sum()  # its backward for x needs the weight as it was
    version = layer.weight._version
    init.zeros_(layer.weight)
    assert layer.weight._version == version + 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


@pytest.mark.parametrize("call, error, match", [
    (lambda: init.xavier_uniform_(mg.zeros(5)), ValueError, "fewer than 2 dimensions \\(got shape \\(5,\\)\\)"),
    (lambda: init.kaiming_normal_(mg.zeros(2, 2), mode="fan_avg"), ValueError, "mode must be 'fan_in' or 'fan_out'"),
    (lambda: init.uniform_(mg.zeros(2), 1.0, 0.0), ValueError, "a <= b"),
    (lambda: init.normal_(mg.zeros(2), std=-1.0), ValueError, "std >= 0"),
    (lambda: init.zeros_(np.zeros(2)), TypeError, "nn.init fills a Tensor, got ndarray"),
    (lambda: init.normal_(mg.zeros(2), generator=3), TypeError, "generator must be a numpy.random.Generator"),
    (lambda: init.orthogonal_(mg.zeros(3)), ValueError, "Only tensors with 2 or more dimensions are supported"),
    (lambda: init.eye_(mg.zeros(2, 2, 2)), ValueError, "Only tensors with 2 dimensions are supported"),
    (lambda: init.dirac_(mg.zeros(3, 3)), ValueError, "Only tensors with 3, 4, or 5 dimensions are supported"),
    (lambda: init.dirac_(mg.zeros(3, 3, 3), groups=2), ValueError, "dim 0 must be divisible by groups"),
    (lambda: init.sparse_(mg.zeros(2, 2, 2), 0.5), ValueError, "Only tensors with 2 dimensions are supported"),
    (lambda: init.sparse_(mg.zeros(2, 2), 1.5), ValueError, "sparsity"),
    (lambda: init.trunc_normal_(mg.zeros(2), a=1.0, b=-1.0), ValueError, "a < b"),
])
def test_bad_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("shape, gain", [((6, 6), 1.0), ((3, 8), 2.0), ((8, 3), 0.5), ((4, 2, 3, 3), 1.0)])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape, gain, device):
    w = init.orthogonal_(mg.empty(*shape, dtype=mg.float64, device=device), gain=gain).numpy().reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w  # the fewer of rows and columns are orthonormal
    np.testing.assert_allclose(small / gain ** 2, np.eye(len(small)), atol=1e-12)
    assert init.orthogonal_(mg.empty(0, 3)).shape == (0, 3)


def test_orthogonal_is_uniform_over_signs():
    """With R's diagonal signs folded in, Q's entries are symmetric about 0 (plain QR biases R's diagonal positive)."""
    first = np.array([init.orthogonal_(mg.empty(3, 3, dtype=mg.float64)).numpy()[0, 0] for _ in range(400)])
    assert 0.35 < (first > 0).mean() < 0.65


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 0.2, 0.0, 0.6), (0.0, 1.0, 2.0, 3.0)])
def test_trunc_normal_stays_in_bounds_with_the_truncated_moments(mean, std, a, b):
    values = init.trunc_normal_(mg.empty(40000, dtype=mg.float64), mean, std, a, b).numpy()
    assert values.min() >= a and values.max() <= b
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    expected_mean = mean + std * (pdf(alpha) - pdf(beta)) / (cdf(beta) - cdf(alpha))
    assert abs(values.mean() - expected_mean) < 4 * std / math.sqrt(len(values))


def test_trunc_normal_far_from_its_bounds_warns_as_torch():
    with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\]"):
        init.trunc_normal_(mg.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


def test_eye_and_dirac_give_identity_maps(rng, device):
    np.testing.assert_array_equal(init.eye_(mg.empty(2, 3, device=device)).numpy(), np.eye(2, 3))
    import minigrad.functional as F
    x = mg.tensor(rng.standard_normal((2, 3, 5, 4)), device=device)
    weight = init.dirac_(mg.empty(3, 3, 3, 3, dtype=mg.float64, device=device))
    np.testing.assert_array_equal(F.conv2d(x, weight, padding=1).numpy(), x.numpy())  # conv with dirac = identity
    line = mg.tensor(rng.standard_normal((1, 4, 6)), device=device)
    grouped = init.dirac_(mg.empty(4, 2, 3, dtype=mg.float64, device=device), groups=2)  # 2 groups of 2 channels
    np.testing.assert_array_equal(F.conv1d(line, grouped, padding=1, groups=2).numpy(), line.numpy())
    wider = init.dirac_(mg.empty(5, 3, 1, 1, dtype=mg.float64)).numpy()[:, :, 0, 0]  # more outputs than inputs
    np.testing.assert_array_equal(wider, np.eye(5, 3))


def test_sparse_zeroes_the_same_count_in_every_column():
    w = init.sparse_(mg.empty(20, 7, dtype=mg.float64), sparsity=0.12, std=0.5).numpy()
    np.testing.assert_array_equal((w == 0).sum(axis=0), [math.ceil(0.12 * 20)] * 7)
    assert 0.3 < w[w != 0].std() < 0.7
