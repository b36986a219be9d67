"""The GELU kernels against float64 references (math.erf, numpy tanh), and their argument checks."""
import math

import numpy as np
import pytest

from minigrad._kernels import cpu

ERF = np.vectorize(math.erf)
CUBIC, SQRT_2_OVER_PI = 0.044715, math.sqrt(2 / math.pi)


def reference(x, tanh_approximation):
    if tanh_approximation:
        t = np.tanh(SQRT_2_OVER_PI * (x + CUBIC * x ** 3))
        return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * CUBIC * x * x)
    cdf = 0.5 * (1 + ERF(x / math.sqrt(2)))
    return x * cdf, cdf + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


@pytest.mark.parametrize("tanh_approximation", [False, True])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 1e-6)])
@pytest.mark.parametrize("shape", [(7,), (300, 301)])  # serial and parallel
def test_forward_and_backward_equal_the_reference(tanh_approximation, dtype, tol, shape, rng):
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    y_ref, slope = reference(x.astype(np.float64), tanh_approximation)
    y = cpu.gelu_forward(x, tanh_approximation)
    gx = cpu.gelu_backward(gy, x, tanh_approximation)
    assert y.dtype == gx.dtype == dtype and y.shape == gx.shape == shape
    np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(gx, gy * slope, rtol=tol, atol=tol)


@pytest.mark.parametrize("tanh_approximation", [False, True])
def test_float32_keeps_relative_precision_in_both_tails(tanh_approximation):
    """float32 runs in float (gelu.h's vectorizable erf and exp): 1 + erf(x / sqrt 2) or 1 + tanh(u) in
    float would cancel to 0 (or to a few ulps of 1) on the negative side, and 1 - s on the positive
    side of the tanh slope; each tail is computed from its own small term instead."""
    x = np.concatenate([np.linspace(-9, -1, 801), np.linspace(1, 9, 801)]).astype(np.float32)
    v = x.astype(np.float64)
    if tanh_approximation:  # 0.5 (1 + tanh u) = sigmoid(2u), 0.5 (1 - tanh^2 u) = 2 sigmoid(2u) sigmoid(-2u)
        w = 2 * SQRT_2_OVER_PI * (v + CUBIC * v ** 3)
        half, complement = 1 / (1 + np.exp(-w)), 1 / (1 + np.exp(w))
        y_ref, slope = v * half, half + 2 * v * half * complement * SQRT_2_OVER_PI * (1 + 3 * CUBIC * v * v)
    else:  # Phi(v) = erfc(-v / sqrt 2) / 2, without 1 + erf's cancellation
        cdf = 0.5 * np.vectorize(math.erfc)(-v / math.sqrt(2))
        y_ref, slope = v * cdf, cdf + v * np.exp(-0.5 * v * v) / math.sqrt(2 * math.pi)
    # exp's argument (up to 67 here) rounds in float: relative error up to 67 * 2^-24 = 4e-6
    np.testing.assert_allclose(cpu.gelu_forward(x, tanh_approximation), y_ref, rtol=1e-5, atol=0)
    grad = cpu.gelu_backward(np.ones_like(x), x, tanh_approximation)
    far = np.abs(x) > 2  # the slope crosses 0 near -0.75: relative precision only away from it
    np.testing.assert_allclose(grad[far], slope[far], rtol=1e-5, atol=0)


def test_strided_input_gives_the_contiguous_result(rng):
    x = rng.standard_normal((6, 8)).T[::-1]
    gy = rng.standard_normal((16, 6))[::2]
    np.testing.assert_array_equal(cpu.gelu_forward(x, False), cpu.gelu_forward(x.copy(), False))
    np.testing.assert_array_equal(cpu.gelu_backward(gy, x, True), cpu.gelu_backward(gy.copy(), x.copy(), True))


def test_bad_arguments_raise_before_any_loop():
    with pytest.raises(TypeError, match="x must be float32 or float64, got int64"):
        cpu.gelu_forward(np.ones(3, dtype=np.int64), False)
    with pytest.raises(ValueError, match="gy has shape \\(2,\\), expected \\(3,\\)"):
        cpu.gelu_backward(np.ones(2), np.ones(3), False)
    with pytest.raises(TypeError, match="gy has dtype float32, but x has float64"):
        cpu.gelu_backward(np.ones(3, np.float32), np.ones(3), False)


def test_erf_kernel_equals_libm_on_strided_input_and_refuses_non_floats(rng):
    x = (rng.standard_normal((6, 8)) * 3).T[::-1]
    x[0, :3] = [np.nan, np.inf, -np.inf]
    expected = np.array([math.erf(v) for v in x.ravel()]).reshape(x.shape)
    np.testing.assert_array_equal(cpu.erf(x), expected)
    np.testing.assert_allclose(cpu.erf(x.astype(np.float32)), expected, rtol=1e-6, atol=1e-7)
    with pytest.raises(TypeError, match="x must be float32 or float64, got int64"):
        cpu.erf(np.ones(3, dtype=np.int64))
    with pytest.raises(TypeError, match="x must be an array, got list"):
        cpu.erf([0.5])
