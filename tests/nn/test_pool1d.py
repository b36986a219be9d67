"""F.max_pool1d / F.avg_pool1d and nn.MaxPool1d / nn.AvgPool1d (2-D pooling on a height-1 image):
forward and gradients against float64 references written here (a loop over windows), gradcheck,
float32, (C, L) input, reprs, and the arguments they must refuse."""
import numpy as np
import pytest

import minigrad as mg
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


def _forward_backward(pool, x, device, rng):
    """(y, gx, gy): pool at x on device, then backward of a random gy of x's dtype."""
    tx = mg.tensor(x, requires_grad=True, device=device)
    y = pool(tx)
    gy = rng.standard_normal(y.shape).astype(x.dtype)
    y.backward(mg.tensor(gy, device=device))
    return y.numpy(), tx.grad.numpy(), gy


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


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.MaxPool1d(2, padding=2), ValueError, "MaxPool1d: padding 2 must be at most half"),
    (lambda: nn.AvgPool1d(0), ValueError, "AvgPool1d: kernel_size must be an int >= 1"),
    (lambda: nn.MaxPool1d(2, dilation=3), NotImplementedError, "MaxPool1d: dilation=3"),
])
def test_pool1d_modules_refuse_bad_arguments_naming_the_rule(make, error, match):
    with pytest.raises(error, match=match):
        make()
