import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F


def reference_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [-1, 0])
def test_log_softmax_and_softmax_match_reference_and_gradcheck(axis, rng, device):
    x = rng.standard_normal((4, 6))
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_allclose(F.log_softmax(t, axis).numpy(), reference_log_softmax(x, axis), rtol=1e-12)
    np.testing.assert_allclose(F.softmax(t, axis).numpy(), np.exp(reference_log_softmax(x, axis)), rtol=1e-12)
    assert mg.gradcheck(lambda a: F.log_softmax(a, axis), [t])
    assert mg.gradcheck(lambda a: F.softmax(a, axis), [t])
    assert F.softmax(mg.tensor(x, dtype="float32", device=device), axis).dtype == np.float32


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
