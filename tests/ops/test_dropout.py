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
    np.testing.assert_array_equal(y.numpy(), 0)
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
    np.testing.assert_allclose(x.grad.numpy(), (y.numpy() != 0) / 0.6)


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
