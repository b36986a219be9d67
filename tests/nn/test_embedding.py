"""nn.Embedding: torch's initialisation, forward, repr and state dict, from_pretrained, a small
classifier that learns, and the arguments it must refuse (F.embedding's tests: tests/ops/test_embedding.py)."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim


@pytest.mark.parametrize("call, error, match", [
    (lambda w: nn.Embedding(5, 3, max_norm=1.0), NotImplementedError, "max_norm .* is not supported"),
    (lambda w: nn.Embedding(5, 3, sparse=True), NotImplementedError, "sparse=True are not supported"),
    (lambda w: nn.Embedding(0, 3), ValueError, "Embedding: num_embeddings must be a positive int, got 0"),
    (lambda w: nn.Embedding(5, 2.5), TypeError, "Embedding: embedding_dim must be a positive int"),
    (lambda w: nn.Embedding(5, 3, padding_idx=7), ValueError, "Embedding: padding_idx must be within"),
    (lambda w: nn.Embedding.from_pretrained(mg.randn(5)), ValueError, "embeddings must be 2-D"),
    (lambda w: nn.Embedding.from_pretrained(mg.ones(2, 2, dtype=mg.int64)), TypeError, "float32 or float64"),
])
def test_module_refuses_bad_arguments(call, error, match):
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
