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
