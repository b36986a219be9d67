"""The LayerNorm kernels against a float64 NumPy composite of the same math, and their argument
checks."""
import numpy as np
import pytest

from minigrad._kernels import cpu

# serial and parallel (M * D above PARALLEL_MIN), widths that are and are not a multiple of the lanes
SHAPES = [(5, 3), (37, 77), (300, 64), (600, 1000)]


def reference(x, w, b, gy, eps):
    x, gy = x.astype(np.float64), gy.astype(np.float64)
    mean = x.mean(axis=1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
    invstd = 1 / np.sqrt(var + eps)
    xhat = (x - mean) * invstd
    g = gy * w
    gx = invstd * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    return xhat * w + b, mean[:, 0], invstd[:, 0], gx, (gy * xhat).sum(axis=0), gy.sum(axis=0)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-11), (np.float32, 2e-5)])
def test_forward_and_backward_equal_numpy(shape, dtype, tol, rng):
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    w, b = rng.uniform(0.5, 2, shape[1]).astype(dtype), rng.standard_normal(shape[1]).astype(dtype)
    y, mean, invstd = cpu.layer_norm_forward(x, w, b, 1e-5)
    ey, emean, einvstd, egx, egw, egb = reference(x, w, b, gy, 1e-5)
    np.testing.assert_allclose(y, ey, rtol=tol, atol=tol)
    # float64 statistics for either dtype: the mean summed in double; the variance summed in double
    # from centred values rounded once to x's dtype
    np.testing.assert_allclose(mean, emean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(invstd, einvstd, rtol=1e-12 if dtype == np.float64 else 1e-7)
    gx, gw, gb = cpu.layer_norm_backward(gy, x, mean, invstd, w, True, True)
    np.testing.assert_allclose(gx, egx, rtol=tol, atol=tol)
    np.testing.assert_allclose(gw, egw, rtol=tol, atol=tol * shape[0])
    np.testing.assert_allclose(gb, egb, rtol=tol, atol=tol * shape[0])
    assert y.dtype == gx.dtype == gw.dtype == gb.dtype == dtype


def test_absent_affine_parameters_mean_ones_and_zeros(rng):
    x, gy = rng.standard_normal((7, 10)), rng.standard_normal((7, 10))
    ey, _, _, egx, _, _ = reference(x, np.ones(10), np.zeros(10), gy, 1e-3)
    y, mean, invstd = cpu.layer_norm_forward(x, None, None, 1e-3)
    np.testing.assert_allclose(y, ey, rtol=1e-12, atol=1e-12)
    gx, gw, gb = cpu.layer_norm_backward(gy, x, mean, invstd, None, False, False)
    np.testing.assert_allclose(gx, egx, rtol=1e-11, atol=1e-12)
    assert gw is None and gb is None


def test_float32_variance_survives_a_large_offset(rng):
    # E[x^2] - E[x]^2 would lose every digit here: x^2 ~ 1e8 against a variance of 1
    x = (1e4 + rng.standard_normal((4, 4096))).astype(np.float32)
    _, mean, invstd = cpu.layer_norm_forward(x, None, None, 1e-5)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(1 / invstd ** 2 - 1e-5, x64.var(axis=1), rtol=1e-6)
    np.testing.assert_allclose(mean, x64.mean(axis=1), rtol=1e-12)


@pytest.mark.parametrize("first", [1e4 + 3e3, 0.0, -1e7])
def test_float32_variance_survives_an_outlying_first_element(first, rng):
    # the float32 statistics are sums of x - x[0]: the first element far from the rest is the worst case
    x = (1e4 + rng.standard_normal((3, 1000))).astype(np.float32)
    x[:, 0] = first
    _, mean, invstd = cpu.layer_norm_forward(x, None, None, 1e-5)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(1 / invstd ** 2 - 1e-5, x64.var(axis=1), rtol=1e-9)
    # x[0] + mean(x - x[0]): within a rounding of the row's largest magnitude
    np.testing.assert_allclose(mean, x64.mean(axis=1), rtol=1e-12, atol=1e-15 * np.abs(x64).max())


@pytest.mark.parametrize("D", [1000, 12544])
def test_float32_gradient_sums_survive_a_large_gradient_offset(D, rng):
    # the backward's row sums of g = gy * weight run in float32 over chunks before double: with every g
    # near 1e4, their rounding must stay below that of gx's own float32 terms (scale * g ~ 1e4)
    x = rng.standard_normal((4, D)).astype(np.float32)
    gy = (1e4 + rng.standard_normal((4, D))).astype(np.float32)
    w, b = np.ones(D, np.float32), np.zeros(D, np.float32)
    _, mean, invstd = cpu.layer_norm_forward(x, w, b, 1e-5)
    gx, _, _ = cpu.layer_norm_backward(gy, x, mean, invstd, w, False, False)
    egx = reference(x, w, b, gy, 1e-5)[3]
    bound = 2 * np.finfo(np.float32).eps * 1e4 * invstd.max()
    assert np.abs(gx - egx).max() < bound


def test_strided_arguments_give_the_contiguous_result(rng):
    x = rng.standard_normal((12, 9)).T[::-1]  # (9, 12), Fortran order, negative step
    w, b = rng.standard_normal(24)[::2], rng.standard_normal(12)[::-1]
    y, mean, invstd = cpu.layer_norm_forward(x, w, b, 1e-5)
    y2, _, _ = cpu.layer_norm_forward(np.ascontiguousarray(x), w.copy(), b.copy(), 1e-5)
    np.testing.assert_array_equal(y, y2)
    gy = rng.standard_normal((12, 9)).T
    grads = cpu.layer_norm_backward(gy, x, mean, invstd, w, True, True)
    grads2 = cpu.layer_norm_backward(gy.copy(), x.copy(), mean, invstd, w.copy(), True, True)
    for a, e in zip(grads, grads2):
        np.testing.assert_array_equal(a, e)


def test_nan_in_a_row_makes_that_row_nan_only():
    x = np.arange(12.0).reshape(3, 4)
    x[1, 2] = np.nan
    y, _, _ = cpu.layer_norm_forward(x, None, None, 1e-5)
    assert np.isnan(y[1]).all() and np.isfinite(y[[0, 2]]).all()


def test_bad_arguments_raise_before_any_loop():
    x = np.ones((4, 3))
    with pytest.raises(TypeError, match="x must be float32 or float64, got int64"):
        cpu.layer_norm_forward(np.ones((4, 3), dtype=np.int64), None, None, 1e-5)
    with pytest.raises(ValueError, match="x must have 2 dimension"):
        cpu.layer_norm_forward(np.ones(3), None, None, 1e-5)
    with pytest.raises(ValueError, match="weight has shape \\(4,\\), expected \\(3,\\)"):
        cpu.layer_norm_forward(x, np.ones(4), None, 1e-5)
    with pytest.raises(TypeError, match="bias has dtype float32, but x has float64"):
        cpu.layer_norm_forward(x, None, np.ones(3, np.float32), 1e-5)
    with pytest.raises(ValueError, match="gy has shape \\(4, 2\\), expected \\(4, 3\\)"):
        cpu.layer_norm_backward(np.ones((4, 2)), x, np.zeros(4), np.ones(4), None, True, True)
    with pytest.raises(ValueError, match="mean must be float64 of shape \\(4,\\)"):
        cpu.layer_norm_backward(x, x, np.zeros(4, np.float32), np.ones(4), None, True, True)
    with pytest.raises(ValueError, match="invstd must be float64 of shape \\(4,\\)"):
        cpu.layer_norm_backward(x, x, np.zeros(4), np.ones(3), None, True, True)


def test_gx_shape_gives_an_array_of_its_own(rng):
    x, gy = rng.standard_normal((6, 20)), rng.standard_normal((6, 20))
    _, mean, invstd = cpu.layer_norm_forward(x, None, None, 1e-5)
    gx, _, _ = cpu.layer_norm_backward(gy, x, mean, invstd, None, False, False)
    gx4, _, _ = cpu.layer_norm_backward(gy, x, mean, invstd, None, False, False, gx_shape=(2, 3, 4, 5))
    assert gx4.shape == (2, 3, 4, 5) and gx4.base is None
    np.testing.assert_array_equal(gx4.reshape(6, 20), gx)
    with pytest.raises(ValueError, match="gx_shape \\(2, 3\\) does not hold the 120 elements of x"):
        cpu.layer_norm_backward(gy, x, mean, invstd, None, False, False, gx_shape=(2, 3))


def test_affine_shape_gives_weight_and_bias_gradients_of_their_own(rng):
    x, gy = rng.standard_normal((6, 20)), rng.standard_normal((6, 20))
    w = rng.standard_normal(20)
    _, mean, invstd = cpu.layer_norm_forward(x, w, None, 1e-5)
    _, gw, gb = cpu.layer_norm_backward(gy, x, mean, invstd, w, True, True)
    _, gw2, gb2 = cpu.layer_norm_backward(gy, x, mean, invstd, w, True, True, affine_shape=(4, 5))
    assert gw2.shape == gb2.shape == (4, 5) and gw2.base is None and gb2.base is None
    np.testing.assert_array_equal(gw2.reshape(20), gw)
    np.testing.assert_array_equal(gb2.reshape(20), gb)
    with pytest.raises(ValueError, match="affine_shape \\(3,\\) does not hold the 20 elements of a row of x"):
        cpu.layer_norm_backward(gy, x, mean, invstd, w, True, True, affine_shape=(3,))


@pytest.mark.parametrize("shape, normalized", [((8, 16), (16,)), ((2, 3, 4, 5), (4, 5))])
def test_the_gradients_are_adopted_without_a_copy(shape, normalized, rng, monkeypatch):
    # a leaf adopts a fresh array as its .grad; a reshaped view of one would be copied (16 MiB for a
    # (4096, 1024) float32 batch, a third of LayerNorm's backward time)
    import minigrad as mg
    import minigrad.nn.functional as F

    returned = []
    backward = type(cpu).layer_norm_backward

    def spy(self, *args, **kwargs):
        grads = backward(self, *args, **kwargs)
        returned.extend(grads)
        return grads

    monkeypatch.setattr(type(cpu), "layer_norm_backward", spy)
    x = mg.tensor(rng.standard_normal(shape), requires_grad=True)
    w = mg.tensor(rng.standard_normal(normalized), requires_grad=True)
    b = mg.tensor(rng.standard_normal(normalized), requires_grad=True)
    F.layer_norm(x, normalized, w, b).sum().backward()
    assert x.grad._data is returned[0] and w.grad._data is returned[1] and b.grad._data is returned[2]


# (520, 2050): more rows than the most blocks allow at the smallest block (8 rows)
@pytest.mark.parametrize("shape", [(600, 1000), (16384, 8), (9, 20000), (520, 2050)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_are_bitwise_equal_at_any_thread_count(shape, dtype, rng):
    # the weight and bias gradients sum rows in blocks fixed by the shape, not by the thread count
    import minigrad as mg

    x, gy = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    w, b = rng.standard_normal(shape[1]).astype(dtype), rng.standard_normal(shape[1]).astype(dtype)
    threads = mg.get_num_threads()
    results = []
    try:
        for count in (1, 2, 3):
            mg.set_num_threads(count)
            y, mean, invstd = cpu.layer_norm_forward(x, w, b, 1e-5)
            results.append((y, mean, invstd) + cpu.layer_norm_backward(gy, x, mean, invstd, w, True, True))
    finally:
        mg.set_num_threads(threads)
    for other in results[1:]:
        for a, e in zip(other, results[0]):
            np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize("shape", [(520, 2050), (4096, 1024), (16384, 128), (7, 3), (0, 5), (100, 0)])
def test_backward_scratch_stays_a_few_rows_for_many_rows(shape):
    # the weight and bias gradients' float64 partial rows, one pair per block of rows: 65 blocks of the
    # smallest size (8 rows) at (520, 2050) made 2 MB of scratch, first touched inside the kernel
    from minigrad._kernels import layernorm

    M, D = shape
    blocks, block_rows = layernorm._backward_blocks(M, D)
    assert blocks <= 32 and block_rows % 8 == 0
    assert (blocks - 1) * block_rows < M <= blocks * block_rows or blocks == M == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(520, 2050), (100, 500), (0, 6), (1, 1), (33, 17), (44, 1024), (70, 512)])
def test_weight_and_bias_gradients_sum_every_block(shape, dtype, rng):
    # (520, 2050): many blocks of rows, each with a tail tile; (100, 500): two blocks on the serial
    # path (under ROWS_PARALLEL_MIN elements); no rows: zero sums; (44, 1024) and (70, 512): rows of
    # 4 KiB in one dtype or the other, whose scratch rows are spaced apart (_pair_stride), two blocks
    x, gy = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    w, b = rng.standard_normal(shape[1]).astype(dtype), np.zeros(shape[1], dtype)
    y, mean, invstd = cpu.layer_norm_forward(x, w, b, 1e-5)
    gx, gw, gb = cpu.layer_norm_backward(gy, x, mean, invstd, w, True, True)
    _, _, _, ref_gx, ref_gw, ref_gb = reference(x, w, b, gy, 1e-5)
    tol = 2e-5 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(gx, ref_gx, rtol=tol, atol=tol)
    np.testing.assert_allclose(gw, ref_gw, rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(gb, ref_gb, rtol=tol, atol=tol * 10)
