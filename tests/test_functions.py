"""mg.cat, mg.stack and mg.where (the module-level forms of methods are tested with the methods)."""
import numpy as np
import pytest

import minigrad as mg


def test_cat_matches_numpy_and_sends_each_input_its_gradient(rng, device):
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 1)), rng.standard_normal((2, 4))
    tensors = [mg.tensor(x, requires_grad=True, device=device) for x in (a, b, c)]
    np.testing.assert_array_equal(mg.cat(tensors, dim=1).detach().numpy(), np.concatenate([a, b, c], axis=1))
    np.testing.assert_array_equal(mg.cat([tensors[0], tensors[0]]).detach().numpy(), np.concatenate([a, a]))
    weights = mg.tensor(np.arange(16.0).reshape(2, 8), device=device)
    assert mg.gradcheck(lambda *ts: mg.cat(ts, dim=-1) * weights, tensors)
    assert mg.cat([mg.tensor(a, dtype="float32")] * 2).dtype == np.float32


def test_stack_matches_numpy_and_gradcheck(rng, device):
    xs = [rng.standard_normal((2, 3)) for _ in range(3)]
    tensors = [mg.tensor(x, requires_grad=True, device=device) for x in xs]
    for dim in (0, 1, 2, -1):
        np.testing.assert_array_equal(mg.stack(tensors, dim=dim).detach().numpy(), np.stack(xs, axis=dim))
    weights = mg.tensor(np.arange(18.0).reshape(2, 3, 3), device=device)
    assert mg.gradcheck(lambda *ts: mg.stack(ts, dim=2) * weights, tensors)


def test_cat_and_stack_promote_integers_to_the_float_dtype():
    joined = mg.cat([mg.tensor([1, 2]), mg.tensor([0.5])])
    assert joined.dtype == np.float32
    np.testing.assert_array_equal(joined.numpy(), [1, 2, 0.5])
    assert mg.stack([mg.tensor([1, 2]), mg.tensor([3, 4])]).dtype == np.int64


def test_where_matches_numpy_and_gradients_go_to_the_chosen_side(rng, device):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    cond = a > 0
    ta, tb = (mg.tensor(x, requires_grad=True, device=device) for x in (a, b))
    condition = mg.tensor(cond, device=device)
    np.testing.assert_array_equal(mg.where(condition, ta, tb).detach().numpy(), np.where(cond, a, b))
    assert mg.gradcheck(lambda x, y: mg.where(condition, x, y), [ta, tb])
    np.testing.assert_array_equal(mg.where(condition, ta, 0.0).detach().numpy(), np.where(cond, a, 0))
    assert mg.gradcheck(lambda x: mg.where(condition, 1.5, x), [tb])
    assert mg.where(condition, mg.tensor(a, dtype="float32", device=device), 0.0).dtype == np.float32
    assert mg.where(mg.tensor([True, False]), 1, 2).dtype == np.int64


def test_cat_stack_and_where_refuse_bad_inputs():
    with pytest.raises(ValueError, match="tensor 1 has shape \\(3, 3\\).*except along dim 1"):
        mg.cat([mg.zeros(2, 3), mg.zeros(3, 3)], dim=1)
    with pytest.raises(ValueError, match="tensor 1 has shape"):
        mg.cat([mg.zeros(2, 3), mg.zeros(2)])
    with pytest.raises(IndexError, match="out of range"):
        mg.cat([mg.zeros(2, 3)], dim=2)
    with pytest.raises(TypeError, match="non-empty list"):
        mg.cat([])
    with pytest.raises(TypeError, match="non-empty list"):
        mg.stack(mg.zeros(2, 3))
    with pytest.raises(ValueError, match="same shape"):
        mg.stack([mg.zeros(2, 3), mg.zeros(3, 2)])
    with pytest.raises(ValueError, match="do not broadcast"):
        mg.where(mg.tensor([True, False]), mg.zeros(3), mg.zeros(3))
    with pytest.raises(TypeError, match="condition must be a bool tensor"):
        mg.where(mg.tensor([1.0, 0.0]), mg.zeros(2), mg.ones(2))
    with pytest.raises(TypeError, match="Tensors or numbers"):
        mg.where(mg.tensor([True]), "a", mg.ones(1))
