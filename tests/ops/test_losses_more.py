"""smooth_l1_loss, huber_loss and kl_div (and their modules): float64 references written here,
gradcheck for input and target, float32, torch's gradients at the kinks and at NaN, kl_div's
0 * log 0 = 0, "batchmean" and broadcasting, bad arguments."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn

REDUCTIONS = ["mean", "sum", "none"]


def reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def ref_smooth_l1(d, beta):
    if beta == 0:
        return np.abs(d)
    return np.where(np.abs(d) < beta, 0.5 * d ** 2 / beta, np.abs(d) - 0.5 * beta)


def ref_huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d ** 2, delta * (np.abs(d) - 0.5 * delta))


def pair(rng, device, dtype="float64"):
    a, b = rng.standard_normal((4, 5)) * 2, rng.standard_normal((4, 5))
    return a, b, mg.tensor(a, dtype=dtype, requires_grad=True, device=device), \
        mg.tensor(b, dtype=dtype, requires_grad=True, device=device)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 3.0])
def test_smooth_l1_loss(reduction, beta, rng, device):
    a, b, ta, tb = pair(rng, device)
    d = a - b
    expected = reduce(ref_smooth_l1(d, beta), reduction)
    loss = F.smooth_l1_loss(ta, tb, reduction, beta)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(nn.SmoothL1Loss(reduction, beta)(ta, tb).numpy(), expected, rtol=1e-12)
    gy = rng.uniform(0.5, 1.5, loss.shape)
    loss.backward(mg.tensor(gy, device=device))
    slope = np.sign(d) if beta == 0 else np.clip(d / beta, -1, 1)
    scale = gy / d.size if reduction == "mean" else gy
    np.testing.assert_allclose(ta.grad.numpy(), scale * slope, rtol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), -scale * slope, rtol=1e-12)
    assert mg.gradcheck(lambda x, y: F.smooth_l1_loss(x, y, reduction, beta), [ta, tb])
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    loss32 = F.smooth_l1_loss(mg.tensor(a32, device=device), mg.tensor(b32, device=device), reduction, beta)
    assert loss32.dtype == np.float32
    d32 = (a32 - b32).astype(np.float64)
    np.testing.assert_allclose(loss32.numpy(), reduce(ref_smooth_l1(d32, beta), reduction), rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [0.5, 1.0, 3.0])
def test_huber_loss(reduction, delta, rng, device):
    a, b, ta, tb = pair(rng, device)
    d = a - b
    expected = reduce(ref_huber(d, delta), reduction)
    loss = F.huber_loss(ta, tb, reduction, delta)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(nn.HuberLoss(reduction, delta)(ta, tb).numpy(), expected, rtol=1e-12)
    loss.sum().backward()
    scale = 1 / d.size if reduction == "mean" else 1
    np.testing.assert_allclose(ta.grad.numpy(), scale * np.clip(d, -delta, delta), rtol=1e-12)
    assert mg.gradcheck(lambda x, y: F.huber_loss(x, y, reduction, delta), [ta, tb])
    # Huber with delta is delta times smooth L1 with beta = delta
    np.testing.assert_allclose(loss.numpy(), delta * F.smooth_l1_loss(ta, tb, reduction, delta).numpy(), rtol=1e-12)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    loss32 = F.huber_loss(mg.tensor(a32, device=device), mg.tensor(b32, device=device), reduction, delta)
    assert loss32.dtype == np.float32
    np.testing.assert_allclose(loss32.numpy(), reduce(ref_huber((a32 - b32).astype(np.float64), delta), reduction),
                               rtol=2e-6, atol=1e-7)


def test_gradients_at_the_kinks_and_at_nan_as_torch(device):
    x = mg.tensor([0.0, 1.0, -1.0, 0.5, -0.5, np.nan], dtype="float64", requires_grad=True, device=device)
    zeros = mg.zeros(6, dtype="float64", device=device)
    F.smooth_l1_loss(x, zeros, "sum", beta=1.0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, -1.0, 0.5, -0.5, np.nan])
    x.grad = None
    F.smooth_l1_loss(x, zeros, "sum", beta=0.0).backward()  # torch's L1: 0 at 0, and 0 at NaN
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, -1.0, 1.0, -1.0, 0.0])
    x.grad = None
    F.huber_loss(x, zeros, "sum", delta=0.5).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.5, -0.5, 0.5, -0.5, np.nan])
    for loss in (F.smooth_l1_loss(x, zeros, beta=0.0), F.smooth_l1_loss(x, zeros), F.huber_loss(x, zeros)):
        assert np.isnan(loss.item())  # a NaN anywhere makes the loss NaN


def ref_kl(x, t, log_target):
    if log_target:
        return np.exp(t) * (t - x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0.0, t * np.log(t)) - t * x


def kl_reduce(loss, reduction, batch):
    return loss.sum() / batch if reduction == "batchmean" else reduce(loss, reduction)


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target, rng, device):
    logits = rng.standard_normal((4, 6))
    x = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    p = rng.dirichlet(np.ones(6), 4)
    t = np.log(p) if log_target else p
    tx, tt = mg.tensor(x, requires_grad=True, device=device), mg.tensor(t, requires_grad=True, device=device)
    expected = kl_reduce(ref_kl(x, t, log_target), reduction, 4)
    np.testing.assert_allclose(F.kl_div(tx, tt, reduction, log_target).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(nn.KLDivLoss(reduction, log_target)(tx, tt).numpy(), expected, rtol=1e-12)
    F.kl_div(tx, tt, reduction, log_target).sum().backward()
    scale = 0.25 if reduction == "batchmean" else 1.0
    np.testing.assert_allclose(tx.grad.numpy(), -scale * (p if not log_target else np.exp(t)), rtol=1e-12)
    target_grad = np.exp(t) * (t - x + 1) if log_target else np.log(t) + 1 - x
    np.testing.assert_allclose(tt.grad.numpy(), scale * target_grad, rtol=1e-12)
    assert mg.gradcheck(lambda a, b: F.kl_div(a, b, reduction, log_target), [tx, tt])
    x32, t32 = x.astype(np.float32), t.astype(np.float32)
    loss32 = F.kl_div(mg.tensor(x32, device=device), mg.tensor(t32, device=device), reduction, log_target)
    assert loss32.dtype == np.float32
    np.testing.assert_allclose(loss32.numpy(), kl_reduce(ref_kl(x32.astype(np.float64), t32.astype(np.float64),
                                                                log_target), reduction, 4), rtol=1e-5, atol=1e-6)


def test_kl_div_zero_targets_mean_and_broadcasting(rng, device):
    x = mg.tensor([[-1.0, -2.0, -0.5], [-np.inf, -1.0, 0.3]], dtype="float64", requires_grad=True, device=device)
    t = mg.tensor([[0.2, 0.0, 0.8], [0.0, 1.0, -0.1]], dtype="float64", requires_grad=True, device=device)
    loss = F.kl_div(x, t, reduction="none")
    loss.sum().backward()
    # torch's values: 0 * log 0 = 0, but 0 * -inf and a negative target give NaN
    expected = [[0.2 * np.log(0.2) + 0.2, 0.0, 0.8 * np.log(0.8) + 0.4], [np.nan, 1.0, np.nan]]
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-15)
    np.testing.assert_array_equal(x.grad.numpy(), [[-0.2, 0.0, -0.8], [0.0, -1.0, 0.1]])
    # torch's target gradient (xlogy's): log t + t / t - x, so NaN where t = 0
    np.testing.assert_allclose(t.grad.numpy(), [[np.log(0.2) + 2, np.nan, np.log(0.8) + 1.5], [np.nan, 2.0, np.nan]],
                               rtol=1e-15)
    a, p = rng.standard_normal((3, 4)), rng.dirichlet(np.ones(4), 1)
    ta = mg.tensor(a, requires_grad=True, device=device)
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        mean = F.kl_div(ta, mg.tensor(p, device=device))  # target (1, 4) broadcast against input (3, 4)
    np.testing.assert_allclose(mean.numpy(), ref_kl(a, p, False).mean(), rtol=1e-12)
    tp = mg.tensor(p, requires_grad=True, device=device)
    assert mg.gradcheck(lambda u, v: F.kl_div(u, v, "batchmean"), [ta, tp])
    np.testing.assert_allclose(F.kl_div(ta[0:1], mg.tensor(np.tile(p, (3, 1)), device=device), "batchmean").numpy(),
                               ref_kl(a[0:1], p, False).sum() * 3, rtol=1e-12)  # divides by input.size(0) = 1
    zero_d = F.kl_div(mg.tensor(-1.0, dtype="float64", device=device), [0.5], "batchmean")  # 0-d input: the sum
    np.testing.assert_allclose(zero_d.numpy(), [0.5 * np.log(0.5) + 0.5], rtol=1e-15)


@pytest.mark.parametrize("call, error, match", [
    (lambda x: F.smooth_l1_loss(x, x, beta=-1.0), ValueError, "smooth_l1_loss does not support negative values for beta"),
    (lambda x: F.smooth_l1_loss(x, x, beta="1"), TypeError, "smooth_l1_loss: beta must be a number"),
    (lambda x: F.smooth_l1_loss(x, x, reduction="batchmean"), ValueError, "reduction must be one of 'mean', 'sum', 'none'"),
    (lambda x: F.smooth_l1_loss(x, mg.ones(3, dtype="float64")), ValueError,
     "smooth_l1_loss: input shape \\(2, 3\\) and target shape \\(3,\\) differ"),
    (lambda x: F.huber_loss(x, x, delta=0.0), ValueError, "huber_loss does not support non-positive values for delta"),
    # an input that is not a Tensor, with a Tensor target (was AttributeError: 'list' has no 'device')
    (lambda x: F.smooth_l1_loss(x.tolist(), x), TypeError, "smooth_l1_loss: input must be a Tensor, got list"),
    (lambda x: F.huber_loss(x.numpy(), x), TypeError, "huber_loss: input must be a Tensor, got ndarray"),
    (lambda x: F.mse_loss(x.tolist(), x), TypeError, "mse_loss: input must be a Tensor, got list"),
    (lambda x: F.l1_loss(x.tolist(), x), TypeError, "l1_loss: input must be a Tensor, got list"),
    (lambda x: F.huber_loss(x, x, delta=-2), ValueError, "non-positive values for delta, got -2.0"),
    (lambda x: F.huber_loss(x, mg.ones(2, 3)), TypeError, "input is float64 but target is float32"),
    (lambda x: F.huber_loss(x, x, reduction="avg"), ValueError, "reduction must be one of"),
    (lambda x: F.kl_div(x, x, reduction="avg"), ValueError,
     "kl_div: reduction must be one of 'mean', 'batchmean', 'sum', 'none', got 'avg'"),
    (lambda x: F.kl_div(x, mg.ones(2, dtype="float64"), reduction="sum"), ValueError,
     "kl_div: input shape \\(2, 3\\) and target shape \\(2,\\) do not broadcast"),
    (lambda x: F.kl_div(mg.tensor([1, 2]), [0.5, 0.5], reduction="sum"), TypeError, "kl_div needs a float32 or float64"),
    (lambda x: F.kl_div(x, mg.ones(2, 3), reduction="sum"), TypeError, "input is float64 but target is float32"),
    (lambda x: nn.SmoothL1Loss(beta=-0.5), ValueError, "SmoothL1Loss does not support negative values for beta"),
    (lambda x: nn.HuberLoss(delta=0), ValueError, "HuberLoss does not support non-positive values for delta"),
    (lambda x: nn.KLDivLoss(reduction="elementwise_mean"), ValueError, "KLDivLoss: reduction must be one of"),
    (lambda x: nn.SmoothL1Loss(reduction="batchmean"), ValueError, "reduction must be one of 'mean', 'sum', 'none'"),
])
def test_bad_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.tensor(np.arange(6.0).reshape(2, 3) / 10))


def test_loss_modules_print_like_torch():
    assert [repr(m) for m in (nn.SmoothL1Loss(), nn.SmoothL1Loss(beta=0.5), nn.HuberLoss(), nn.HuberLoss(delta=2.0),
                              nn.KLDivLoss(), nn.KLDivLoss(log_target=True))] == \
        ["SmoothL1Loss()", "SmoothL1Loss()", "HuberLoss()", "HuberLoss()", "KLDivLoss()", "KLDivLoss()"]
    # a non-default reduction is shown, as for the other minigrad losses (torch prints none of its options)
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean')"
    assert repr(nn.HuberLoss("sum")) == "HuberLoss(reduction='sum')"
