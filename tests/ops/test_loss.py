"""The losses of ops/loss.py (with reduction, weights, ignore_index, label smoothing and probability
targets; smooth_l1_loss, huber_loss and kl_div with torch's gradients at the kinks and at NaN, kl_div's
0 * log 0 = 0 and "batchmean"): float64 NumPy references written here, gradcheck, float32, bad
input; and the nn.*Loss modules."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


REDUCTIONS = ["mean", "sum", "none"]


def log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def reduce(cost, reduction, denominator=None):
    if reduction == "none":
        return cost
    return cost.sum() if reduction == "sum" else cost.sum() / (cost.size if denominator is None else denominator)


def reference_cross_entropy(x, target, weight, ignore_index, reduction, smoothing):
    """x (N, C), target (N,): the definition, one row at a time."""
    C = x.shape[1]
    w = np.ones(C) if weight is None else weight
    log_p = log_softmax(x, 1)
    cost, kept_weight = np.zeros(len(target)), 0.0
    for n, y in enumerate(target):
        if y == ignore_index:
            continue
        cost[n] = -(1 - smoothing) * w[y] * log_p[n, y] - smoothing / C * (w * log_p[n]).sum()
        kept_weight += w[y]
    return reduce(cost, reduction, kept_weight)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_the_definition_and_gradchecks(reduction, smoothing, weighted, rng, device):
    x, target = rng.standard_normal((7, 5)), rng.integers(0, 5, 7)
    target[3] = -100
    weight = rng.uniform(0.5, 2, 5) if weighted else None
    t = mg.tensor(x, requires_grad=True, device=device)
    tw = None if weight is None else mg.tensor(weight, device=device)
    fn = lambda a: F.cross_entropy(a, target, tw, reduction=reduction, label_smoothing=smoothing)  # noqa: E731
    np.testing.assert_allclose(fn(t).detach().numpy(), reference_cross_entropy(x, target, weight, -100, reduction, smoothing),
                               rtol=1e-12, atol=1e-14)
    assert mg.gradcheck(fn, [t])
    loss32 = F.cross_entropy(mg.tensor(x, dtype="float32", device=device), target,
                             None if weight is None else mg.tensor(weight, dtype="float32", device=device),
                             reduction=reduction, label_smoothing=smoothing)
    assert loss32.dtype == np.float32
    np.testing.assert_allclose(loss32.numpy(), reference_cross_entropy(x, target, weight, -100, reduction, smoothing),
                               rtol=1e-5, atol=1e-6)


def test_cross_entropy_ignore_index_and_spatial_targets(rng, device):
    x, target = rng.standard_normal((2, 4, 3, 5)), rng.integers(0, 4, (2, 3, 5))
    target[0, 1, :] = 7
    t = mg.tensor(x, requires_grad=True, device=device)
    rows = np.moveaxis(x, 1, -1).reshape(-1, 4)
    expected = reference_cross_entropy(rows, target.reshape(-1), None, 7, "none", 0.1).reshape(2, 3, 5)
    fn = lambda a: F.cross_entropy(a, mg.tensor(target), ignore_index=7, reduction="none", label_smoothing=0.1)  # noqa
    np.testing.assert_allclose(fn(t).detach().numpy(), expected, rtol=1e-12, atol=1e-14)
    assert (fn(t).detach().numpy()[0, 1] == 0).all()
    assert mg.gradcheck(lambda a: F.cross_entropy(a, target, ignore_index=7), [t])
    # a NaN in an ignored position does not reach the loss; elsewhere it does
    x[0, :, 1, 2] = np.nan
    assert np.isfinite(F.cross_entropy(mg.tensor(x, device=device), target, ignore_index=7).item())
    x[1, 0, 0, 0] = np.nan
    assert np.isnan(F.cross_entropy(mg.tensor(x, device=device), target, ignore_index=7).item())


@pytest.mark.filterwarnings("error")
def test_every_target_ignored_gives_nan_without_a_warning_as_torch():
    logits = mg.randn(3, 4, requires_grad=True)
    assert np.isnan(F.cross_entropy(logits, [-100, -100, -100]).item())
    assert np.isnan(F.nll_loss(logits, [-100, -100, -100]).item())
    assert F.cross_entropy(logits, [-100, -100, -100], reduction="sum").item() == 0
    for loss in (F.cross_entropy(logits, [-100, -100, -100]), F.cross_entropy(logits, [-100, -100, -100],
                 label_smoothing=0.1), F.nll_loss(logits, [-100, -100, -100])):
        logits.grad = None
        loss.backward()
        np.testing.assert_array_equal(logits.grad.numpy(), np.zeros((3, 4)))  # no NaN reaches the weights


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probability_targets(reduction, rng, device):
    x, p = rng.standard_normal((6, 4)), rng.dirichlet(np.ones(4), 6)
    w = rng.uniform(0.5, 2, 4)
    t = mg.tensor(x, requires_grad=True, device=device)
    smoothed = p * 0.8 + 0.2 / 4
    expected = reduce(-(smoothed * w * log_softmax(x, 1)).sum(1), reduction)
    fn = lambda a: F.cross_entropy(a, mg.tensor(p, device=device), mg.tensor(w, device=device),  # noqa: E731
                                   reduction=reduction, label_smoothing=0.2)
    np.testing.assert_allclose(fn(t).detach().numpy(), expected, rtol=1e-12)
    assert mg.gradcheck(fn, [t])


def test_unbatched_cross_entropy_and_crossentropyloss_module(rng):
    x = rng.standard_normal(5)
    loss = F.cross_entropy(mg.tensor(x), mg.tensor(np.array(3)))
    np.testing.assert_allclose(loss.item(), -log_softmax(x, 0)[3], rtol=1e-12)
    criterion = nn.CrossEntropyLoss(weight=mg.tensor(np.arange(1.0, 6.0)), ignore_index=0, reduction="sum",
                                    label_smoothing=0.05)
    x2, target = rng.standard_normal((4, 5)), np.array([0, 1, 4, 2])
    np.testing.assert_allclose(criterion(mg.tensor(x2), target).item(),
                               reference_cross_entropy(x2, target, np.arange(1.0, 6.0), 0, "sum", 0.05), rtol=1e-12)
    assert repr(criterion) == "CrossEntropyLoss(reduction='sum')" and "weight" in criterion.state_dict()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_matches_the_definition(reduction, rng, device):
    log_p, target, w = log_softmax(rng.standard_normal((6, 4)), 1), np.array([0, 3, 3, -100, 1, 2]), rng.uniform(1, 2, 4)
    cost = np.array([0.0 if y == -100 else -w[y] * log_p[n, y] for n, y in enumerate(target)])
    expected = reduce(cost, reduction, sum(w[y] for y in target if y != -100))
    t = mg.tensor(log_p, requires_grad=True, device=device)
    fn = lambda a: F.nll_loss(a, target, mg.tensor(w, device=device), reduction=reduction)  # noqa: E731
    np.testing.assert_allclose(fn(t).detach().numpy(), expected, rtol=1e-12)
    assert mg.gradcheck(fn, [t])
    np.testing.assert_allclose(nn.NLLLoss(mg.tensor(w, device=device), reduction=reduction)(t, target).detach().numpy(), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(t, 1), target).item(),
                               F.cross_entropy(t, target).item(), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1_losses(reduction, rng, device):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    a[0, 0] = b[0, 0]  # |a - b| has gradient 0 where they are equal, as PyTorch
    ta, tb = mg.tensor(a, requires_grad=True, device=device), mg.tensor(b, requires_grad=True, device=device)
    np.testing.assert_allclose(F.mse_loss(ta, tb, reduction=reduction).detach().numpy(), reduce((a - b) ** 2, reduction), rtol=1e-12)
    np.testing.assert_allclose(F.l1_loss(ta, tb, reduction=reduction).detach().numpy(), reduce(np.abs(a - b), reduction), rtol=1e-12)
    np.testing.assert_allclose(nn.L1Loss(reduction=reduction)(ta, tb).detach().numpy(), reduce(np.abs(a - b), reduction), rtol=1e-12)
    np.testing.assert_allclose(nn.MSELoss(reduction=reduction)(ta, b).detach().numpy(), reduce((a - b) ** 2, reduction), rtol=1e-12)
    assert mg.gradcheck(lambda x, y: F.mse_loss(x, y, reduction=reduction), [ta, tb])
    F.l1_loss(ta, tb, reduction="sum").backward()
    np.testing.assert_array_equal(ta.grad.numpy(), np.sign(a - b))
    np.testing.assert_array_equal(tb.grad.numpy(), -np.sign(a - b))
    assert F.l1_loss(mg.tensor(a, dtype="float32"), mg.tensor(b, dtype="float32")).dtype == np.float32


def reference_bce(x, t, w=1.0):
    return -w * (t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log1p(-x), -100))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction, rng, device):
    x, t, w = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3)), rng.uniform(0.5, 2, 3)
    tx = mg.tensor(x, requires_grad=True, device=device)
    fn = lambda a: F.binary_cross_entropy(a, mg.tensor(t, device=device), mg.tensor(w, device=device), reduction=reduction)  # noqa
    np.testing.assert_allclose(fn(tx).detach().numpy(), reduce(reference_bce(x, t, w), reduction), rtol=1e-12)
    assert mg.gradcheck(fn, [tx])
    np.testing.assert_allclose(nn.BCELoss(mg.tensor(w, device=device), reduction=reduction)(tx, t).detach().numpy(),
                               reduce(reference_bce(x, t, w), reduction), rtol=1e-12)


def test_binary_cross_entropy_clamps_its_logs_at_minus_100(device):
    x = mg.tensor([0.0, 1.0, 0.0, 1.0], dtype="float64", requires_grad=True, device=device)
    t = mg.tensor([0.0, 1.0, 1.0, 0.0], dtype="float64", device=device)
    loss = F.binary_cross_entropy(x, t, reduction="none")
    np.testing.assert_array_equal(loss.detach().numpy(), [0.0, 0.0, 100.0, 100.0])
    loss.sum().backward()
    # torch's (x - t) / max(x (1 - x), eps), eps = float32(1e-12)
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, -1000000003995.8029, 1000000003995.8029])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_is_stable_and_weighted(reduction, rng, device):
    z = rng.standard_normal((5, 3)) * 3
    t, w, pos_weight = rng.uniform(0, 1, (5, 3)), rng.uniform(0.5, 2, (5, 1)), np.array([0.5, 1.0, 3.0])
    p = 1 / (1 + np.exp(-z))
    expected = -w * (pos_weight * t * np.log(p) + (1 - t) * np.log1p(-p))
    tz = mg.tensor(z, requires_grad=True, device=device)
    fn = lambda a: F.binary_cross_entropy_with_logits(a, t, mg.tensor(w, device=device), reduction=reduction,  # noqa: E731
                                                      pos_weight=mg.tensor(pos_weight, device=device))
    np.testing.assert_allclose(fn(tz).detach().numpy(), reduce(expected, reduction), rtol=1e-11)
    assert mg.gradcheck(fn, [tz])
    module = nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=mg.tensor(pos_weight, device=device))
    np.testing.assert_allclose(module(tz, t).detach().numpy(), reduce(expected / w, reduction), rtol=1e-11)
    # huge logits: the loss is |z| for a wrong sign, 0 for the right one, and the gradient stays finite
    huge = mg.tensor([[1e4, -1e4, 3e38]], requires_grad=True, device=device)
    loss = F.binary_cross_entropy_with_logits(huge, mg.tensor([[0.0, 0.0, 1.0]], device=device), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [[1e4, 0.0, 0.0]])
    loss.sum().backward()
    np.testing.assert_allclose(huge.grad.numpy(), [[1.0, 0.0, 0.0]])


@pytest.mark.parametrize("call, error, match", [
    (lambda x: F.mse_loss(x, x, reduction="avg"), ValueError, "reduction must be one of 'mean', 'sum', 'none', got 'avg'"),
    (lambda x: F.cross_entropy(x, [0, 1], reduction="batchmean"), ValueError, "reduction must be one of"),
    (lambda x: nn.L1Loss(reduction="elementwise_mean"), ValueError, "reduction must be one of"),
    (lambda x: F.cross_entropy(x, [0, 1], label_smoothing=1.5), ValueError, "label_smoothing must be a number in \\[0, 1\\]"),
    (lambda x: F.cross_entropy(x, [0, 1], weight=mg.ones(4, dtype="float64")), ValueError, "weight must have shape \\(3,\\)"),
    (lambda x: F.cross_entropy(x, [0, 1], weight=np.ones(3)), TypeError, "weight must be a Tensor of shape \\(C,\\) or None"),
    (lambda x: F.nll_loss(x, [0.0, 1.0]), TypeError, "nll_loss targets must be integer class indices"),
    (lambda x: F.nll_loss(x, [0, 3]), ValueError, "must be in \\[0, 3\\), got values in \\[0, 3\\]"),
    (lambda x: F.cross_entropy(x, [0, 1], ignore_index=None), TypeError, "ignore_index must be an int, got None"),
    (lambda x: F.nll_loss(x, [0, 1], ignore_index=1.0), TypeError, "nll_loss: ignore_index must be an int, got float 1.0"),
    (lambda x: F.binary_cross_entropy(F.sigmoid(x), x * 0 + 1.5), ValueError, "target values must be in \\[0, 1\\]"),
    (lambda x: F.binary_cross_entropy(F.sigmoid(x), -x * 0 - 0.5), ValueError, "target values must be in \\[0, 1\\]"),
    (lambda x: F.binary_cross_entropy(F.sigmoid(x), x.masked_fill(x > 0.3, float("nan")) * 0), ValueError,
     "target values must be in \\[0, 1\\]"),
    (lambda x: F.binary_cross_entropy(x * 3, x * 0), ValueError, "input values must be probabilities in \\[0, 1\\]"),
    (lambda x: F.binary_cross_entropy(x.masked_fill(x > 0.3, float("nan")), x * 0), ValueError,
     "input values must be probabilities in \\[0, 1\\], NaN excluded"),
    (lambda x: nn.BCELoss()(mg.tensor([float("nan")], dtype="float64"), x[0, :1]), ValueError, "NaN excluded"),
    (lambda x: F.binary_cross_entropy_with_logits(x, x * 0, pos_weight=mg.ones(2, dtype="float64")), ValueError,
     "pos_weight of shape \\(2,\\) does not broadcast to the input's shape \\(2, 3\\)"),
    (lambda x: F.mse_loss(x, mg.ones(3, dtype="float64")), ValueError, "input shape \\(2, 3\\) and target shape \\(3,\\)"),
    (lambda x: F.l1_loss(x, mg.ones(2, 3)), TypeError, "input is float64 but target is float32"),
])
def test_bad_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.tensor(np.arange(6.0).reshape(2, 3) / 10))


# torch 2.13's gradients of the target (and of the input, for the record) of
# x = [[0.2, 0.7, 0.0], [0.9, 0.5, 1.0]], t = [[0.0, 1.0, 0.3], [0.6, 0.2, 1.0]], weight [1.0, 2.0, 0.5]
BCE_TARGET_GRAD_MEAN = [[0.23104906018664842, -0.28243262012906784, np.inf], [-0.3662040962227033, -0.0, -np.inf]]
BCE_TARGET_GRAD_SUM = [[1.3862943611198906, -1.694595720774407, np.inf], [-2.1972245773362196, -0.0, -np.inf]]
# logits z = [[0.3, -2.0, 40.0], [-50.0, 1.5, 0.0]], the same t, pos_weight [1.0, 3.0, 0.5]
BCE_LOGITS_TARGET_GRAD = {
    ("mean", False, False): [[-0.05, 0.3333333333333333, -6.666666666666667], [8.333333333333334, -0.25, -0.0]],
    ("sum", False, False): [[-0.3, 2.0, -40.0], [50.0, -1.5, -0.0]],
    ("mean", False, True): [[-0.05, 1.0423093370143244, -6.666666666666667],
                            [8.333333333333334, -0.18286224067241585, -0.057762265046662105]],
    ("sum", False, True): [[-0.3, 6.253856022085946, -40.0], [50.0, -1.0971734440344951, -0.34657359027997264]],
    ("mean", True, True): [[-0.05, 2.0846186740286488, -3.3333333333333335],
                           [8.333333333333334, -0.3657244813448317, -0.028881132523331052]],
    ("sum", True, True): [[-0.3, 12.507712044171893, -20.0], [50.0, -2.1943468880689903, -0.17328679513998632]],
}


@pytest.mark.parametrize("reduction, expected", [("mean", BCE_TARGET_GRAD_MEAN), ("sum", BCE_TARGET_GRAD_SUM)])
@pytest.mark.parametrize("module", [False, True])
def test_binary_cross_entropy_gives_its_target_a_gradient_as_torch(device, reduction, expected, module):
    x = mg.tensor([[0.2, 0.7, 0.0], [0.9, 0.5, 1.0]], dtype=mg.float64, device=device, requires_grad=True)
    t = mg.tensor([[0.0, 1.0, 0.3], [0.6, 0.2, 1.0]], dtype=mg.float64, device=device, requires_grad=True)
    weight = mg.tensor([1.0, 2.0, 0.5], dtype=mg.float64, device=device)
    loss = nn.BCELoss(weight, reduction=reduction) if module else \
        (lambda a, b: F.binary_cross_entropy(a, b, weight, reduction=reduction))
    loss(x, t).backward()
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-14)  # -weight * logit(x), unclamped
    assert np.signbit(t.grad.numpy()[1, 1])  # -logit(0.5) is -0.0, as torch's


@pytest.mark.parametrize("reduction, weighted, pos_weighted", list(BCE_LOGITS_TARGET_GRAD))
@pytest.mark.parametrize("module", [False, True])
def test_binary_cross_entropy_with_logits_gives_its_target_a_gradient_as_torch(device, reduction, weighted,
                                                                               pos_weighted, module):
    z = mg.tensor([[0.3, -2.0, 40.0], [-50.0, 1.5, 0.0]], dtype=mg.float64, device=device, requires_grad=True)
    t = mg.tensor([[0.0, 1.0, 0.3], [0.6, 0.2, 1.0]], dtype=mg.float64, device=device, requires_grad=True)
    weight = mg.tensor([1.0, 2.0, 0.5], dtype=mg.float64, device=device) if weighted else None
    pos_weight = mg.tensor([1.0, 3.0, 0.5], dtype=mg.float64, device=device) if pos_weighted else None
    loss = nn.BCEWithLogitsLoss(weight, reduction=reduction, pos_weight=pos_weight) if module else \
        (lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight, reduction=reduction, pos_weight=pos_weight))
    loss(z, t).backward()
    np.testing.assert_allclose(t.grad.numpy(), BCE_LOGITS_TARGET_GRAD[reduction, weighted, pos_weighted], rtol=1e-14)
    assert mg.gradcheck(lambda b: F.binary_cross_entropy_with_logits(z.detach(), b, weight, reduction=reduction, pos_weight=pos_weight),
                        [t])


@pytest.mark.parametrize("name", ["weight", "pos_weight"])
def test_bce_weights_that_require_grad_are_refused_as_torch(name):
    x, t = mg.tensor([0.3, 0.6], requires_grad=True), mg.tensor([0.0, 1.0])
    weight = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"not differentiable with respect to {name}"):
        F.binary_cross_entropy_with_logits(x, t, **{name: weight})
    if name == "weight":
        with pytest.raises(RuntimeError, match="binary_cross_entropy is not differentiable with respect to weight"):
            F.binary_cross_entropy(x, t, weight)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss", "binary_cross_entropy", "bce_with_logits"])
def test_targets_and_weights_changed_in_place_before_backward_do_not_change_the_gradient(loss, rng):
    # the ops keep targets and weights for backward: they keep copies, so the gradient is that of the
    # forward's values (torch refuses such a change; a silently different gradient would be worse)
    x = rng.standard_normal((5, 4))
    if loss in ("cross_entropy", "nll_loss"):
        target, weight = mg.tensor([0, 3, 1, 1, 2]), mg.tensor(rng.random(4) + 0.5, dtype=mg.float64)
        # cross_entropy without weight: its everyday path reads the target again in backward
        fn = (lambda t, y, w: F.cross_entropy(t, y)) if loss == "cross_entropy" else \
            (lambda t, y, w: F.nll_loss(F.log_softmax(t, dim=1), y, weight=w))
    else:
        target, weight = mg.tensor(rng.random((5, 4)), dtype=mg.float64), mg.tensor(rng.random(4), dtype=mg.float64)
        x = 1 / (1 + np.exp(-x)) if loss == "binary_cross_entropy" else x
        fn = (lambda t, y, w: F.binary_cross_entropy(t, y, weight=w)) if loss == "binary_cross_entropy" else \
            (lambda t, y, w: F.binary_cross_entropy_with_logits(t, y, weight=w, pos_weight=w))
    expected = mg.tensor(x, requires_grad=True)
    fn(expected, target, weight).backward()
    changed = mg.tensor(x, requires_grad=True)
    result = fn(changed, target, weight)
    target._data[...] = target._data[::-1].copy()
    weight.data[...] = 7.0
    result.backward()
    np.testing.assert_array_equal(changed.grad.numpy(), expected.grad.numpy())


def reference_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [-1, 0])
def test_log_softmax_and_softmax_match_reference_and_gradcheck(axis, rng, device):
    x = rng.standard_normal((4, 6))
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_allclose(F.log_softmax(t, axis).detach().numpy(), reference_log_softmax(x, axis), rtol=1e-12)
    np.testing.assert_allclose(F.softmax(t, axis).detach().numpy(), np.exp(reference_log_softmax(x, axis)), rtol=1e-12)
    assert mg.gradcheck(lambda a: F.log_softmax(a, axis), [t])
    assert mg.gradcheck(lambda a: F.softmax(a, axis), [t])
    assert F.softmax(mg.tensor(x, dtype="float32", device=device), axis).dtype == np.float32


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax, F.softmin, lambda x, dim, dtype: x.softmax(dim, dtype=dtype),
                                lambda x, dim, dtype: x.log_softmax(dim, dtype=dtype)],
                         ids=["softmax", "log_softmax", "softmin", "Tensor.softmax", "Tensor.log_softmax"])
def test_softmax_dtype_casts_the_input_first(fn, device):
    """As torch's dtype=: the input is cast before the op (a float32 input gives a float64 result
    equal to the op on x.double(); integers may be cast), the gradient comes back in x's dtype."""
    x = mg.tensor([[1.0, 2.0, -0.5], [0.1, 0.2, 0.3]], requires_grad=True, device=device)
    y = fn(x, 1, dtype=mg.float64)
    assert y.dtype == mg.float64
    np.testing.assert_array_equal(y.detach().numpy(), fn(x.detach().double(), 1, dtype=None).numpy())
    y.sum().backward()
    assert x.grad.dtype == mg.float32
    z = fn(mg.tensor([1, 2], device=device), 0, dtype="float32")
    assert z.dtype == mg.float32
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64, got int64"):
        fn(x, 1, dtype=mg.int64)


