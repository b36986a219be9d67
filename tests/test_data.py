"""minigrad/data/ (dataset.py, sampler.py, dataloader.py): DataLoader batching and shuffling, TensorDataset,
random_split (counts and fractions, PyTorch's remainder rule, seeding) and Subset, DistributedSampler (torch's strided split, padding and
drop_last) and DataLoader(sampler=)."""
import math
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, Dataset, DistributedSampler, Subset, TensorDataset, random_split


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


def test_seed_zero_is_a_seed():
    # seed=0 fixes the order: it must not fall back to the generator that mg.manual_seed seeds
    def order(global_seed):
        mg.manual_seed(global_seed)
        return np.concatenate([b[1].numpy() for b in DataLoader(_dataset(30), batch_size=4, shuffle=True, seed=0)])
    np.testing.assert_array_equal(order(1), order(2))
    assert (order(1) != np.arange(30)).any()


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


def _range_dataset(n):
    return TensorDataset(np.arange(n, dtype=np.float32), np.arange(n) % 3)


def test_counts_split_a_permutation_without_overlap():
    subsets = random_split(_range_dataset(10), [3, 0, 7])
    assert [len(s) for s in subsets] == [3, 0, 7]
    indices = sorted(int(s[i][0]) for s in subsets for i in range(len(s)))
    assert indices == list(range(10))


@pytest.mark.parametrize("n, fractions, expected", [(10, [0.33, 0.33, 0.34], [4, 3, 3]), (10, [0.5, 0.5], [5, 5]),
                                                    (7, [0.2, 0.8], [2, 5]), (5, [0.1, 0.1, 0.8], [1, 0, 4])])
def test_fractions_floor_then_hand_out_the_remainder_round_robin(n, fractions, expected):
    assert [len(s) for s in random_split(_range_dataset(n), fractions)] == expected


def test_seeded_by_manual_seed_or_a_generator():
    mg.manual_seed(5)
    first = random_split(_range_dataset(20), [0.5, 0.5])[0].indices
    mg.manual_seed(5)
    assert random_split(_range_dataset(20), [0.5, 0.5])[0].indices == first
    a = random_split(_range_dataset(20), [10, 10], generator=np.random.default_rng(1))
    b = random_split(_range_dataset(20), [10, 10], generator=np.random.default_rng(1))
    assert a[1].indices == b[1].indices
    assert a[0].indices == np.random.default_rng(1).permutation(20)[:10].tolist()


def test_subset_indexes_through_and_batches_in_a_dataloader():
    subset = Subset(_range_dataset(10), [9, 2, 4])
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
        random_split(_range_dataset(10), lengths)
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator"):
        random_split(_range_dataset(10), [5, 5], generator=1)


def torch_rule(n, replicas, rank, drop_last, order):
    """torch.utils.data.DistributedSampler's index rule written out on a given order."""
    indices = list(order)
    if drop_last and n % replicas:
        num_samples = math.ceil((n - replicas) / replicas)
    else:
        num_samples = math.ceil(n / replicas)
    total = num_samples * replicas
    if not drop_last:
        padding = total - len(indices)
        if padding <= len(indices):
            indices += indices[:padding]
        else:
            indices += (indices * math.ceil(padding / len(indices)))[:padding]
    else:
        indices = indices[:total]
    return indices[rank:total:replicas]


