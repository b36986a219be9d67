"""F.dropout2d and nn.Dropout2d: whole channels kept (scaled by 1/(1-p)) or zeroed, the kept
fraction, seeded masks, the gradient through the same mask, gradcheck, float32, and the inputs
they must refuse."""
import warnings

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


def kept_channels(x, y, p):
    """The (N, C) bool mask of kept channels, after checking that y is x / (1 - p) on them and 0
    on the others (x has no zeros)."""
    zero = (y == 0).reshape(x.shape[0], x.shape[1], -1)
    kept = ~zero.all(axis=2)
    assert (kept | zero.all(axis=2)).all(), "a channel was partly dropped"
    scale = np.where(kept, 1 / (1 - p), 0.0).reshape(kept.shape + (1,) * (x.ndim - 2))
    np.testing.assert_allclose(y, x * scale, rtol=1e-6 if y.dtype == np.float32 else 1e-12)
    return kept


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_whole_channels_are_zeroed_or_scaled_with_probability_p(p, rng, device):
    x = rng.uniform(1.0, 2.0, size=(200, 100, 2, 3))
    y = F.dropout2d(mg.tensor(x, device=device), p).numpy()
    kept = kept_channels(x, y, p)
    assert abs(kept.mean() - (1 - p)) < 0.01  # 20000 channels: the standard error is at most 0.0035
    assert kept.any(axis=0).all() and kept.any(axis=1).all()  # drawn per (n, c), not per sample or channel
    assert not kept.all(axis=0).any()


def test_three_d_input_is_taken_as_n_c_l_with_torchs_warning(rng, device):
    x = rng.uniform(1.0, 2.0, size=(40, 30, 5))
    with pytest.warns(UserWarning, match="interpreted as shape \\(N, C, L\\)"):
        y = F.dropout2d(mg.tensor(x, device=device), 0.5).numpy()
    kept = kept_channels(x, y, 0.5)
    assert 0.4 < kept.mean() < 0.6


def test_same_seed_same_masks_on_every_device_and_successive_calls_differ(device):
    x = mg.ones(8, 16, 3, 3)
    mg.manual_seed(11)
    a, b = F.dropout2d(x, 0.5).numpy(), F.dropout2d(x, 0.5).numpy()
    mg.manual_seed(11)
    np.testing.assert_array_equal(F.dropout2d(x.to(device), 0.5).numpy(), a)  # cuda: the CPU's masks
    assert (a != b).any()


def test_gradient_applies_the_same_channel_mask_and_gradchecks(rng, device):
    x = mg.tensor(rng.standard_normal((3, 4, 2, 2)), requires_grad=True, device=device)

    def fn(t):
        mg.manual_seed(3)  # the same masks on every evaluation
        return F.dropout2d(t, 0.4)

    assert mg.gradcheck(fn, [x])
    y = fn(x)
    gy = rng.standard_normal(y.shape)
    y.backward(mg.tensor(gy, device=device))
    kept = kept_channels(x.numpy(), y.numpy(), 0.4)
    assert kept.any() and not kept.all()
    np.testing.assert_allclose(x.grad.numpy(), gy * np.where(kept, 1 / 0.6, 0.0)[:, :, None, None], rtol=1e-12)


def test_float32_stays_float32(device):
    y = F.dropout2d(mg.ones(4, 50, 2, 2, device=device), 0.5)
    assert y.dtype == np.float32
    assert set(np.unique(y.numpy())) == {0.0, 2.0}


def test_p_zero_eval_identity_p_one_zeros_and_nonfinite_stays_visible(device):
    x = mg.randn(2, 3, 4, 4, device=device, requires_grad=True)
    assert F.dropout2d(x, 0.0) is x
    assert F.dropout2d(x, 0.7, training=False) is x
    y = F.dropout2d(x, 1.0)
    np.testing.assert_array_equal(y.numpy(), 0)
    y.sum().backward()
    assert not x.grad.numpy().any()
    bad = mg.ones(1, 2, 1, 2, device=device)
    bad[0, 0, 0, 0] = float("nan")
    bad[0, 1, 0, 1] = float("inf")
    np.testing.assert_array_equal(np.isnan(F.dropout2d(bad, 1.0).numpy()).reshape(-1), [True, False, False, True])


def test_inplace_overwrites_the_input(device):
    x = mg.ones(4, 8, 2, 2, device=device)
    y = F.dropout2d(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.numpy())) == {0.0, 2.0}


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.dropout2d(mg.ones(2, 3, 4, 4), 1.5), ValueError, "dropout probability must be a number in \\[0, 1\\]"),
    (lambda: F.dropout2d(mg.ones(2, 3, 4, 4), -0.1), ValueError, "dropout probability"),
    (lambda: nn.Dropout2d("0.5"), ValueError, "dropout probability"),
    (lambda: F.dropout2d(mg.ones(2, 3), 0.5), ValueError, r"expected 4-D input \(N, C, H, W\) or 3-D .* got 2-D"),
    (lambda: F.dropout2d(mg.ones(1, 2, 3, 4, 5), 0.5), ValueError, "got 5-D input of shape \\(1, 2, 3, 4, 5\\)"),
    (lambda: F.dropout2d(mg.ones(2, 3, 4, 4, dtype=mg.int64), 0.5), TypeError, "must be float32 or float64"),
    (lambda: F.dropout2d(np.ones((2, 3, 4, 4)), 0.5), TypeError, "dropout2d takes a Tensor"),
])
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_module_drops_channels_in_training_and_is_the_identity_in_eval(device):
    layer = nn.Dropout2d(0.25)
    assert repr(layer) == "Dropout2d(p=0.25, inplace=False)"
    x = mg.ones(16, 32, 3, 3, device=device)
    kept = kept_channels(x.numpy(), layer(x).numpy(), 0.25)
    assert kept.any() and not kept.all()
    layer.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert layer(x) is x
