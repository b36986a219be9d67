"""clip_grad_norm_ and clip_grad_value_ against NumPy references of PyTorch's rules."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


def _params(grads, dtype="float64"):
    params = []
    for g in grads:
        p = mg.zeros(*np.shape(g), dtype=dtype, requires_grad=True)
        p.grad = mg.tensor(np.array(g), dtype=dtype)
        params.append(p)
    return params


def _vector_norm(values, norm_type):
    values = np.abs(np.ravel(values).astype(np.float64))
    if norm_type == math.inf:
        return values.max()
    if norm_type == 0:
        return float(np.count_nonzero(values))
    return (values ** norm_type).sum() ** (1 / norm_type)


def _reference_total_norm(grads, norm_type):
    # PyTorch's rule: the norm of the per-gradient norms (for norm 0: how many gradients are nonzero)
    return _vector_norm([_vector_norm(g, norm_type) for g in grads], norm_type)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, 0.5, 0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.3, 1e6])
def test_total_norm_and_scaling_follow_the_rule(norm_type, max_norm, rng):
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5), rng.standard_normal((2, 1, 2))]
    params = _params(grads)
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    expected = _reference_total_norm(grads, math.inf if norm_type == "inf" else norm_type)
    assert isinstance(total, mg.Tensor) and total.shape == () and total.dtype == "float64"
    np.testing.assert_allclose(total.item(), expected, rtol=1e-12)
    coefficient = min(1.0, max_norm / (expected + 1e-6))
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * coefficient, rtol=1e-12)


def test_float32_gradients_give_a_float32_norm(rng):
    grads = [rng.standard_normal((30, 40)), rng.standard_normal(7)]
    params = _params(grads, "float32")
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert total.dtype == "float32"
    np.testing.assert_allclose(total.item(), _reference_total_norm(grads, 2.0), rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in params)),
                               1.0, rtol=1e-5)


def test_non_finite_gradients_scale_like_pytorch_or_raise_when_asked():
    params = _params([[1.0, np.inf], [2.0]])
    total = nn.utils.clip_grad_norm_(params, 1.0)
    assert total.item() == math.inf
    np.testing.assert_array_equal(params[0].grad.numpy(), [0.0, np.nan])  # scaled by 0; inf * 0 is NaN
    np.testing.assert_array_equal(params[1].grad.numpy(), [0.0])
    params = _params([[1.0, np.nan]])
    assert math.isnan(nn.utils.clip_grad_norm_(params, 1.0).item())
    assert np.isnan(params[0].grad.numpy()).all()
    params = _params([[1.0, np.nan]])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is nan"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, np.nan])  # left as they were


def test_parameters_without_grads_are_skipped_and_a_single_tensor_is_accepted():
    with_grad, without = _params([[3.0, 4.0]])[0], mg.zeros(2, requires_grad=True)
    total = nn.utils.clip_grad_norm_([with_grad, without], 1.0)
    assert total.item() == 5.0 and without.grad is None
    np.testing.assert_allclose(with_grad.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    assert nn.utils.clip_grad_norm_(without, 1.0).item() == 0.0
    single = _params([[3.0, 4.0]])[0]
    assert nn.utils.clip_grad_norm_(single, 10.0).item() == 5.0


def test_clip_grad_value_clamps_in_place_and_keeps_nan():
    params = _params([[-3.0, 0.2, np.nan], [5.0]])
    nn.utils.clip_grad_value_(params, 0.5)
    np.testing.assert_array_equal(params[0].grad.numpy(), [-0.5, 0.2, np.nan])
    np.testing.assert_array_equal(params[1].grad.numpy(), [0.5])


def test_bad_arguments_are_refused():
    params = _params([[1.0]])
    with pytest.raises(ValueError, match=r"clip_grad_norm_: norm_type must be a number >= 0, got -1"):
        nn.utils.clip_grad_norm_(params, 1.0, norm_type=-1)
    with pytest.raises(ValueError, match="clip_grad_norm_: norm_type must be a number, got str 'two'"):
        nn.utils.clip_grad_norm_(params, 1.0, norm_type="two")
    with pytest.raises(TypeError, match="clip_grad_norm_ takes Tensors .* got ndarray"):
        nn.utils.clip_grad_norm_([np.ones(2)], 1.0)
    with pytest.raises(ValueError, match="clip_grad_value_: clip_value must be a number >= 0, got -0.5"):
        nn.utils.clip_grad_value_(params, -0.5)


@pytest.mark.gpu
def test_clip_grad_norm_matches(rng):
    grads = [rng.standard_normal((40, 30)), rng.standard_normal(30)]
    totals = []
    for device in ("cpu", "cuda"):
        params = [mg.zeros(*g.shape, dtype="float64", requires_grad=True, device=device) for g in grads]
        for p, g in zip(params, grads):
            p.grad = mg.tensor(g, device=device)
        totals.append([nn.utils.clip_grad_norm_(params, 1.0).numpy()] + [p.grad.numpy() for p in params])
    for a, b in zip(*totals):
        np.testing.assert_allclose(b, a, rtol=1e-12)