@pytest.mark.parametrize("n,replicas", [(10, 3), (12, 4), (2, 5), (7, 1), (5, 2)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_split_follows_torch_rule(n, replicas, drop_last):
    for rank in range(replicas):
        sampler = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        expected = torch_rule(n, replicas, rank, drop_last, range(n))
        assert list(sampler) == expected and len(sampler) == len(expected)


def test_shuffled_ranks_partition_one_permutation_that_changes_with_the_epoch():
    n, replicas = 23, 4
    samplers = [DistributedSampler(range(n), num_replicas=replicas, rank=r, seed=11) for r in range(replicas)]
    first = [list(s) for s in samplers]
    order = list(np.random.default_rng(11).permutation(n))
    assert first == [torch_rule(n, replicas, r, False, order) for r in range(replicas)]
    assert sorted(set(sum(first, []))) == list(range(n))  # every sample, padding repeats a few
    assert sum(len(f) for f in first) == 24
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert second != first and sorted(set(sum(second, []))) == list(range(n))
    assert [list(s) for s in samplers] == second  # the same epoch gives the same order


def test_the_ranks_batches_together_are_the_global_batches():
    n, replicas, per_rank = 24, 3, 2
    dataset = TensorDataset(np.arange(n, dtype=np.float64))
    global_batches = [b[0].numpy() for b in DataLoader(dataset, batch_size=per_rank * replicas,
                                                       sampler=DistributedSampler(dataset, 1, 0, seed=4))]
    rank_batches = [[b[0].numpy() for b in DataLoader(dataset, batch_size=per_rank,
                                                      sampler=DistributedSampler(dataset, replicas, r, seed=4))]
                    for r in range(replicas)]
    for step, expected in enumerate(global_batches):
        together = np.concatenate([rank_batches[r][step] for r in range(replicas)])
        assert sorted(together) == sorted(expected)


def test_dataloader_sampler_order_length_and_exclusion_of_shuffle():
    dataset = TensorDataset(np.arange(10, dtype=np.float32))
    loader = DataLoader(dataset, batch_size=3, sampler=[9, 2, 5, 0])
    assert len(loader) == 2
    assert [b[0].numpy().tolist() for b in loader] == [[9.0, 2.0, 5.0], [0.0]]
    assert len(DataLoader(dataset, batch_size=3, sampler=[9, 2, 5, 0], drop_last=True)) == 1
    with pytest.raises(ValueError, match="sampler and shuffle=True are mutually exclusive"):
        DataLoader(dataset, batch_size=3, shuffle=True, sampler=[1, 2])
    with pytest.raises(TypeError, match="sampler must be an iterable of indices with __len__"):
        DataLoader(dataset, sampler=3)


def test_distributed_sampler_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"rank must be in \[0, 1\], got 2"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="DistributedSampler: num_replicas must be an int >= 1, got 0"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="DistributedSampler: rank must be an int, got float 1.0"):
        DistributedSampler(range(4), num_replicas=2, rank=1.0)
    with pytest.raises(TypeError, match="needs a dataset with __len__"):
        DistributedSampler(iter([]), num_replicas=1, rank=0)
    with pytest.raises(TypeError, match="DistributedSampler.set_epoch: epoch must be an int, got str '1'"):
        DistributedSampler(range(4), num_replicas=1, rank=0).set_epoch("1")
    with pytest.raises(RuntimeError, match="pass num_replicas= and rank=, or call"):
        DistributedSampler(range(4))


class _ListDataset(Dataset):
    """A plain (not Tensor) dataset, indexed one example at a time."""

    def __getitem__(self, index):
        return (np.float32(index),)

    def __len__(self):
        return 4


@pytest.mark.parametrize("dataset", [TensorDataset(np.arange(4, dtype=np.float32)), _ListDataset()],
                         ids=["TensorDataset", "Dataset"])
@pytest.mark.parametrize("bad", [0.5, 1.7, 2.2, 1.0, np.float64(2.0), True, "1", None])
def test_a_sampler_giving_a_non_integer_index_is_an_index_error_naming_it(dataset, bad):
    # NumPy indexing refuses floats, whole or not (torch too); they were truncated to 0, 1, 2 before
    loader = DataLoader(dataset, batch_size=2, sampler=[0, bad, 3])
    with pytest.raises(IndexError, match=rf"DataLoader: the sampler gave index {re.escape(repr(bad))} "
                                         rf"\({type(bad).__name__}\) at position 1; indices must be integers"):
        list(loader)


def test_a_sampler_may_give_numpy_integers():
    loader = DataLoader(TensorDataset(np.arange(4, dtype=np.float32)), batch_size=2,
                        sampler=[np.int32(3), np.uint8(0), np.int64(2), 1])
    assert [b[0].numpy().tolist() for b in loader] == [[3.0, 0.0], [2.0, 1.0]]