def test_cross_entropy_matches_reference_gradchecks_and_float32(rng, device):
    x, target = rng.standard_normal((8, 5)), rng.integers(0, 5, 8)
    t = mg.tensor(x, requires_grad=True, device=device)
    expected = -reference_log_softmax(x, 1)[np.arange(8), target].mean()
    np.testing.assert_allclose(F.cross_entropy(t, target).item(), expected, rtol=1e-12)
    assert mg.gradcheck(lambda a: F.cross_entropy(a, target), [t])
    loss32 = F.cross_entropy(mg.tensor(x, dtype="float32", device=device), mg.tensor(target))
    assert loss32.dtype == np.float32
    np.testing.assert_allclose(loss32.item(), expected, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:overflow encountered")  # float32 -inf after the shift is exact
def test_cross_entropy_is_finite_for_huge_logits():
    logits = mg.tensor([[1e4, -1e4, 0.0], [3e38, 0.0, -3e38]], requires_grad=True)
    loss = F.cross_entropy(logits, np.array([1, 0]))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(logits.grad.numpy()).all()


@pytest.mark.parametrize("target, error, match", [
    (np.array([0, 5]), ValueError, "must be in \\[0, 5\\), got values in \\[0, 5\\]"),
    (np.array([-1, 0]), ValueError, "must be in \\[0, 5\\)"),
    (np.array([0, 1, 2]), ValueError, "must have shape \\(2,\\)"),
    (np.array([0.0, 1.0]), ValueError, "probability targets needs target of the input's shape \\(2, 5\\)"),
    (np.array([True, False]), TypeError, "integer class indices or float probabilities"),
])
def test_cross_entropy_refuses_bad_targets(target, error, match):
    with pytest.raises(error, match=match):
        F.cross_entropy(mg.randn(2, 5), target)
    with pytest.raises(ValueError, match="must have shape \\(\\) for input of shape \\(5,\\)"):
        F.cross_entropy(mg.randn(5), np.array([1]))  # unbatched logits take a 0-d target


def test_mse_loss_matches_reference_and_gradchecks(rng, device):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    ta = mg.tensor(a, requires_grad=True, device=device)
    np.testing.assert_allclose(F.mse_loss(ta, mg.tensor(b, device=device)).item(), ((a - b) ** 2).mean())
    assert mg.gradcheck(lambda t: F.mse_loss(t, mg.tensor(b, device=device)), [ta])
    with pytest.raises(ValueError, match="shape \\(3, 4\\) and target shape \\(4,\\)"):
        F.mse_loss(ta, mg.randn(4))


# Losses whose target is moved to the input's device (differentiably: the target's gradient goes back).
TARGET_MOVING_LOSSES = {
    "mse_loss": (F.mse_loss, True), "l1_loss": (F.l1_loss, True), "smooth_l1_loss": (F.smooth_l1_loss, True),
    "huber_loss": (F.huber_loss, True), "kl_div": (lambda i, t: F.kl_div(i, t, reduction="batchmean"), True),
    "binary_cross_entropy": (F.binary_cross_entropy, True),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, True),
}


