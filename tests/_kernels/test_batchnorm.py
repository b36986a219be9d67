"""The BatchNorm kernels against NumPy composites of the same math, and their argument checks."""
import numpy as np
import pytest

import minigrad as mg
from minigrad._kernels import cpu, cpu_loops

# (N, C) and (N, C, S) layouts, serial and parallel (above PARALLEL_MIN: (300, 70) and (8, 5, 13109))
SHAPES = [(300, 70), (5, 3), (4, 6, 600), (2, 3, 5, 7), (8, 5, 13109)]


def _stats(x):
    axes = (0,) + tuple(range(2, x.ndim))
    return axes, (1, -1) + (1,) * (x.ndim - 2)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_training_forward_and_backward_equal_numpy(shape, dtype, tol, rng):
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    C = shape[1]
    w, b = rng.uniform(0.5, 2, C).astype(dtype), rng.standard_normal(C).astype(dtype)
    rm, rv = np.full(C, 0.5, dtype), np.full(C, 2.0, dtype)
    y, mean, invstd = cpu.batch_norm_forward_train(x, w, b, rm, rv, 0.25, 1e-5)

    axes, bs = _stats(x)
    x64, g = x.astype(np.float64), gy.astype(np.float64)
    mu, var = x64.mean(axis=axes), x64.var(axis=axes)
    xhat = (x64 - mu.reshape(bs)) / np.sqrt(var.reshape(bs) + 1e-5)
    np.testing.assert_allclose(y, xhat * w.reshape(bs) + b.reshape(bs), atol=tol * 10)
    np.testing.assert_allclose(mean, mu, atol=tol)
    n = x.size // C
    np.testing.assert_allclose(rm, 0.75 * 0.5 + 0.25 * mu, rtol=tol)
    np.testing.assert_allclose(rv, 0.75 * 2 + 0.25 * var * n / (n - 1), rtol=tol)

    gx, gw, gb = cpu.batch_norm_backward(gy, x, mean, invstd, w, True)
    gm, gxm = g.mean(axis=axes, keepdims=True), (g * xhat).mean(axis=axes, keepdims=True)
    expected_gx = w.reshape(bs) / np.sqrt(var.reshape(bs) + 1e-5) * (g - gm - xhat * gxm)
    np.testing.assert_allclose(gx, expected_gx, atol=tol * 10)
    np.testing.assert_allclose(gw, (g * xhat).sum(axis=axes), rtol=tol * 10, atol=tol * 100)
    np.testing.assert_allclose(gb, g.sum(axis=axes), rtol=tol * 10, atol=tol * 100)
    assert gx.dtype == gw.dtype == gb.dtype == dtype


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(4, 6, 600), (8, 5, 13109), (300, 70, 1), (0, 3, 4), (3, 2, 0)])
def test_channel_by_channel_passes_equal_the_passes_over_all_channels(shape, affine, dtype, threads, rng):
    # batch_norm_train_pass and batch_norm_backward_pass run (N, C, S > 1) channel by channel: the
    # same sums, coefficients and affine pass per channel, so the same bits as the separate loops
    N, C, S = shape
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    w, b = (rng.uniform(0.5, 2, C).astype(dtype), rng.standard_normal(C).astype(dtype)) if affine else (None, None)
    shift = x[0, :, 0].astype(np.float64) if N * S else np.zeros(C)
    previous = mg.get_num_threads()
    mg.set_num_threads(threads)
    try:
        def forward(fused):
            s1, s2, mean, invstd, k2, k3 = (np.zeros(C) for _ in range(6))
            rm, rv = (np.full(C, 0.5, dtype), np.full(C, 2.0, dtype)) if affine else (None, None)
            y = np.full(shape, np.nan, dtype)
            if fused:
                cpu_loops.batch_norm_train_pass(x, shift, N * S, 1e-5, 0.25, w, b, rm, rv, s1, s2, mean, invstd, k2,
                                                k3, y)
            else:
                if x.size:
                    cpu_loops.channel_sums(x, x, shift, s1, s2)
                cpu_loops.train_coefficients(s1, s2, shift, N * S, 1e-5, 0.25, w, b, rm, rv, mean, invstd, k2, k3)
                if x.size:
                    cpu_loops.channel_affine(None, x, y, None, k2, k3)
            return s1, s2, mean, invstd, k2, k3, y, rm, rv

        def backward(fused, mean, invstd):
            s1, s2, k1, k2, k3 = (np.zeros(C) for _ in range(5))
            gw, gb, gx = np.empty(C, dtype), np.empty(C, dtype), np.full(shape, np.nan, dtype)
            if fused:
                cpu_loops.batch_norm_backward_pass(gy, x, mean, invstd, w, N * S, True, s1, s2, k1, k2, k3, gw, gb, gx)
            else:
                if x.size:
                    cpu_loops.channel_sums(gy, x, mean, s1, s2)
                cpu_loops.backward_coefficients(s1, s2, mean, invstd, w, N * S, True, k1, k2, k3, gw, gb)
                if x.size:
                    cpu_loops.channel_affine(gy, x, gx, k1, k2, k3)
            return s1, s2, k1, k2, k3, gw, gb, gx

        separate, fused = forward(False), forward(True)
        mean, invstd = separate[2], separate[3]
        pairs = list(zip(separate, fused)) + list(zip(backward(False, mean, invstd), backward(True, mean, invstd)))
    finally:
        mg.set_num_threads(previous)
    for expected, got in pairs:
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("shape", SHAPES)
def test_eval_forward_and_backward_equal_numpy(shape, rng):
    x, gy = rng.standard_normal(shape), rng.standard_normal(shape)
    C = shape[1]
    rm, rv, w, b = rng.standard_normal(C), rng.uniform(0.5, 2, C), rng.standard_normal(C), rng.standard_normal(C)
    axes, bs = _stats(x)
    y = cpu.batch_norm_forward_eval(x, rm, rv, w, b, 1e-3)
    invstd = 1 / np.sqrt(rv + 1e-3)
    np.testing.assert_allclose(y, (x - rm.reshape(bs)) * (invstd * w).reshape(bs) + b.reshape(bs), rtol=1e-10, atol=1e-12)
    gx, gw, gb = cpu.batch_norm_backward(gy, x, rm, invstd, w, False)
    np.testing.assert_allclose(gx, gy * (w * invstd).reshape(bs), rtol=1e-12)
    np.testing.assert_allclose(gw, (gy * (x - rm.reshape(bs)) * invstd.reshape(bs)).sum(axis=axes), rtol=1e-10)


