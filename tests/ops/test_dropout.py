"""F.dropout and F.dropout2d (ops/dropout.py): the kept fraction and the 1/(1-p) scale, whole channels
for dropout2d, seeded masks, the gradient through the same mask, gradcheck, float32, the CPU and CUDA
masks bit for bit, and the arguments they must refuse."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad._kernels import dropout as cpu_dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_output_mean_matches_input_and_kept_values_are_scaled(p, device):
    x = mg.ones(200_000, device=device) * 3
    y = F.dropout(x, p).numpy()
    kept = y != 0
    assert abs(y.mean() - 3) < 0.05 * 3 / (1 - p)
    assert abs(kept.mean() - (1 - p)) < 0.01
    np.testing.assert_allclose(y[kept], 3 / (1 - p), rtol=1e-6)


def test_p_zero_identity_p_one_zeros_and_eval_identity(device):
    x = mg.randn(100, device=device, requires_grad=True)
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.7, training=False) is x
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), 0)
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all() and not x.grad.numpy().any()
    # non-finite input stays visible, as torch (x * 0): Inf and NaN give NaN, never a hidden 0
    bad = mg.tensor([np.inf, -np.inf, np.nan, 1.0], device=device)
    np.testing.assert_array_equal(np.isnan(F.dropout(bad, 1.0).numpy()), [True, True, True, False])


def test_same_seed_same_mask_successive_calls_differ(device):
    x = mg.ones(1000, device=device)
    mg.manual_seed(5)
    a, b = F.dropout(x, 0.5).numpy(), F.dropout(x, 0.5).numpy()
    mg.manual_seed(5)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), a)
    assert (a != b).any()


def test_gradient_applies_the_same_mask_and_gradchecks(device):
    x = mg.randn(6, 5, dtype="float64", requires_grad=True, device=device)

    def fn(t):
        mg.manual_seed(3)  # the same mask on every evaluation
        return F.dropout(t, 0.4)

    assert mg.gradcheck(fn, [x])
    y = fn(x)
    x.grad = None
    y.backward(mg.ones(6, 5, dtype="float64", device=device))
    np.testing.assert_allclose(x.grad.numpy(), (y.detach().numpy() != 0) / 0.6)


def test_float32(device):
    y = F.dropout(mg.ones(1000, device=device), 0.5)
    assert y.dtype == np.float32
    assert set(np.unique(y.numpy())) <= {0.0, 2.0}


@pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", None])
def test_bad_probability_is_refused(p, device):
    with pytest.raises(ValueError, match="dropout probability"):
        F.dropout(mg.ones(3, device=device), p)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_masks_are_bit_identical_across_devices(dtype):
    x = mg.randn(1000, 37, dtype=dtype)
    mg.manual_seed(11)
    cpu_y = F.dropout(x, 0.3).numpy()
    mg.manual_seed(11)
    gpu_y = F.dropout(x.to("cuda"), 0.3).numpy()
    np.testing.assert_array_equal(gpu_y, cpu_y)
    from minigrad._kernels import cuda

    assert cuda.philox4x32(5, 7, 12345678901) == cpu_dropout.philox4x32(5, 7, 12345678901)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout2d_zeroes_or_scales_whole_channels_with_probability_p(p, rng, device, kept_channels):
    x = rng.uniform(1.0, 2.0, size=(200, 100, 2, 3))
    y = F.dropout2d(mg.tensor(x, device=device), p).numpy()
    kept = kept_channels(x, y, p)
    assert abs(kept.mean() - (1 - p)) < 0.01  # 20000 channels: the standard error is at most 0.0035
    assert kept.any(axis=0).all() and kept.any(axis=1).all()  # drawn per (n, c), not per sample or channel
    assert not kept.all(axis=0).any()


def test_dropout2d_takes_three_d_input_as_n_c_l_with_torchs_warning(rng, device, kept_channels):
    x = rng.uniform(1.0, 2.0, size=(40, 30, 5))
    with pytest.warns(UserWarning, match="interpreted as shape \\(N, C, L\\)"):
        y = F.dropout2d(mg.tensor(x, device=device), 0.5).numpy()
    kept = kept_channels(x, y, 0.5)
    assert 0.4 < kept.mean() < 0.6


def test_dropout2d_same_seed_same_masks_on_every_device_and_successive_calls_differ(device):
    x = mg.ones(8, 16, 3, 3)
    mg.manual_seed(11)
    a, b = F.dropout2d(x, 0.5).numpy(), F.dropout2d(x, 0.5).numpy()
    mg.manual_seed(11)
    np.testing.assert_array_equal(F.dropout2d(x.to(device), 0.5).numpy(), a)  # cuda: the CPU's masks
    assert (a != b).any()


def test_dropout2d_gradient_applies_the_same_channel_mask_and_gradchecks(rng, device, kept_channels):
    x = mg.tensor(rng.standard_normal((3, 4, 2, 2)), requires_grad=True, device=device)

    def fn(t):
        mg.manual_seed(3)  # the same masks on every evaluation
        return F.dropout2d(t, 0.4)

    assert mg.gradcheck(fn, [x])
    y = fn(x)
    gy = rng.standard_normal(y.shape)
    y.backward(mg.tensor(gy, device=device))
    kept = kept_channels(x.detach().numpy(), y.detach().numpy(), 0.4)
    assert kept.any() and not kept.all()
    np.testing.assert_allclose(x.grad.numpy(), gy * np.where(kept, 1 / 0.6, 0.0)[:, :, None, None], rtol=1e-12)


def test_dropout2d_float32_stays_float32(device):
    y = F.dropout2d(mg.ones(4, 50, 2, 2, device=device), 0.5)
    assert y.dtype == np.float32
    assert set(np.unique(y.numpy())) == {0.0, 2.0}


def test_dropout2d_p_zero_eval_identity_p_one_zeros_and_nonfinite_stays_visible(device):
    x = mg.randn(2, 3, 4, 4, device=device, requires_grad=True)
    assert F.dropout2d(x, 0.0) is x
    assert F.dropout2d(x, 0.7, training=False) is x
    y = F.dropout2d(x, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), 0)
    y.sum().backward()
    assert not x.grad.numpy().any()
    bad = mg.ones(1, 2, 1, 2, device=device)
    bad[0, 0, 0, 0] = float("nan")
    bad[0, 1, 0, 1] = float("inf")
    np.testing.assert_array_equal(np.isnan(F.dropout2d(bad, 1.0).numpy()).reshape(-1), [True, False, False, True])


def test_dropout2d_inplace_overwrites_the_input(device):
    x = mg.ones(4, 8, 2, 2, device=device)
    y = F.dropout2d(x, 0.5, inplace=True)
    assert y is x and set(np.unique(x.numpy())) == {0.0, 2.0}


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.dropout2d(mg.ones(2, 3, 4, 4), 1.5), ValueError, "dropout probability must be a number in \\[0, 1\\]"),
    (lambda: F.dropout2d(mg.ones(2, 3, 4, 4), -0.1), ValueError, "dropout probability"),
    (lambda: F.dropout2d(mg.ones(3), 0.5), RuntimeError, "Feature dropout requires at least 2 dimensions"),
    (lambda: F.dropout1d(mg.ones(2, 3, 4, 4), 0.5), RuntimeError, "dropout1d: Expected 2D or 3D input, but received a 4D"),
    (lambda: F.dropout3d(mg.ones(2, 3, 4, 4), 1.5), ValueError, "dropout probability"),
    (lambda: F.dropout2d(mg.ones(2, 3, 4, 4, dtype=mg.int64), 0.5), TypeError, "must be float32 or float64"),
    (lambda: F.dropout2d(np.ones((2, 3, 4, 4)), 0.5), TypeError, "dropout2d takes a Tensor"),
])
@pytest.mark.filterwarnings("ignore:dropout2d:UserWarning")
def test_dropout2d_refuses_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("shape", [(40, 30), (4, 20, 2, 1, 3)])
def test_dropout2d_on_other_dims_warns_and_runs_as_torch_2_13(shape, rng, device, kept_channels):
    """torch 2.13 deprecates (warns) and runs feature dropout on input[n, c]: 2-D input is element-wise."""
    x = rng.uniform(1.0, 2.0, size=shape)
    with pytest.warns(UserWarning, match=f"Received a {len(shape)}-D input to dropout2d, which is deprecated"):
        y = F.dropout2d(mg.tensor(x, device=device), 0.5).numpy()
    assert 0.35 < kept_channels(x, y, 0.5).mean() < 0.65
    with pytest.warns(UserWarning, match="deprecated"):
        assert F.dropout2d(mg.ones(3, device=device), 0.5, training=False).shape == (3,)  # eval: no dim check


def test_dropout1d_and_dropout3d_take_unbatched_input_with_the_channels_first(rng, device, kept_channels):
    x = rng.uniform(1.0, 2.0, size=(40, 6))
    y = F.dropout1d(mg.tensor(x, device=device), 0.5).numpy()  # (C, L): each row kept or dropped whole
    assert set(np.unique((y != 0).sum(axis=1))) <= {0, 6} and 0.3 < (y[:, 0] != 0).mean() < 0.7
    v = rng.uniform(1.0, 2.0, size=(30, 2, 2, 2))
    w = F.dropout3d(mg.tensor(v, device=device), 0.5).numpy()
    assert set(np.unique((w != 0).reshape(30, -1).sum(axis=1))) <= {0, 8}
    assert F.dropout3d(mg.ones(2, 3, 2, 2, 2, device=device), 0.5).shape == (2, 3, 2, 2, 2)


def test_dropout_layers_1d_3d_keep_torch_reprs(device):
    import minigrad.nn as nn
    assert repr(nn.Dropout1d(0.3)) == "Dropout1d(p=0.3, inplace=False)" and repr(nn.Dropout3d()) == "Dropout3d(p=0.5, inplace=False)"
    layer = nn.Dropout3d(0.4).eval()
    x = mg.ones(2, 2, 2, 2, device=device)
    assert layer(x) is x
