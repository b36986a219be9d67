"""F.max_pool1d / F.avg_pool1d and nn.MaxPool1d / nn.AvgPool1d (2-D pooling on a height-1 image):
forward and gradients against float64 references written here (a loop over windows), gradcheck,
float32, (C, L) input, reprs, and the arguments they must refuse."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


def reference_pool1d(x, gy, kind, kernel, stride, padding, count_include_pad=True):
    """(y, gx) in float64 for x (N, C, L). kind: "max" (gradient to the window's first maximum;
    padding never wins) or "avg" (zero padding, in the divisor when count_include_pad)."""
    N, C, L = x.shape
    count = (L + 2 * padding - kernel) // stride + 1
    gy = np.zeros((N, C, count)) if gy is None else gy
    y, gx = np.zeros((N, C, count)), np.zeros_like(x)
    for i in range(count):
        start = i * stride - padding
        lo, hi = max(0, start), min(L, start + kernel)
        window = x[:, :, lo:hi]
        if kind == "max":
            y[:, :, i] = window.max(axis=2)
            first = lo + window.argmax(axis=2)
            for n in range(N):
                for c in range(C):
                    gx[n, c, first[n, c]] += gy[n, c, i]
        else:
            divisor = kernel if count_include_pad else hi - lo
            y[:, :, i] = window.sum(axis=2) / divisor
            gx[:, :, lo:hi] += gy[:, :, i, None] / divisor
    return y, gx


GRID = [(2, None, 0), (3, 2, 1), (3, 1, 1), (4, 3, 2), (1, 2, 0), (5, 5, 2)]


def _pool(kind, kernel, stride=None, padding=0, count_include_pad=True):
    if kind == "max":
        return lambda t: F.max_pool1d(t, kernel, stride, padding)
    return lambda t: F.avg_pool1d(t, kernel, stride, padding, count_include_pad=count_include_pad)


def _forward_backward(pool, x, device, rng):
    """(y, gx, gy): pool at x on device, then backward of a random gy of x's dtype."""
    tx = mg.tensor(x, requires_grad=True, device=device)
    y = pool(tx)
    gy = rng.standard_normal(y.shape).astype(x.dtype)
    y.backward(mg.tensor(gy, device=device))
    return y.numpy(), tx.grad.numpy(), gy


KINDS = [("max", True), ("avg", True), ("avg", False)]  # (kind, count_include_pad)


@pytest.mark.parametrize("kind, count_include_pad", KINDS)
@pytest.mark.parametrize("kernel, stride, padding", GRID)
def test_pool1d_matches_reference_and_gradchecks(kind, count_include_pad, kernel, stride, padding, rng, device):
    x = rng.standard_normal((2, 3, 11))
    pool = _pool(kind, kernel, stride, padding, count_include_pad)
    y, gx, gy = _forward_backward(pool, x, device, rng)
    ref_y, ref_gx = reference_pool1d(x, gy, kind, kernel, stride or kernel, padding, count_include_pad)
    assert y.shape == ref_y.shape
    np.testing.assert_allclose(y, ref_y, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gx, ref_gx, rtol=1e-12, atol=1e-15)
    assert mg.gradcheck(pool, [mg.tensor(x, requires_grad=True, device=device)])


@pytest.mark.parametrize("kind, count_include_pad", KINDS)
def test_float32_within_tolerance(kind, count_include_pad, rng, device):
    x = rng.standard_normal((4, 5, 16)).astype(np.float32)
    y, gx, gy = _forward_backward(_pool(kind, 3, 2, 1, count_include_pad), x, device, rng)
    ref_y, ref_gx = reference_pool1d(x.astype(np.float64), gy.astype(np.float64), kind, 3, 2, 1, count_include_pad)
    assert y.dtype == gx.dtype == np.float32
    np.testing.assert_allclose(y, ref_y, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gx, ref_gx, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_unbatched_c_l_input_gives_c_ol(kind, rng, device):
    x = rng.standard_normal((3, 9))
    y, gx, gy = _forward_backward(_pool(kind, 3, 2, 1, count_include_pad=False), x, device, rng)
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
    (lambda x: nn.MaxPool1d(2, padding=2), ValueError, "MaxPool1d: padding 2 must be at most half"),
    (lambda x: nn.AvgPool1d(0), ValueError, "AvgPool1d: kernel_size must be an int >= 1"),
    (lambda x: nn.MaxPool1d(2, dilation=3), NotImplementedError, "MaxPool1d: dilation=3"),
])
def test_bad_arguments_are_refused_naming_the_rule(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.ones(2, 3, 8))


def test_modules_follow_torchs_attributes_repr_and_results(rng):
    maxpool, avgpool = nn.MaxPool1d(3, padding=1), nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False)
    assert (maxpool.kernel_size, maxpool.stride, maxpool.padding) == (3, 3, 1)
    assert (avgpool.kernel_size, avgpool.stride, avgpool.padding) == ((3,), (1,), (1,))
    assert repr(maxpool) == "MaxPool1d(kernel_size=3, stride=3, padding=1, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool1d(2)) == "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    x = rng.standard_normal((2, 4, 10))
    np.testing.assert_allclose(maxpool(mg.tensor(x)).numpy(), reference_pool1d(x, None, "max", 3, 3, 1)[0])
    np.testing.assert_allclose(avgpool(mg.tensor(x)).numpy(),
                               reference_pool1d(x, None, "avg", 3, 1, 1, count_include_pad=False)[0], rtol=1e-12)
    assert list(maxpool.parameters()) == [] and list(avgpool.state_dict()) == []