@pytest.mark.gpu
@pytest.mark.parametrize("name", TARGET_MOVING_LOSSES)
def test_a_cpu_target_moves_to_the_gpu_input_and_its_gradient_comes_back(name, rng):
    loss_fn, target_gets_grad = TARGET_MOVING_LOSSES[name]
    a, b = rng.uniform(0.1, 0.9, (3, 4)), rng.uniform(0.1, 0.9, (3, 4))
    on_gpu, target = mg.tensor(a, requires_grad=True, device="cuda"), mg.tensor(b, requires_grad=target_gets_grad)
    loss = loss_fn(on_gpu, target)
    assert loss.device == "cuda" and type(loss._data) is mg.backend.cupy_or_none().ndarray
    on_cpu, cpu_target = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=target_gets_grad)
    expected = loss_fn(on_cpu, cpu_target)
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    loss.backward()
    expected.backward()
    assert on_gpu.grad.device == "cuda"
    np.testing.assert_allclose(on_gpu.grad.numpy(), on_cpu.grad.numpy(), rtol=1e-6)
    if target_gets_grad:
        assert target.grad.device == "cpu" and type(target.grad._data) is np.ndarray
        np.testing.assert_allclose(target.grad.numpy(), cpu_target.grad.numpy(), rtol=1e-6)


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
    loss = F.smooth_l1_loss(ta, tb, reduction=reduction, beta=beta)
    np.testing.assert_allclose(loss.detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(nn.SmoothL1Loss(reduction=reduction, beta=beta)(ta, tb).detach().numpy(), expected, rtol=1e-12)
    gy = rng.uniform(0.5, 1.5, loss.shape)
    loss.backward(mg.tensor(gy, device=device))
    slope = np.sign(d) if beta == 0 else np.clip(d / beta, -1, 1)
    scale = gy / d.size if reduction == "mean" else gy
    np.testing.assert_allclose(ta.grad.numpy(), scale * slope, rtol=1e-12)
    np.testing.assert_allclose(tb.grad.numpy(), -scale * slope, rtol=1e-12)
    assert mg.gradcheck(lambda x, y: F.smooth_l1_loss(x, y, reduction=reduction, beta=beta), [ta, tb])
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    loss32 = F.smooth_l1_loss(mg.tensor(a32, device=device), mg.tensor(b32, device=device), reduction=reduction, beta=beta)
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
    np.testing.assert_allclose(loss.detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(nn.HuberLoss(reduction, delta)(ta, tb).detach().numpy(), expected, rtol=1e-12)
    loss.sum().backward()
    scale = 1 / d.size if reduction == "mean" else 1
    np.testing.assert_allclose(ta.grad.numpy(), scale * np.clip(d, -delta, delta), rtol=1e-12)
    assert mg.gradcheck(lambda x, y: F.huber_loss(x, y, reduction, delta), [ta, tb])
    # Huber with delta is delta times smooth L1 with beta = delta
    np.testing.assert_allclose(loss.detach().numpy(), delta * F.smooth_l1_loss(ta, tb, reduction=reduction, beta=delta).detach().numpy(), rtol=1e-12)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    loss32 = F.huber_loss(mg.tensor(a32, device=device), mg.tensor(b32, device=device), reduction, delta)
    assert loss32.dtype == np.float32
    np.testing.assert_allclose(loss32.numpy(), reduce(ref_huber((a32 - b32).astype(np.float64), delta), reduction),
                               rtol=2e-6, atol=1e-7)


def test_gradients_at_the_kinks_and_at_nan_as_torch(device):
    x = mg.tensor([0.0, 1.0, -1.0, 0.5, -0.5, np.nan], dtype="float64", requires_grad=True, device=device)
    zeros = mg.zeros(6, dtype="float64", device=device)
    F.smooth_l1_loss(x, zeros, reduction="sum", beta=1.0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, -1.0, 0.5, -0.5, np.nan])
    x.grad = None
    F.smooth_l1_loss(x, zeros, reduction="sum", beta=0.0).backward()  # torch's L1: 0 at 0, and 0 at NaN
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
    np.testing.assert_allclose(F.kl_div(tx, tt, reduction=reduction, log_target=log_target).detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(nn.KLDivLoss(reduction=reduction, log_target=log_target)(tx, tt).detach().numpy(), expected, rtol=1e-12)
    F.kl_div(tx, tt, reduction=reduction, log_target=log_target).sum().backward()
    scale = 0.25 if reduction == "batchmean" else 1.0
    np.testing.assert_allclose(tx.grad.numpy(), -scale * (p if not log_target else np.exp(t)), rtol=1e-12)
    target_grad = np.exp(t) * (t - x + 1) if log_target else np.log(t) + 1 - x
    np.testing.assert_allclose(tt.grad.numpy(), scale * target_grad, rtol=1e-12)
    assert mg.gradcheck(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target), [tx, tt])
    x32, t32 = x.astype(np.float32), t.astype(np.float32)
    loss32 = F.kl_div(mg.tensor(x32, device=device), mg.tensor(t32, device=device), reduction=reduction, log_target=log_target)
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
    np.testing.assert_allclose(loss.detach().numpy(), expected, rtol=1e-15)
    np.testing.assert_array_equal(x.grad.numpy(), [[-0.2, 0.0, -0.8], [0.0, -1.0, 0.1]])
    # torch's target gradient (xlogy's): log t + t / t - x, so NaN where t = 0
    np.testing.assert_allclose(t.grad.numpy(), [[np.log(0.2) + 2, np.nan, np.log(0.8) + 1.5], [np.nan, 2.0, np.nan]],
                               rtol=1e-15)
    a, p = rng.standard_normal((3, 4)), rng.dirichlet(np.ones(4), 1)
    ta = mg.tensor(a, requires_grad=True, device=device)
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        mean = F.kl_div(ta, mg.tensor(p, device=device))  # target (1, 4) broadcast against input (3, 4)
    np.testing.assert_allclose(mean.detach().numpy(), ref_kl(a, p, False).mean(), rtol=1e-12)
    tp = mg.tensor(p, requires_grad=True, device=device)
    assert mg.gradcheck(lambda u, v: F.kl_div(u, v, reduction="batchmean"), [ta, tp])
    np.testing.assert_allclose(F.kl_div(ta[0:1], mg.tensor(np.tile(p, (3, 1)), device=device), reduction="batchmean").detach().numpy(),
                               ref_kl(a[0:1], p, False).sum() * 3, rtol=1e-12)  # divides by input.size(0) = 1
    zero_d = F.kl_div(mg.tensor(-1.0, dtype="float64", device=device), [0.5], reduction="batchmean")  # 0-d input: the sum
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
def test_bad_smooth_l1_huber_and_kl_div_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.tensor(np.arange(6.0).reshape(2, 3) / 10))


