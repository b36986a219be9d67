"""The losses with reduction, weights, ignore_index, label smoothing and probability targets:
float64 NumPy references written here, gradcheck, float32, bad input; and the nn.*Loss modules."""
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
    np.testing.assert_allclose(fn(t).numpy(), reference_cross_entropy(x, target, weight, -100, reduction, smoothing),
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
    np.testing.assert_allclose(fn(t).numpy(), expected, rtol=1e-12, atol=1e-14)
    assert (fn(t).numpy()[0, 1] == 0).all()
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
    np.testing.assert_allclose(fn(t).numpy(), expected, rtol=1e-12)
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
    np.testing.assert_allclose(fn(t).numpy(), expected, rtol=1e-12)
    assert mg.gradcheck(fn, [t])
    np.testing.assert_allclose(nn.NLLLoss(mg.tensor(w, device=device), reduction=reduction)(t, target).numpy(), expected,
                               rtol=1e-12)
    np.testing.assert_allclose(F.nll_loss(F.log_softmax(t, 1), target).item(),
                               F.cross_entropy(t, target).item(), rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1_losses(reduction, rng, device):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    a[0, 0] = b[0, 0]  # |a - b| has gradient 0 where they are equal, as PyTorch
    ta, tb = mg.tensor(a, requires_grad=True, device=device), mg.tensor(b, requires_grad=True, device=device)
    np.testing.assert_allclose(F.mse_loss(ta, tb, reduction).numpy(), reduce((a - b) ** 2, reduction), rtol=1e-12)
    np.testing.assert_allclose(F.l1_loss(ta, tb, reduction).numpy(), reduce(np.abs(a - b), reduction), rtol=1e-12)
    np.testing.assert_allclose(nn.L1Loss(reduction)(ta, tb).numpy(), reduce(np.abs(a - b), reduction), rtol=1e-12)
    np.testing.assert_allclose(nn.MSELoss(reduction=reduction)(ta, b).numpy(), reduce((a - b) ** 2, reduction), rtol=1e-12)
    assert mg.gradcheck(lambda x, y: F.mse_loss(x, y, reduction), [ta, tb])
    F.l1_loss(ta, tb, "sum").backward()
    np.testing.assert_array_equal(ta.grad.numpy(), np.sign(a - b))
    np.testing.assert_array_equal(tb.grad.numpy(), -np.sign(a - b))
    assert F.l1_loss(mg.tensor(a, dtype="float32"), mg.tensor(b, dtype="float32")).dtype == np.float32


def reference_bce(x, t, w=1.0):
    return -w * (t * np.maximum(np.log(x), -100) + (1 - t) * np.maximum(np.log1p(-x), -100))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction, rng, device):
    x, t, w = rng.uniform(0.05, 0.95, (4, 3)), rng.uniform(0, 1, (4, 3)), rng.uniform(0.5, 2, 3)
    tx = mg.tensor(x, requires_grad=True, device=device)
    fn = lambda a: F.binary_cross_entropy(a, mg.tensor(t, device=device), mg.tensor(w, device=device), reduction)  # noqa
    np.testing.assert_allclose(fn(tx).numpy(), reduce(reference_bce(x, t, w), reduction), rtol=1e-12)
    assert mg.gradcheck(fn, [tx])
    np.testing.assert_allclose(nn.BCELoss(mg.tensor(w, device=device), reduction)(tx, t).numpy(),
                               reduce(reference_bce(x, t, w), reduction), rtol=1e-12)


def test_binary_cross_entropy_clamps_its_logs_at_minus_100(device):
    x = mg.tensor([0.0, 1.0, 0.0, 1.0], dtype="float64", requires_grad=True, device=device)
    t = mg.tensor([0.0, 1.0, 1.0, 0.0], dtype="float64", device=device)
    loss = F.binary_cross_entropy(x, t, reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [0.0, 0.0, 100.0, 100.0])
    loss.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, -1e12, 1e12])  # (x - t) / max(x (1 - x), 1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits_is_stable_and_weighted(reduction, rng, device):
    z = rng.standard_normal((5, 3)) * 3
    t, w, pos_weight = rng.uniform(0, 1, (5, 3)), rng.uniform(0.5, 2, (5, 1)), np.array([0.5, 1.0, 3.0])
    p = 1 / (1 + np.exp(-z))
    expected = -w * (pos_weight * t * np.log(p) + (1 - t) * np.log1p(-p))
    tz = mg.tensor(z, requires_grad=True, device=device)
    fn = lambda a: F.binary_cross_entropy_with_logits(a, t, mg.tensor(w, device=device), reduction,  # noqa: E731
                                                      mg.tensor(pos_weight, device=device))
    np.testing.assert_allclose(fn(tz).numpy(), reduce(expected, reduction), rtol=1e-11)
    assert mg.gradcheck(fn, [tz])
    module = nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=mg.tensor(pos_weight, device=device))
    np.testing.assert_allclose(module(tz, t).numpy(), reduce(expected / w, reduction), rtol=1e-11)
    # huge logits: the loss is |z| for a wrong sign, 0 for the right one, and the gradient stays finite
    huge = mg.tensor([[1e4, -1e4, 3e38]], requires_grad=True, device=device)
    loss = F.binary_cross_entropy_with_logits(huge, mg.tensor([[0.0, 0.0, 1.0]], device=device), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [[1e4, 0.0, 0.0]])
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
    (lambda x: F.binary_cross_entropy(x * 3, x * 0), ValueError, "input values must be probabilities in \\[0, 1\\]"),
    (lambda x: F.binary_cross_entropy_with_logits(x, x * 0, pos_weight=mg.ones(2, dtype="float64")), ValueError,
     "pos_weight of shape \\(2,\\) does not broadcast to the input's shape \\(2, 3\\)"),
    (lambda x: F.mse_loss(x, mg.ones(3, dtype="float64")), ValueError, "input shape \\(2, 3\\) and target shape \\(3,\\)"),
    (lambda x: F.l1_loss(x, mg.ones(2, 3)), TypeError, "input is float64 but target is float32"),
])
def test_bad_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.tensor(np.arange(6.0).reshape(2, 3) / 10))


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
    target.data[...] = target.data[::-1].copy()
    weight.data[...] = 7.0
    result.backward()
    np.testing.assert_array_equal(changed.grad.numpy(), expected.grad.numpy())
