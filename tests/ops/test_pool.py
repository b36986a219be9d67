"""Pooling through F.max_pool2d / F.avg_pool2d / F.adaptive_avg_pool2d and F.max_pool1d / F.avg_pool1d
(2-D pooling on a height-1 image): forward and gradients against float64 references written here (a
loop over windows), gradcheck, float32, (C, L) input, NaN, and the arguments they must refuse."""
import itertools

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


def _windows(size, kernel, stride, padding):
    """[start, stop) of every window along one dim, clipped to the input."""
    count = (size + 2 * padding - kernel) // stride + 1
    return [(max(0, i * stride - padding), min(size, i * stride - padding + kernel)) for i in range(count)]


def reference_pool(x, gy, kind, kernel, stride, padding, count_include_pad=True):
    """(y, gx) in float64. kind: "max" (gradient to the window's first maximum) or "avg"."""
    N, C, H, W = x.shape
    rows = _windows(H, kernel[0], stride[0], padding[0])
    cols = _windows(W, kernel[1], stride[1], padding[1])
    y, gx = np.zeros((N, C, len(rows), len(cols))), np.zeros_like(x)
    for n, c, (i, (h0, h1)), (j, (w0, w1)) in itertools.product(range(N), range(C), enumerate(rows), enumerate(cols)):
        window = x[n, c, h0:h1, w0:w1]
        if kind == "max":
            y[n, c, i, j] = window.max()
            h, w = np.unravel_index(window.argmax(), window.shape)
            if gy is not None:
                gx[n, c, h0 + h, w0 + w] += gy[n, c, i, j]
        else:
            count = kernel[0] * kernel[1] if count_include_pad else window.size
            y[n, c, i, j] = window.sum() / count
            if gy is not None:
                gx[n, c, h0:h1, w0:w1] += gy[n, c, i, j] / count
    return y, gx


def reference_adaptive_avg_pool(x, gy, out_h, out_w):
    N, C, H, W = x.shape
    y, gx = np.zeros((N, C, out_h, out_w)), np.zeros_like(x)
    for i, j in itertools.product(range(out_h), range(out_w)):
        h0, h1 = i * H // out_h, -(-(i + 1) * H // out_h)
        w0, w1 = j * W // out_w, -(-(j + 1) * W // out_w)
        count = (h1 - h0) * (w1 - w0)
        y[:, :, i, j] = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) / count
        gx[:, :, h0:h1, w0:w1] += gy[:, :, i, j, None, None] / count
    return y, gx


POOL_GRID = [((2, 2), None, (0, 0)), ((3, 3), (2, 2), (1, 1)), ((3, 2), (1, 2), (1, 0)), ((2, 3), (3, 1), (0, 1))]


def _run(fn, x, device, rng):
    """(y, gx, gy): fn at x on device, then backward of a random gy of x's dtype."""
    tx = mg.tensor(x, requires_grad=True, device=device)
    y = fn(tx)
    gy = rng.standard_normal(y.shape).astype(x.dtype)
    y.backward(mg.tensor(gy, device=device))
    return y.detach().numpy(), tx.grad.numpy(), gy


@pytest.mark.parametrize("kernel, stride, padding", POOL_GRID)
def test_max_pool2d_matches_reference_and_gradchecks(kernel, stride, padding, rng, device):
    x = rng.standard_normal((2, 3, 9, 8))
    y, gx, gy = _run(lambda t: F.max_pool2d(t, kernel, stride, padding), x, device, rng)
    ref_y, ref_gx = reference_pool(x, gy, "max", kernel, stride or kernel, padding)
    np.testing.assert_array_equal(y, ref_y)
    np.testing.assert_allclose(gx, ref_gx, rtol=1e-12, atol=1e-12)
    tx = mg.tensor(x[:1, :2], requires_grad=True, device=device)
    assert mg.gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding), [tx])


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("kernel, stride, padding", POOL_GRID)
def test_avg_pool2d_matches_reference_and_gradchecks(kernel, stride, padding, count_include_pad, rng, device):
    x = rng.standard_normal((2, 3, 9, 8))
    y, gx, gy = _run(lambda t: F.avg_pool2d(t, kernel, stride, padding, count_include_pad), x, device, rng)
    ref_y, ref_gx = reference_pool(x, gy, "avg", kernel, stride or kernel, padding, count_include_pad)
    np.testing.assert_allclose(y, ref_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gx, ref_gx, rtol=1e-12, atol=1e-12)
    tx = mg.tensor(x[:1, :2], requires_grad=True, device=device)
    assert mg.gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding, count_include_pad), [tx])