def test_loss_modules_print_like_torch():
    assert [repr(m) for m in (nn.SmoothL1Loss(), nn.SmoothL1Loss(beta=0.5), nn.HuberLoss(), nn.HuberLoss(delta=2.0),
                              nn.KLDivLoss(), nn.KLDivLoss(log_target=True))] == \
        ["SmoothL1Loss()", "SmoothL1Loss()", "HuberLoss()", "HuberLoss()", "KLDivLoss()", "KLDivLoss()"]
    # a non-default reduction is shown, as for the other minigrad losses (torch prints none of its options)
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean')"
    assert repr(nn.HuberLoss("sum")) == "HuberLoss(reduction='sum')"


@pytest.mark.gpu
def test_relu_linear_and_losses_match(rng):
    x, w, b = rng.standard_normal((32, 20)), rng.standard_normal((10, 20)), rng.standard_normal(10)
    target = rng.integers(0, 10, 32)
    outs = []
    for device in ("cpu", "cuda"):
        tx, tw, tb = (mg.tensor(a, requires_grad=True, device=device) for a in (x, w, b))
        loss = F.cross_entropy(F.relu(F.linear(tx, tw, tb)), target) + F.mse_loss(F.softmax(tx), F.log_softmax(tx))
        loss.backward()
        outs.append([loss.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()])
    for a, b in zip(*outs):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


