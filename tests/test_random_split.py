"""data.random_split (counts and fractions, PyTorch's remainder rule, seeding) and Subset."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, Subset, TensorDataset, random_split


def _dataset(n):
    return TensorDataset(np.arange(n, dtype=np.float32), np.arange(n) % 3)


def test_counts_split_a_permutation_without_overlap():
    subsets = random_split(_dataset(10), [3, 0, 7])
    assert [len(s) for s in subsets] == [3, 0, 7]
    indices = sorted(int(s[i][0]) for s in subsets for i in range(len(s)))
    assert indices == list(range(10))


@pytest.mark.parametrize("n, fractions, expected", [(10, [0.33, 0.33, 0.34], [4, 3, 3]), (10, [0.5, 0.5], [5, 5]),
                                                    (7, [0.2, 0.8], [2, 5]), (5, [0.1, 0.1, 0.8], [1, 0, 4])])
def test_fractions_floor_then_hand_out_the_remainder_round_robin(n, fractions, expected):
    assert [len(s) for s in random_split(_dataset(n), fractions)] == expected


def test_seeded_by_manual_seed_or_a_generator():
    mg.manual_seed(5)
    first = random_split(_dataset(20), [0.5, 0.5])[0].indices
    mg.manual_seed(5)
    assert random_split(_dataset(20), [0.5, 0.5])[0].indices == first
    a = random_split(_dataset(20), [10, 10], generator=np.random.default_rng(1))
    b = random_split(_dataset(20), [10, 10], generator=np.random.default_rng(1))
    assert a[1].indices == b[1].indices
    assert a[0].indices == np.random.default_rng(1).permutation(20)[:10].tolist()


def test_subset_indexes_through_and_batches_in_a_dataloader():
    subset = Subset(_dataset(10), [9, 2, 4])
    assert len(subset) == 3 and float(subset[0][0]) == 9.0
    assert [float(x) for x, _ in subset[[1, 2]]] == [2.0, 4.0]
    xb, yb = next(iter(DataLoader(subset, batch_size=3)))
    np.testing.assert_array_equal(xb.numpy(), [9.0, 2.0, 4.0])
    np.testing.assert_array_equal(yb.numpy(), [0, 2, 1])


@pytest.mark.parametrize("lengths, error, match", [
    ([3, 3], ValueError, "must be counts that sum to the dataset's length 10 or fractions that sum to 1"),
    ([0.5, 0.6], ValueError, "fractions that sum to 1"),
    ([5, -1, 6], ValueError, r"random_split: lengths\[1\] must be a number >= 0, got -1"),
    ([5, "5"], TypeError, r"random_split: lengths\[1\] must be a number, got str '5'"),
    ([], ValueError, r"random_split: lengths must be non-negative counts or fractions, got \[\]"),
])
def test_bad_lengths_are_clear_errors(lengths, error, match):
    with pytest.raises(error, match=match):
        random_split(_dataset(10), lengths)
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator"):
        random_split(_dataset(10), [5, 5], generator=1)