@pytest.mark.parametrize("output_size, expected", [(1, (1, 1)), ((3, 5), (3, 5)), ((4, None), (4, 8)), ((11, 13), (11, 13))])
def test_adaptive_avg_pool2d_matches_reference_and_gradchecks(output_size, expected, rng, device):
    x = rng.standard_normal((2, 3, 9, 8))
    y, gx, gy = _run(lambda t: F.adaptive_avg_pool2d(t, output_size), x, device, rng)
    ref_y, ref_gx = reference_adaptive_avg_pool(x, gy, *expected)
    np.testing.assert_allclose(y, ref_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gx, ref_gx, rtol=1e-12, atol=1e-12)
    tx = mg.tensor(x[:1, :1], requires_grad=True, device=device)
    assert mg.gradcheck(lambda t: F.adaptive_avg_pool2d(t, output_size), [tx])


@pytest.mark.parametrize("pool", [lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 3, 1, 1),
                                  lambda t: F.adaptive_avg_pool2d(t, (2, 3))])
def test_pool2d_float32_within_tolerance(pool, rng, device):
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    y32, gx32, gy = _run(pool, x, device, rng)
    tx = mg.tensor(x.astype(np.float64), requires_grad=True, device=device)
    y64 = pool(tx)
    y64.backward(mg.tensor(gy.astype(np.float32).astype(np.float64), device=device))
    assert y32.dtype == gx32.dtype == np.float32
    np.testing.assert_allclose(y32, y64.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gx32, tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_max_pool2d_propagates_nan_and_pads_with_minus_infinity(device):
    x = -np.arange(16.0).reshape(1, 1, 4, 4) - 100
    x[0, 0, 0, 3] = np.nan
    y = F.max_pool2d(mg.tensor(x, device=device), 2, padding=1).numpy()
    assert np.isnan(y[0, 0, 0, 2]) and np.isfinite(np.delete(y.ravel(), 2)).all()
    np.testing.assert_array_equal(y[0, 0, 1:, 0], x[0, 0, [1, 3], 0])  # padding never wins over negative values


def test_strided_input_gives_the_result_of_a_contiguous_copy(rng):
    x = rng.standard_normal((6, 5, 3, 4)).transpose(3, 2, 1, 0)[:, :, ::-1]
    for pool in (lambda t: F.max_pool2d(t, 2), lambda t: F.avg_pool2d(t, 2, 1), lambda t: F.adaptive_avg_pool2d(t, 3)):
        np.testing.assert_array_equal(pool(mg.tensor(x)).numpy(), pool(mg.tensor(np.ascontiguousarray(x))).numpy())


@pytest.mark.parametrize("call, message", [
    (lambda x: F.max_pool2d(x, 7), r"max_pool2d: pooling window \(7, 7\) is larger than the padded input"),
    (lambda x: F.avg_pool2d(x, (2, 9), padding=(0, 1)), r"avg_pool2d: pooling window \(2, 9\) is larger"),
    (lambda x: F.max_pool2d(x, 2, padding=2), r"padding \(2, 2\) must be at most half of kernel_size"),
    (lambda x: F.max_pool2d(x, 2, stride=0), "stride must be an int >= 1"),
    (lambda x: F.avg_pool2d(x, 2, padding=-1), "padding must be an int >= 0"),
    (lambda x: F.max_pool2d(x[0, 0], 2), r"expected 4-D input \(N, C, H, W\) or 3-D input \(C, H, W\), got 2-D"),
    (lambda x: F.avg_pool2d(x[None], 2), r"avg_pool2d: expected 4-D input .* got 5-D"),
    (lambda x: F.adaptive_avg_pool2d(x[0, 0, 0], 2), r"adaptive_avg_pool2d: expected 4-D input .* got 1-D"),
    (lambda x: F.adaptive_avg_pool2d(x, (0, 2)), "output_size must be ints >= 1"),
    (lambda x: F.adaptive_avg_pool2d(x, (1, 2, 3)), r"output_size must be an int or \(OH, OW\)"),
])
def test_pooling_refuses_bad_arguments_naming_the_rule(call, message):
    with pytest.raises(ValueError, match=message):
        call(mg.ones(2, 3, 6, 6))


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("pool", [lambda t: F.max_pool2d(t, 2), lambda t: F.max_pool2d(t, 3, 2, 1),
                                  lambda t: F.avg_pool2d(t, 3, 2, 1), lambda t: F.avg_pool2d(t, 3, 1, 1, False),
                                  lambda t: F.adaptive_avg_pool2d(t, (3, 5)), lambda t: F.adaptive_avg_pool2d(t, 13)])
def test_pooling_outputs_and_gradients_match(pool, dtype, rng):
    x = rng.standard_normal((3, 4, 10, 9))
    results = []
    for device in ("cpu", "cuda"):
        tx = mg.tensor(x, dtype=dtype, requires_grad=True, device=device)
        y = pool(tx)
        y.backward(mg.tensor(np.sin(np.arange(y.numel())).reshape(y.shape), dtype=dtype, device=device))
        results.append([y.detach().numpy(), tx.grad.numpy()])
    for name, a, b in zip(["y", "gx"], *results):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6, err_msg=name)


