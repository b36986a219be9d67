"""Non-finite values show, as in torch: nothing on the way from the data to the loss hides a NaN or
an Inf (a diverged model must look diverged)."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


def test_relu_of_nan_is_nan_and_passes_its_gradient(device):
    x = mg.tensor([np.nan, -1.0, 2.0], requires_grad=True, device=device)
    y = F.relu(x)
    np.testing.assert_array_equal(y.detach().numpy(), [np.nan, 0, 2])
    y.backward(mg.tensor([5.0, 5.0, 5.0], device=device))
    np.testing.assert_array_equal(x.grad.numpy(), [5, 0, 5])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_batch_norm_layer_makes_the_channel_and_its_running_statistics_nan(bad, device):
    layer = nn.BatchNorm1d(3).to(device)
    x = np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32)
    x[4, 2] = bad
    y = layer(mg.tensor(x, device=device)).detach().numpy()
    assert np.isnan(y[:, 2]).all() and np.isfinite(y[:, :2]).all()
    assert np.isnan(layer.running_var.numpy()[2]) and not np.isfinite(layer.running_mean.numpy()[2])
    assert np.isfinite(layer.running_var.numpy()[:2]).all()
    layer.eval()
    assert np.isnan(layer(mg.ones(2, 3, device=device)).detach().numpy()[:, 2]).all()


@pytest.mark.parametrize("batch_norm", [True, False])
def test_one_nan_anywhere_in_a_batch_makes_the_loss_nan(batch_norm, device):
    mg.manual_seed(0)
    layers = [nn.Linear(8, 16)] + ([nn.BatchNorm1d(16)] if batch_norm else []) + [nn.ReLU(), nn.Dropout(0.5),
                                                                                   nn.Linear(16, 4)]
    model = nn.Sequential(*layers).to(device)
    x = np.random.default_rng(1).standard_normal((32, 8)).astype(np.float32)
    target = np.arange(32) % 4
    assert np.isfinite(F.cross_entropy(model(mg.tensor(x, device=device)), target).item())
    for row, col in [(0, 0), (31, 7), (13, 2)]:
        bad = x.copy()
        bad[row, col] = np.nan
        assert np.isnan(F.cross_entropy(model(mg.tensor(bad, device=device)), target).item()), (row, col)


INF, NAN = np.inf, np.nan


@pytest.mark.parametrize("dtype", [mg.float32, mg.float64])
@pytest.mark.parametrize("fn, x, torch_grad", [
    (lambda x: x ** 0.5, [-INF, -0.0, INF, 4.0], [NAN, -INF, 0.0, 0.25]),  # torch's sqrt and rsqrt
    (lambda x: x ** 1.5, [-INF, -0.0, INF, 4.0], [NAN, -0.0, INF, 3.0]),
    (lambda x: x ** -0.5, [-INF, -0.0, INF, 4.0], [-0.0, -INF, -0.0, -0.0625]),
    (lambda x: F.gelu(x, approximate="tanh"), [NAN, -INF, INF, 0.0], [NAN, NAN, NAN, 0.5]),
    (F.softsign, [NAN, -INF, INF, 0.0], [NAN, NAN, NAN, 1.0]),
], ids=["pow0.5", "pow1.5", "pow-0.5", "gelu-tanh", "softsign"])
def test_gradients_at_special_points_are_torchs(fn, x, torch_grad, dtype, device):
    x = mg.tensor(x, dtype=dtype, requires_grad=True, device=device)
    with np.errstate(all="ignore"):
        fn(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array(torch_grad, dtype=x.grad.numpy().dtype))
