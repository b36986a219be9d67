import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, Dataset, TensorDataset


def _dataset(n=10):
    return TensorDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))


def test_batches_in_order_with_a_short_last_batch():
    batches = list(DataLoader(_dataset(), batch_size=4))
    assert [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), np.arange(10))
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64
    assert len(DataLoader(_dataset(), batch_size=4)) == 3


def test_drop_last_drops_the_short_batch():
    loader = DataLoader(_dataset(), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[1].shape for b in loader] == [(4,), (4,)]


def test_shuffle_is_a_permutation_deterministic_by_seed_and_new_each_epoch():
    loader = DataLoader(_dataset(50), batch_size=7, shuffle=True, seed=3)
    first = np.concatenate([b[1].numpy() for b in loader])
    second = np.concatenate([b[1].numpy() for b in loader])
    assert sorted(first) == list(range(50)) and (first != np.arange(50)).any()
    assert (first != second).any()
    again = DataLoader(_dataset(50), batch_size=7, shuffle=True, seed=3)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in again]), first)
    rows = np.concatenate([b[0].numpy() for b in DataLoader(_dataset(50), batch_size=7, shuffle=True, seed=3)])
    np.testing.assert_array_equal(rows[:, 0] / 2, first)  # features stay with their labels


def test_shuffle_without_seed_follows_manual_seed():
    def order():
        mg.manual_seed(9)
        return np.concatenate([b[1].numpy() for b in DataLoader(_dataset(20), batch_size=5, shuffle=True)])

    np.testing.assert_array_equal(order(), order())


def test_a_plain_dataset_is_collated():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float64), i

    (x, y), = list(DataLoader(Squares(), batch_size=5))
    np.testing.assert_array_equal(x.numpy()[:, 1], [0, 1, 4, 9, 16])
    np.testing.assert_array_equal(y.numpy(), np.arange(5))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="DataLoader: batch_size must be a positive int, got 0"):
        DataLoader(_dataset(), batch_size=0)
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(42)
    with pytest.raises(ValueError, match="same first dimension, got \\[3, 4\\]"):
        TensorDataset(np.zeros(3), np.zeros(4))