def reference_pool1d(x, gy, kind, kernel, stride, padding, count_include_pad=True):
    """(y, gx) in float64 for x (N, C, L): reference_pool on the height-1 image (N, C, 1, L)."""
    y, gx = reference_pool(x[:, :, None], None if gy is None else gy[:, :, None], kind, (1, kernel), (1, stride),
                           (0, padding), count_include_pad)
    return y[:, :, 0], gx[:, :, 0]


GRID = [(2, None, 0), (3, 2, 1), (3, 1, 1), (4, 3, 2), (1, 2, 0), (5, 5, 2)]


def _pool(kind, kernel, stride=None, padding=0, count_include_pad=True):
    if kind == "max":
        return lambda t: F.max_pool1d(t, kernel, stride, padding)
    return lambda t: F.avg_pool1d(t, kernel, stride, padding, count_include_pad=count_include_pad)


KINDS = [("max", True), ("avg", True), ("avg", False)]  # (kind, count_include_pad)


@pytest.mark.parametrize("kind, count_include_pad", KINDS)
@pytest.mark.parametrize("kernel, stride, padding", GRID)
def test_pool1d_matches_reference_and_gradchecks(kind, count_include_pad, kernel, stride, padding, rng, device):
    x = rng.standard_normal((2, 3, 11))
    pool = _pool(kind, kernel, stride, padding, count_include_pad)
    y, gx, gy = _run(pool, x, device, rng)
    ref_y, ref_gx = reference_pool1d(x, gy, kind, kernel, stride or kernel, padding, count_include_pad)
    assert y.shape == ref_y.shape
    np.testing.assert_allclose(y, ref_y, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gx, ref_gx, rtol=1e-12, atol=1e-15)
    assert mg.gradcheck(pool, [mg.tensor(x, requires_grad=True, device=device)])


