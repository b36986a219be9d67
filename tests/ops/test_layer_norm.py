"""LayerNorm through F.layer_norm and nn.LayerNorm: float64 references, gradcheck, float32, bad
input."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


def reference_layer_norm(x, normalized_ndim, weight, bias, eps=1e-5):
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


@pytest.mark.parametrize("shape, normalized_shape", [((6, 5), (5,)), ((3, 4, 7), (7,)), ((2, 3, 4, 5), (4, 5)),
                                                     ((6,), 6)])
def test_forward_matches_reference_and_gradchecks(shape, normalized_shape, rng, device):
    x = rng.standard_normal(shape) * 2 + 1
    affine_shape = shape[-len(np.atleast_1d(normalized_shape)):]
    w, b = rng.uniform(0.5, 1.5, affine_shape), rng.standard_normal(affine_shape)
    tx, tw, tb = (mg.tensor(a, requires_grad=True, device=device) for a in (x, w, b))
    y = F.layer_norm(tx, normalized_shape, tw, tb, eps=1e-3)
    np.testing.assert_allclose(y.numpy(), reference_layer_norm(x, len(affine_shape), w, b, 1e-3), rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda a, g, h: F.layer_norm(a, normalized_shape, g, h), [tx, tw, tb])
    assert mg.gradcheck(lambda a: F.layer_norm(a, normalized_shape), [tx])
    assert mg.gradcheck(lambda a, g: F.layer_norm(a, normalized_shape, weight=g), [tx, tw])
    assert mg.gradcheck(lambda a, h: F.layer_norm(a, normalized_shape, bias=h), [tx, tb])


def test_float32_within_tolerance_of_the_float64_reference(rng, device):
    x = rng.standard_normal((64, 33)) * 5 + 100
    w, b = rng.uniform(0.5, 1.5, 33), rng.standard_normal(33)
    tx, tw, tb = (mg.tensor(a, dtype="float32", requires_grad=True, device=device) for a in (x, w, b))
    y = F.layer_norm(tx, 33, tw, tb)
    assert y.dtype == np.float32
    x32 = x.astype(np.float32).astype(np.float64)  # the float32 input's exact values
    np.testing.assert_allclose(y.numpy(), reference_layer_norm(x32, 1, w.astype(np.float32), b.astype(np.float32)),
                               rtol=1e-5, atol=1e-5)
    y.sum().backward()
    assert tx.grad.dtype == tw.grad.dtype == np.float32
    w32 = w.astype(np.float32).astype(np.float64)
    mean, var = x32.mean(axis=1, keepdims=True), x32.var(axis=1, keepdims=True)
    invstd = 1 / np.sqrt(var + 1e-5)
    xhat = (x32 - mean) * invstd
    expected_gx = invstd * (w32 - w32.mean() - xhat * (w32 * xhat).mean(axis=1, keepdims=True))
    np.testing.assert_allclose(tx.grad.numpy(), expected_gx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(tw.grad.numpy(), xhat.sum(axis=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tb.grad.numpy(), 64)


def test_gradient_only_for_inputs_that_require_it(rng):
    tx = mg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    tw, tb = mg.ones(3, dtype="float64"), mg.zeros(3, dtype="float64", requires_grad=True)
    F.layer_norm(tx, 3, tw, tb).sum().backward()
    assert tw.grad is None and tb.grad is not None and tx.grad is not None


@pytest.mark.parametrize("call, error, match", [
    (lambda x: F.layer_norm(x, (4,)), ValueError, "normalized_shape=\\(4,\\) must equal the input's last 1 dim"),
    (lambda x: F.layer_norm(x, (3, 2)), ValueError, "last 2 dimension"),
    (lambda x: F.layer_norm(x, (0,)), ValueError, "non-empty tuple of positive ints"),
    (lambda x: F.layer_norm(x, ()), ValueError, "non-empty tuple of positive ints"),
    (lambda x: F.layer_norm(x, 3.0), TypeError, "an int or a tuple of ints"),
    (lambda x: F.layer_norm(x, 3, eps=0), ValueError, "eps must be a number > 0"),
    (lambda x: F.layer_norm(x, 3, weight=mg.ones(4, dtype="float64")), ValueError, "weight must have shape"),
    (lambda x: F.layer_norm(x, 3, bias=mg.ones(3)), TypeError, "input is float64 but bias is float32"),
    (lambda x: F.layer_norm(x.data, 3), TypeError, "layer_norm takes a Tensor"),
])
def test_bad_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.tensor(np.ones((2, 3))))


def test_module_parameters_state_and_repr():
    norm = nn.LayerNorm((4, 5))
    assert repr(norm) == "LayerNorm((4, 5), eps=1e-05, elementwise_affine=True)"
    assert list(norm.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(norm.weight.numpy(), np.ones((4, 5)))
    np.testing.assert_array_equal(norm.bias.numpy(), np.zeros((4, 5)))
    x = mg.randn(3, 4, 5)
    np.testing.assert_allclose(norm(x).numpy(), reference_layer_norm(x.numpy().astype(np.float64), 2, 1, 0),
                               rtol=1e-5, atol=1e-5)
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    bare = nn.LayerNorm(4, elementwise_affine=False)
    assert bare.weight is None and bare.bias is None and list(bare.parameters()) == []
    with pytest.raises(ValueError, match="eps must be a number > 0"):
        nn.LayerNorm(4, eps=-1)
    with pytest.raises(ValueError, match="must equal the input's last"):
        norm(mg.randn(3, 5, 4))
