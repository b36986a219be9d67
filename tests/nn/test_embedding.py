"""F.embedding and nn.Embedding: lookups and gradients against float64 references written here
(a loop over positions), gradcheck, float32, torch's initialisation, padding_idx, from_pretrained,
and the inputs they must refuse."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim


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
    np.testing.assert_allclose(y.numpy(), ref_y, rtol=0, atol=0)
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
    np.testing.assert_allclose(y.numpy(), ref_y, rtol=1e-6, atol=1e-6)
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
    (lambda w: nn.Embedding(5, 3, max_norm=1.0), NotImplementedError, "max_norm .* is not supported"),
    (lambda w: nn.Embedding(5, 3, sparse=True), NotImplementedError, "sparse=True are not supported"),
    (lambda w: nn.Embedding(0, 3), ValueError, "Embedding: num_embeddings must be a positive int, got 0"),
    (lambda w: nn.Embedding(5, 2.5), TypeError, "Embedding: embedding_dim must be a positive int"),
    (lambda w: nn.Embedding(5, 3, padding_idx=7), ValueError, "Embedding: padding_idx must be within"),
    (lambda w: nn.Embedding.from_pretrained(mg.randn(5)), ValueError, "embeddings must be 2-D"),
    (lambda w: nn.Embedding.from_pretrained(mg.ones(2, 2, dtype=mg.int64)), TypeError, "float32 or float64"),
])
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.randn(5, 3))


def test_module_initialises_as_torch_from_the_seeded_generator(device):
    mg.manual_seed(7)
    layer = nn.Embedding(10, 4, padding_idx=-3, device=device)
    expected = np.random.default_rng(7).normal(0.0, 1.0, (10, 4))  # N(0, 1) from mg.manual_seed's generator
    expected[7] = 0.0  # the padding row, -3 counted from the end
    assert layer.padding_idx == 7 and layer.weight.dtype == np.float32 and layer.weight.requires_grad
    np.testing.assert_allclose(layer.weight.numpy(), expected, rtol=1e-6)
    big = nn.Embedding(1000, 64).weight.numpy()
    assert abs(big.mean()) < 0.02 and abs(big.std() - 1) < 0.02
    assert nn.Embedding(3, 2, dtype=mg.float64).weight.dtype == np.float64


def test_module_forward_repr_and_state_dict(device):
    layer = nn.Embedding(6, 3, padding_idx=0, device=device)
    x = mg.tensor([[0, 5], [2, 2]], device=device)
    np.testing.assert_array_equal(layer(x).numpy(), layer.weight.numpy()[[[0, 5], [2, 2]]])
    assert repr(layer) == "Embedding(6, 3, padding_idx=0)" and repr(nn.Embedding(4, 2)) == "Embedding(4, 2)"
    assert list(layer.state_dict()) == ["weight"]


def test_from_pretrained_freezes_and_keeps_the_given_rows(device):
    vectors = mg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device)
    frozen = nn.Embedding.from_pretrained(vectors)
    assert not frozen.weight.requires_grad and (frozen.num_embeddings, frozen.embedding_dim) == (3, 2)
    np.testing.assert_array_equal(frozen(mg.tensor([2, 0], device=device)).numpy(), [[5, 6], [1, 2]])
    trainable = nn.Embedding.from_pretrained(vectors, freeze=False, padding_idx=1)
    np.testing.assert_array_equal(trainable.weight.numpy()[1], [3, 4])  # the padding row is not zeroed
    trainable(mg.tensor([1, 1, 2], device=device)).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy(), [[0, 0], [0, 0], [1, 1]])


def test_an_embedding_bag_of_words_classifier_learns_and_the_padding_row_stays_zero(rng):
    # class = whether token 1 appears in the sequence; token 0 pads
    tokens = rng.integers(1, 8, size=(64, 6))
    tokens[rng.random((64, 6)) < 0.3] = 0
    labels = (tokens == 1).any(axis=1).astype(np.int64)
    model_embed, head = nn.Embedding(8, 8, padding_idx=0), nn.Linear(8, 2)
    opt = optim.Adam(list(model_embed.parameters()) + list(head.parameters()), lr=0.05)
    x, t = mg.tensor(tokens), mg.tensor(labels)
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(head(model_embed(x).sum(1)), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    np.testing.assert_array_equal(model_embed.weight.numpy()[0], 0)
