"""F.embedding: lookups and gradients against a float64 reference written here (a loop over
positions), gradcheck, float32, padding_idx, and the inputs it must refuse. F.one_hot: int64, the
inferred class count, and its refusals."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F


def reference_embedding(weight, indices, gy, padding_idx=None):
    """(y, gw) in float64: y[pos] = weight[indices[pos]]; gw[i] sums gy over the positions that
    picked row i, except the padding_idx row, which gets nothing."""
    y = np.zeros(indices.shape + (weight.shape[1],))
    gw = np.zeros_like(weight)
    for pos in np.ndindex(*indices.shape):
        row = indices[pos]
        y[pos] = weight[row]
        if row != padding_idx:
            gw[row] += gy[pos]
    return y, gw


@pytest.mark.parametrize("index_shape", [(), (5,), (3, 4), (2, 3, 2)])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_reference_and_gradchecks(index_shape, padding_idx, rng, device):
    weight = rng.standard_normal((6, 4))
    indices = rng.integers(0, 6, size=index_shape)
    indices.reshape(-1)[:2] = 2  # a repeated index, which is also padding_idx=2
    tw = mg.tensor(weight, requires_grad=True, device=device)
    ti = mg.tensor(indices, device=device)
    assert ti.dtype == np.int64
    y = F.embedding(ti, tw, padding_idx=padding_idx)
    assert y.shape == index_shape + (4,) and y.dtype == np.float64
    gy = rng.standard_normal(y.shape)
    y.backward(mg.tensor(gy, device=device))
    ref_y, ref_gw = reference_embedding(weight, indices, gy, None if padding_idx is None else padding_idx % 6)
    np.testing.assert_allclose(y.detach().numpy(), ref_y, rtol=0, atol=0)
    np.testing.assert_allclose(tw.grad.numpy(), ref_gw, rtol=1e-12, atol=1e-15)
    # the padding row's zero gradient is torch's rule, not the derivative, so gradcheck runs without it
    assert mg.gradcheck(lambda w: F.embedding(ti, w), [tw])


def test_repeated_indices_add_their_gradients_and_padding_rows_get_none(device):
    weight = mg.ones(4, 2, dtype=mg.float64, requires_grad=True, device=device)
    indices = mg.tensor([[1, 1, 3], [1, 0, 0]], device=device)
    F.embedding(indices, weight, padding_idx=0).sum().backward()
    np.testing.assert_array_equal(weight.grad.numpy(), [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_indices_changed_in_place_before_backward_are_detected(device):
    # backward reads the indices again: changed ones would send the gradient to rows never picked
    weight = mg.ones(4, 2, dtype=mg.float64, requires_grad=True, device=device)
    indices = mg.tensor([0, 1], device=device)
    y = F.embedding(indices, weight)
    with mg.no_grad():
        indices[0] = 2
    with pytest.raises(RuntimeError, match="EmbeddingOp"):
        y.sum().backward()


def test_float32_within_tolerance_and_int32_indices(rng, device):
    weight = rng.standard_normal((7, 5)).astype(np.float32)
    indices = rng.integers(0, 7, size=(4, 6))
    tw = mg.tensor(weight, requires_grad=True, device=device)
    y = F.embedding(mg.tensor(indices.astype(np.int32), device=device), tw)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(mg.tensor(gy, device=device))
    ref_y, ref_gw = reference_embedding(weight.astype(np.float64), indices, gy.astype(np.float64))
    assert y.dtype == tw.grad.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), ref_y, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(tw.grad.numpy(), ref_gw, rtol=1e-5, atol=1e-5)  # float32 sums of up to 24 terms


@pytest.mark.parametrize("indices, error, match", [
    ([0, 5, 2], IndexError, r"indices must be in \[0, 5\) for a weight of 5 embeddings, got values in \[0, 5\]"),
    ([[-1, 3]], IndexError, r"indices must be in \[0, 5\) .* got values in \[-1, 3\]"),
    (np.array([0.0, 1.0]), TypeError, "indices must be int64 \\(or int32\\), got float64"),
])
def test_embedding_refuses_bad_indices(indices, error, match):
    with pytest.raises(error, match=match):
        F.embedding(mg.tensor(indices), mg.randn(5, 3))


@pytest.mark.parametrize("call, error, match", [
    (lambda w: F.embedding(mg.tensor([0]), mg.randn(5)), ValueError, r"weight must be 2-D .* got shape \(5,\)"),
    (lambda w: F.embedding(mg.tensor([0]), mg.ones(5, 3, dtype=mg.int64)), TypeError, "must be float32 or float64"),
    (lambda w: F.embedding([0, 1], w), TypeError, "embedding takes Tensors"),
    (lambda w: F.embedding(mg.tensor([0]), w, padding_idx=5), ValueError,
     r"padding_idx must be within num_embeddings: in \[-5, 5\), got 5"),
    (lambda w: F.embedding(mg.tensor([0]), w, padding_idx=-6), ValueError, "padding_idx must be within"),
    (lambda w: F.embedding(mg.tensor([0]), w, max_norm=1.0), NotImplementedError, "max_norm"),
])
def test_embedding_refuses_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.randn(5, 3))


def test_one_hot_is_int64_and_infers_the_class_count():
    labels = mg.tensor(np.array([[0, 2], [1, 2]]))
    encoded = F.one_hot(labels)
    assert encoded.dtype == np.int64 and encoded.shape == (2, 2, 3) and not encoded.requires_grad
    np.testing.assert_array_equal(encoded.numpy(), np.eye(3, dtype=np.int64)[labels.numpy()])
    assert F.one_hot(np.array([1]), num_classes=4).numpy().tolist() == [[0, 1, 0, 0]]


@pytest.mark.parametrize("labels, num_classes, error, match", [
    (np.array([0, 3]), 3, ValueError, "smaller than num_classes=3, got 3"),
    (np.array([-1, 0]), -1, ValueError, "must be non-negative, got -1"),
    (np.array([0.0, 1.0]), -1, TypeError, "integer class indices"),
    (np.array([0, 1]), -2, ValueError, "one_hot: num_classes must be an int >= -1, got -2"),
    (np.zeros(0, dtype=np.int64), -1, ValueError, "cannot infer num_classes from an empty tensor"),
])
def test_one_hot_refuses_bad_input(labels, num_classes, error, match):
    with pytest.raises(error, match=match):
        F.one_hot(mg.tensor(labels), num_classes)