@pytest.mark.gpu
def test_losses_with_options_match(rng):
    logits, target = rng.standard_normal((2, 5, 3)), rng.integers(0, 5, (2, 3))
    target[0, 1] = -100
    probabilities, labels = rng.uniform(0.01, 0.99, (4, 3)), rng.uniform(0, 1, (4, 3))
    outs = []
    for device in ("cpu", "cuda"):
        tl = mg.tensor(logits, requires_grad=True, device=device)
        tp = mg.tensor(probabilities, requires_grad=True, device=device)
        weight = mg.tensor(np.linspace(0.5, 2, 5), device=device)
        loss = (F.cross_entropy(tl, mg.tensor(target, device=device), weight, label_smoothing=0.1)
                + F.nll_loss(F.log_softmax(tl, 1), target, reduction="sum")
                + F.binary_cross_entropy(tp, labels) + F.binary_cross_entropy_with_logits(
                    tp, labels, pos_weight=mg.tensor([1.0, 2.0, 3.0], dtype="float64", device=device))
                + F.l1_loss(tp, mg.tensor(labels, device=device), reduction="sum") + F.pad(tp, (1, 2)).sum())
        loss.backward()
        outs.append([loss.detach().numpy(), tl.grad.numpy(), tp.grad.numpy()])
    for a, b in zip(*outs):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_cross_entropy_probability_target_gets_torchs_gradient(device):
    x = mg.tensor([[1.0, 2.0, 0.5], [0.0, 1.0, 2.0]], dtype=mg.float64, device=device)
    target = mg.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], dtype=mg.float64, requires_grad=True, device=device)
    weight = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64, device=device)
    F.cross_entropy(x, target, weight=weight, label_smoothing=0.1).backward()
    torch_grad = [[0.6589659528485752, 0.41793190569715044, 2.6518978585457256],
                  [1.0834226839999712, 1.2668453679999423, 0.5502680519999136]]
    np.testing.assert_allclose(target.grad.numpy(), torch_grad, rtol=1e-14)