@pytest.mark.parametrize("kind, count_include_pad", KINDS)
def test_pool1d_float32_within_tolerance(kind, count_include_pad, rng, device):
    x = rng.standard_normal((4, 5, 16)).astype(np.float32)
    y, gx, gy = _run(_pool(kind, 3, 2, 1, count_include_pad), x, device, rng)
    ref_y, ref_gx = reference_pool1d(x.astype(np.float64), gy.astype(np.float64), kind, 3, 2, 1, count_include_pad)
    assert y.dtype == gx.dtype == np.float32
    np.testing.assert_allclose(y, ref_y, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gx, ref_gx, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool1d_unbatched_c_l_input_gives_c_ol(kind, rng, device):
    x = rng.standard_normal((3, 9))
    y, gx, gy = _run(_pool(kind, 3, 2, 1, count_include_pad=False), x, device, rng)
    ref_y, ref_gx = reference_pool1d(x[None], gy[None], kind, 3, 2, 1, count_include_pad=False)
    assert y.shape == (3, 5)
    np.testing.assert_allclose(y, ref_y[0], rtol=1e-12)
    np.testing.assert_allclose(gx, ref_gx[0], rtol=1e-12)


def test_max_pool1d_propagates_nan_and_pads_with_minus_infinity(device):
    x = mg.tensor([[[-5.0, -3.0, np.nan, 1.0, -2.0]]], device=device)
    np.testing.assert_array_equal(F.max_pool1d(x, 2, padding=1).numpy(), [[[-5.0, np.nan, 1.0]]])


@pytest.mark.parametrize("call, error, match", [
    (lambda x: F.max_pool1d(x, 9), ValueError, "max_pool1d: pooling window 9 is larger than the padded input"),
    (lambda x: F.avg_pool1d(x, 11, padding=1), ValueError, "avg_pool1d: pooling window 11 is larger"),
    (lambda x: F.max_pool1d(x, 2, padding=2), ValueError, "padding 2 must be at most half of kernel_size 2"),
    (lambda x: F.avg_pool1d(x, 2, stride=0), ValueError, "avg_pool1d: stride must be an int >= 1"),
    (lambda x: F.max_pool1d(x, (2, 2)), ValueError, "max_pool1d: kernel_size must be an int or 1 ints, got \\(2, 2\\)"),
    (lambda x: F.max_pool1d(x, 2, padding=-1), ValueError, "padding must be an int >= 0"),
    (lambda x: F.max_pool1d(x[None], 2), ValueError, r"expected 3-D input \(N, C, L\) or 2-D input \(C, L\), got 4-D"),
    (lambda x: F.avg_pool1d(x.long(), 2), TypeError, "must be float32 or float64"),
    (lambda x: F.max_pool1d(x.numpy(), 2), TypeError, "max_pool1d takes a Tensor"),
    (lambda x: F.max_pool1d(x, 2, dilation=2), NotImplementedError, "dilation=2 is not supported"),
    (lambda x: F.max_pool1d(x, 2, ceil_mode=True), NotImplementedError, "ceil_mode=True is not supported"),
    (lambda x: F.max_pool1d(x, 2, return_indices=True), NotImplementedError, "return_indices=True"),
    (lambda x: F.avg_pool1d(x, 2, 2, 0, True), NotImplementedError, "ceil_mode=True"),  # torch's position
])
def test_pool1d_refuses_bad_arguments_naming_the_rule(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.ones(2, 3, 8))


def test_max_pool_sends_a_tied_windows_gradient_to_its_first_maximum(device):
    # torch picks the first maximum in row-major order; a later one would move the gradient
    x = mg.tensor(np.ones((1, 1, 2, 4)), dtype="float64", requires_grad=True, device=device)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[1, 0, 1, 0], [0, 0, 0, 0]])
_IMAGE, _SEQUENCE = (3, 5, 6), (3, 7)


@pytest.mark.parametrize("pool, shape", [
    (lambda t: F.max_pool2d(t, 2), _IMAGE), (lambda t: F.avg_pool2d(t, 3, 1, 1), _IMAGE),
    (lambda t: F.adaptive_avg_pool2d(t, (2, 3)), _IMAGE), (lambda t: F.adaptive_max_pool2d(t, 2), _IMAGE),
    (nn.MaxPool2d(2, 1), _IMAGE), (nn.AvgPool2d(2), _IMAGE), (nn.AdaptiveAvgPool2d(3), _IMAGE),
    (nn.AdaptiveMaxPool2d((3, 2)), _IMAGE), (lambda t: F.max_pool1d(t, 2), _SEQUENCE),
    (lambda t: F.avg_pool1d(t, 3, 2, 1), _SEQUENCE), (nn.MaxPool1d(3), _SEQUENCE), (nn.AvgPool1d(2), _SEQUENCE)],
    ids=["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "MaxPool2d", "AvgPool2d",
         "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "max_pool1d", "avg_pool1d", "MaxPool1d", "AvgPool1d"])
def test_unbatched_input_pools_as_a_batch_of_one(pool, shape, rng, device):
    """As torch: (C, H, W) for the 2-D pools and (C, L) for the 1-D ones give the result of the
    batch of one without its batch dim, gradients included."""
    x = rng.standard_normal(shape)
    results = []
    for batched in (False, True):
        t = mg.tensor(x[None] if batched else x, requires_grad=True, device=device)
        y = pool(t)
        (y * mg.tensor(np.arange(y.numel()).reshape(y.shape), device=device)).sum().backward()
        results.append((y[0] if batched else y, t.grad[0] if batched else t.grad))
    (y, gx), (y1, gx1) = results
    assert y.shape == y1.shape
    np.testing.assert_allclose(y.detach().numpy(), y1.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), gx1.numpy(), rtol=1e-12)
