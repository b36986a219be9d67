"""The BatchNorm kernels' local parts for SyncBatchNorm (batch_norm_stats, batch_norm_backward_reduce,
batch_norm_elemt) against float64 NumPy, and their argument checks."""
import numpy as np
import pytest

from minigrad._kernels import cpu

SHAPES = [(300, 70), (5, 3), (4, 6, 600), (2, 3, 5, 7)]  # (N, C) and (N, C, S) layouts, serial and parallel
DTYPES = [(np.float64, 1e-12), (np.float32, 1e-5)]


def _layout(x):
    return (0,) + tuple(range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_stats_are_the_mean_and_sum_of_squared_deviations(shape, dtype, tol, rng):
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    mean, m2 = cpu.batch_norm_stats(x)
    axes, view = _layout(x)
    x64 = x.astype(np.float64)
    assert mean.dtype == m2.dtype == np.float64 and mean.shape == (shape[1],)
    np.testing.assert_allclose(mean, x64.mean(axis=axes), rtol=tol, atol=tol)
    np.testing.assert_allclose(m2, ((x64 - x64.mean(axis=axes).reshape(view)) ** 2).sum(axis=axes), rtol=tol * 10)


def test_stats_of_float32_data_far_from_zero_keep_the_variance(rng):
    x = (rng.standard_normal((4096, 4)) + 1e4).astype(np.float32)
    _, m2 = cpu.batch_norm_stats(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(m2, ((x64 - x64.mean(axis=0)) ** 2).sum(axis=0), rtol=1e-6)


@pytest.mark.parametrize("shape", SHAPES + [(0, 4)])
@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_backward_reduce_sums_gy_and_gy_times_centred_x(shape, dtype, tol, rng):
    x = (rng.standard_normal(shape) * 2 - 1).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    mean = rng.standard_normal(shape[1])
    sum_gy, sum_gy_xmu = cpu.batch_norm_backward_reduce(gy, x, mean)
    axes, view = _layout(x)
    g64, x64 = gy.astype(np.float64), x.astype(np.float64)
    np.testing.assert_allclose(sum_gy, g64.sum(axis=axes), rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(sum_gy_xmu, (g64 * (x64 - mean.reshape(view))).sum(axis=axes), rtol=tol,
                               atol=tol * 10)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_elemt_with_and_without_the_gradient_term(shape, dtype, tol, rng):
    x = (rng.standard_normal(shape) * 2 + 5).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    C = shape[1]
    mean, k1, k2, k3 = (rng.standard_normal(C) for _ in range(4))
    axes, view = _layout(x)
    x64, g64 = x.astype(np.float64), gy.astype(np.float64)
    centred = k2.reshape(view) * (x64 - mean.reshape(view)) + k3.reshape(view)
    out = cpu.batch_norm_elemt(x, mean, k2, k3)
    assert out.dtype == dtype and out.shape == shape
    np.testing.assert_allclose(out, centred, rtol=tol * 10, atol=tol * 10)
    out = cpu.batch_norm_elemt(x, mean, k2, k3, gy, k1)
    np.testing.assert_allclose(out, k1.reshape(view) * g64 + centred, rtol=tol * 10, atol=tol * 10)


def test_non_contiguous_input_gives_the_contiguous_result(rng):
    x = rng.standard_normal((6, 5))
    view = np.asfortranarray(x)
    for a, b in zip(cpu.batch_norm_stats(view), cpu.batch_norm_stats(x)):
        np.testing.assert_array_equal(a, b)
    mean, k = np.zeros(5), np.ones(5)
    np.testing.assert_array_equal(cpu.batch_norm_elemt(x[::-1], mean, k, k), cpu.batch_norm_elemt(x[::-1].copy(), mean, k, k))


def test_bad_arguments_raise_clear_errors():
    x = np.ones((4, 3))
    with pytest.raises(ValueError, match="at least one value per channel"):
        cpu.batch_norm_stats(np.ones((0, 3)))
    with pytest.raises(TypeError, match="x must be float32 or float64, got int64"):
        cpu.batch_norm_stats(np.ones((4, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C\)"):
        cpu.batch_norm_stats(np.ones(3))
    with pytest.raises(ValueError, match=r"mean must be float64 of shape \(3,\)"):
        cpu.batch_norm_backward_reduce(x, x, np.zeros(4))
    with pytest.raises(ValueError, match=r"gy has shape \(4, 2\), expected \(4, 3\)"):
        cpu.batch_norm_backward_reduce(np.ones((4, 2)), x, np.zeros(3))
    with pytest.raises(TypeError, match="gy has dtype float32, but x has float64"):
        cpu.batch_norm_backward_reduce(x.astype(np.float32), x, np.zeros(3))
    k = np.ones(3)
    with pytest.raises(ValueError, match="gy and k1 together"):
        cpu.batch_norm_elemt(x, k, k, k, gy=x)
    with pytest.raises(ValueError, match=r"k2 must be float64 of shape \(3,\)"):
        cpu.batch_norm_elemt(x, k, np.ones(2), k)
    with pytest.raises(ValueError, match=r"k3 must be float64 of shape \(3,\), got float32"):
        cpu.batch_norm_elemt(x, k, k, k.astype(np.float32))


@pytest.mark.gpu
@pytest.mark.parametrize("shape", [(256, 70), (4, 6, 33), (7, 3)])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-4)])
def test_cuda_kernel_entries_match_the_cpu(shape, dtype, tol, rng):
    import cupy as cp

    from minigrad._kernels import cuda

    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    C = shape[1]
    mean, k1, k2, k3 = (rng.standard_normal(C) for _ in range(4))
    expected = [*cpu.batch_norm_stats(x), *cpu.batch_norm_backward_reduce(gy, x, mean),
                cpu.batch_norm_elemt(x, mean, k2, k3), cpu.batch_norm_elemt(x, mean, k2, k3, gy, k1)]
    xg, gyg, mean_g, k1g, k2g, k3g = (cp.asarray(a) for a in (x, gy, mean, k1, k2, k3))
    found = [*cuda.batch_norm_stats(xg), *cuda.batch_norm_backward_reduce(gyg, xg, mean_g),
             cuda.batch_norm_elemt(xg, mean_g, k2g, k3g), cuda.batch_norm_elemt(xg, mean_g, k2g, k3g, gyg, k1g)]
    for name, a, b in zip(["mean", "m2", "sum_gy", "sum_gy_xmu", "elemt", "elemt_gy"], expected, found):
        np.testing.assert_allclose(cp.asnumpy(b), a, rtol=tol, atol=tol, err_msg=name)