@pytest.mark.parametrize("dtype, torch_grad", [(mg.float64, 166666667332.63382), (mg.float32, 166666665984.0)])
def test_binary_cross_entropy_gradient_at_one_uses_torchs_float32_eps(dtype, torch_grad, device):
    x = mg.tensor([0.0, 1.0, 1.0], dtype=dtype, requires_grad=True, device=device)
    F.binary_cross_entropy(x, mg.tensor([0.0, 1.0, 0.5], dtype=dtype, device=device)).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, torch_grad], rtol=1e-7 if dtype is mg.float32 else 1e-15)


TORCH_LOSS_PARAMETERS = {  # torch 2.13's inspect.signature, up to its newer weight= of mse_loss and l1_loss
    "cross_entropy": "input target weight size_average ignore_index reduce reduction label_smoothing",
    "nll_loss": "input target weight size_average ignore_index reduce reduction",
    "mse_loss": "input target size_average reduce reduction",
    "l1_loss": "input target size_average reduce reduction",
    "smooth_l1_loss": "input target size_average reduce reduction beta",
    "huber_loss": "input target reduction delta",
    "kl_div": "input target size_average reduce reduction log_target",
    "binary_cross_entropy": "input target weight size_average reduce reduction",
    "binary_cross_entropy_with_logits": "input target weight size_average reduce reduction pos_weight",
}


