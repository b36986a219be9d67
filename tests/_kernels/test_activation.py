import numpy as np
import pytest

from minigrad._kernels import cpu


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_kernels_equal_numpy(dtype, rng):
    x = rng.standard_normal(300_001).astype(dtype)  # large enough for the parallel path
    gy = rng.standard_normal(x.shape).astype(dtype)
    y = cpu.relu_forward(x)
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    np.testing.assert_array_equal(cpu.relu_backward(gy, y), np.where(y > 0, gy, 0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_propagates_nan_as_torch(dtype):
    x = np.array([np.nan, -1.0, 2.0, np.inf, -np.inf], dtype=dtype)
    y = cpu.relu_forward(x)
    np.testing.assert_array_equal(y, [np.nan, 0, 2, np.inf, 0])
    # torch's threshold_backward: the gradient is zeroed where the output is <= 0, passed elsewhere (NaN too)
    np.testing.assert_array_equal(cpu.relu_backward(np.full(5, 3.0, dtype), y), [3, 0, 3, 3, 0])


def test_relu_kernels_refuse_wrong_input():
    with pytest.raises(TypeError, match="float32 or float64, got int64"):
        cpu.relu_forward(np.arange(3))
    with pytest.raises(ValueError, match="gy has shape \\(2,\\), expected \\(3,\\)"):
        cpu.relu_backward(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="gy has dtype float32, but y has float64"):
        cpu.relu_backward(np.ones(3, np.float32), np.ones(3))
    with pytest.raises(TypeError, match="must be an array"):
        cpu.relu_forward([1.0, 2.0])


@pytest.mark.parametrize("dtype, low", [(np.float32, -110.0), (np.float64, -760.0)])
def test_sigmoid_kernel_is_within_two_ulps_down_to_subnormal_outputs(dtype, low):
    # 0.5 (1 + tanh(x / 2)) lost everything below float32's 1e-8: sigmoid(-20) came out 0
    x = np.linspace(low, 40.0, 200_001).astype(dtype)
    y = cpu.sigmoid_forward(x)
    exact = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    ulps = np.abs(y - exact) / np.maximum(exact, np.finfo(dtype).smallest_normal) / np.finfo(dtype).eps
    assert ulps.max() < 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_kernels_at_special_values_and_gradient_from_the_output(dtype, rng):
    y = cpu.sigmoid_forward(np.array([np.nan, -np.inf, np.inf, 0.0, -0.0, -1e4], dtype))
    np.testing.assert_array_equal(y, [np.nan, 0, 1, 0.5, 0.5, 0])
    y, gy = rng.random(1000).astype(dtype), rng.standard_normal(1000).astype(dtype)
    np.testing.assert_allclose(cpu.sigmoid_backward(gy, y), gy * y * (1 - y), rtol=4 * np.finfo(dtype).eps)


# ---- tanh, softplus, logsigmoid: activation.h's stable forms against long-double references ------
EXTREMES = [-np.inf, -1000.0, -88.0, -20.0, -1.0, -0.625, -1e-8, -1e-310, -0.0, 0.0, 1e-45, 1e-8, 0.3, 0.625,
            0.7, 5.0, 20.0, 88.0, 1000.0, np.inf, np.nan]


def _extremes(dtype, rng):
    """The listed values (rounded to dtype: float32 flushes nothing, 1e-45 is its least subnormal)
    and a spread of normal samples."""
    with np.errstate(over="ignore", under="ignore"):
        return np.concatenate([np.array(EXTREMES, dtype), (rng.standard_normal(20_000) * 8).astype(dtype)])


def _assert_within_ulps(actual, exact, dtype, ulps=2):
    """actual equals exact (a long-double array) to ulps units of dtype, subnormals in absolute terms;
    NaN where exact is NaN, infinities and zeros exactly."""
    exact_rounded = exact.astype(dtype)
    special = ~np.isfinite(exact_rounded) | (exact_rounded == 0)
    np.testing.assert_array_equal(actual[special], exact_rounded[special])
    scale = np.maximum(np.abs(exact[~special]), np.finfo(dtype).smallest_normal) * np.finfo(dtype).eps
    assert (np.abs(actual[~special] - exact[~special]) / scale).max() <= ulps


def _long_sigmoid(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


def _long_softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_kernels_against_long_double_at_extreme_inputs(dtype, rng):
    x = _extremes(dtype, rng)
    y = cpu.tanh_forward(x)
    _assert_within_ulps(y, np.tanh(x.astype(np.longdouble)), dtype)
    assert np.signbit(cpu.tanh_forward(np.array([-0.0], dtype)))[0]  # tanh(-0) = -0 (as torch)
    gy = rng.standard_normal(y.size).astype(dtype)
    gx = cpu.tanh_backward(gy, y)  # from the output: 0 at +-1, NaN at NaN
    exact = gy * (1 - y.astype(np.longdouble) ** 2)
    np.testing.assert_array_equal(np.isnan(gx), np.isnan(y))
    # 1 - y^2 cancels near |y| = 1: the rounding of y^2 counts against gy, as in torch's formula
    assert (np.abs(gx - exact) <= 2 * np.finfo(dtype).eps * (np.abs(exact) + np.abs(gy)))[~np.isnan(y)].all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("beta, threshold", [(1.0, 20.0), (2.0, 3.0), (0.5, np.inf)])
def test_softplus_kernels_against_long_double_at_extreme_inputs(dtype, beta, threshold, rng):
    x = _extremes(dtype, rng)
    bx = x.astype(np.longdouble) * dtype(beta)
    above = bx > dtype(threshold)
    with np.errstate(invalid="ignore"):
        exact = np.where(above, x, _long_softplus(bx) / dtype(beta))
    y = cpu.softplus_forward(x, beta, threshold)
    _assert_within_ulps(y, exact, dtype)
    gy = rng.standard_normal(x.size).astype(dtype)
    _assert_within_ulps(cpu.softplus_backward(gy, x, beta, threshold), np.where(above, gy, gy * _long_sigmoid(bx)),
                        dtype, ulps=3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_is_stable_where_exp_overflows(dtype):
    x = np.array([-1000.0, -88.0, 88.0, 1000.0], dtype)
    y = cpu.softplus_forward(x, 1.0, np.inf)  # no threshold: the log term must not overflow
    np.testing.assert_allclose(y, [0, np.exp(-88.0), 88, 1000], rtol=2 * np.finfo(dtype).eps)
    np.testing.assert_allclose(cpu.softplus_backward(np.ones(4, dtype), x, 1.0, np.inf), [0, np.exp(-88.0), 1, 1],
                               rtol=2 * np.finfo(dtype).eps)
    with np.errstate(divide="ignore"):  # beta = 0: torch's log(2) / 0
        assert cpu.softplus_forward(np.array([1.0], dtype), 0.0, 20.0)[0] == np.inf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsigmoid_kernels_against_long_double_at_extreme_inputs(dtype, rng):
    x = _extremes(dtype, rng)
    xl = x.astype(np.longdouble)
    y = cpu.logsigmoid_forward(x)
    _assert_within_ulps(y, -_long_softplus(-xl), dtype)
    np.testing.assert_array_equal(cpu.logsigmoid_forward(np.array([-1000.0, 1000.0, -np.inf], dtype)),
                                  [-1000, 0, -np.inf])
    gy = rng.standard_normal(x.size).astype(dtype)
    _assert_within_ulps(cpu.logsigmoid_backward(gy, x), gy * _long_sigmoid(-xl), dtype, ulps=3)


def test_new_activation_kernels_refuse_mismatched_arrays():
    with pytest.raises(TypeError, match="x must be float32 or float64, got int64"):
        cpu.tanh_forward(np.ones(3, np.int64))
    with pytest.raises(ValueError, match="gy has shape \\(2,\\), expected \\(3,\\)"):
        cpu.logsigmoid_backward(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="gy has dtype float32, but x has float64"):
        cpu.softplus_backward(np.ones(3, np.float32), np.ones(3), 1.0, 20.0)