def test_non_contiguous_input_is_made_contiguous(rng):
    x = rng.standard_normal((6, 8)).T  # (8, 6), Fortran order
    y, _, _ = cpu.batch_norm_forward_train(x, None, None, None, None, 0.1, 1e-5)
    np.testing.assert_allclose(y, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-10)


def test_bad_arguments_raise_before_any_loop():
    x = np.ones((4, 3))
    with pytest.raises(TypeError, match="x must be float32 or float64, got int64"):
        cpu.batch_norm_forward_train(np.ones((4, 3), dtype=np.int64), None, None, None, None, 0.1, 1e-5)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        cpu.batch_norm_forward_train(np.ones((1, 3)), None, None, None, None, 0.1, 1e-5)
    with pytest.raises(ValueError, match="weight has shape \\(4,\\), expected \\(3,\\)"):
        cpu.batch_norm_forward_train(x, np.ones(4), None, None, None, 0.1, 1e-5)
    with pytest.raises(TypeError, match="bias has dtype float32, but x has float64"):
        cpu.batch_norm_forward_train(x, None, np.ones(3, np.float32), None, None, 0.1, 1e-5)
    with pytest.raises(ValueError, match="running_mean has shape \\(2,\\), expected \\(3,\\)"):
        cpu.batch_norm_forward_train(x, None, None, np.ones(4)[::2], np.ones(3), 0.1, 1e-5)
    with pytest.raises(ValueError, match="both be given"):
        cpu.batch_norm_forward_train(x, None, None, np.ones(3), None, 0.1, 1e-5)
    with pytest.raises(ValueError, match="x must have shape \\(N, C\\)"):
        cpu.batch_norm_forward_eval(np.ones(3), np.zeros(3), np.ones(3), None, None, 1e-5)
    with pytest.raises(ValueError, match="gy has shape \\(4, 2\\), expected \\(4, 3\\)"):
        cpu.batch_norm_backward(np.ones((4, 2)), x, np.zeros(3), np.ones(3), None, True)
    with pytest.raises(ValueError, match="mean must be float64 of shape \\(3,\\)"):
        cpu.batch_norm_backward(x, x, np.zeros(3, np.float32), np.ones(3), None, True)