@pytest.mark.parametrize("name", sorted(TORCH_LOSS_PARAMETERS))
def test_loss_functions_take_torchs_positional_arguments(name):
    import inspect
    assert " ".join(inspect.signature(getattr(F, name)).parameters) == TORCH_LOSS_PARAMETERS[name]


@pytest.mark.parametrize("size_average, reduce, reduction", [
    (False, None, "sum"), (None, False, "none"), (True, True, "mean"), (True, None, "mean"), (False, False, "none")])
def test_legacy_size_average_and_reduce_map_to_reduction_as_torchs(size_average, reduce, reduction):
    x, t = mg.tensor([[0.5, 3.0], [1.0, -2.0]]), mg.zeros(2, 2)
    with pytest.warns(UserWarning, match=f"please use reduction='{reduction}' instead"):
        legacy = F.smooth_l1_loss(x, t, size_average, reduce)
    np.testing.assert_array_equal(legacy.numpy(), F.smooth_l1_loss(x, t, reduction=reduction).numpy())
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        assert nn.MSELoss(size_average, reduce).reduction == reduction
    with pytest.warns(UserWarning):
        assert nn.CrossEntropyLoss(None, size_average, -100, reduce).reduction == reduction


def test_smooth_l1_loss_third_positional_argument_is_size_average_as_torchs():
    x, t = mg.tensor([0.5, 3.0]), mg.zeros(2)
    with pytest.warns(UserWarning):
        assert F.smooth_l1_loss(x, t, False).item() == 2.625  # torch: size_average=False sums
