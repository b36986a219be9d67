"""minigrad/data/sampler.py and the new datasets: torch's rules for each sampler (the lengths, what a
permutation or a batch holds, the distributions of the random ones with fixed seeds), ConcatDataset,
and a DataLoader driven by a sampler or a batch_sampler."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, IterableDataset, RandomSampler, Sampler,
                           SequentialSampler, SubsetRandomSampler, TensorDataset, WeightedRandomSampler)


def _rng(seed=0):
    return np.random.default_rng(seed)


def test_sequential_and_batch_samplers_follow_torch_docs():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3] and len(SequentialSampler(range(4))) == 4
    assert list(BatchSampler(SequentialSampler(range(10)), 3, False)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(SequentialSampler(range(10)), 3, True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(BatchSampler(range(10), 3, False)) == 4 and len(BatchSampler(range(10), 3, True)) == 3
    with pytest.raises(ValueError, match="BatchSampler: batch_size must be a positive int, got 0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(TypeError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)
    with pytest.raises(NotImplementedError, match="Sampler must implement __iter__"):
        iter(Sampler())


def test_random_sampler_permutes_or_draws_uniformly():
    order = list(RandomSampler(range(10), generator=_rng()))
    assert sorted(order) == list(range(10)) and order != list(range(10))
    assert list(RandomSampler(range(10), generator=_rng())) == order  # a fixed generator, a fixed order
    # more samples than examples, without replacement: whole permutations, then part of one (torch's rule)
    long = list(RandomSampler(range(4), num_samples=10, generator=_rng()))
    assert len(long) == 10 and sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3] and len(set(long[8:])) == 2
    draws = np.array(list(RandomSampler(range(4), replacement=True, num_samples=40000, generator=_rng())))
    counts = np.bincount(draws, minlength=4)
    assert np.all(np.abs(counts - 10000) < 4 * np.sqrt(40000 * 0.25 * 0.75))  # 4 sigma of a binomial
    assert len(RandomSampler(range(4), replacement=True, num_samples=7)) == 7
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="RandomSampler: num_samples must be a positive int, got 0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="RandomSampler: generator must be a numpy.random.Generator or None, got int"):
        RandomSampler(range(3), generator=1)


def test_subset_random_sampler_permutes_the_given_indices():
    sampler = SubsetRandomSampler([10, 20, 30, 40], generator=_rng(1))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == [10, 20, 30, 40] and len(sampler) == 4
    assert first != second or first != [10, 20, 30, 40]


WEIGHTS = np.array([1.0, 2.0, 3.0, 0.0, 4.0])


def test_weighted_sampler_with_replacement_draws_in_proportion_to_the_weights():
    n = 50000
    draws = np.array(list(WeightedRandomSampler(WEIGHTS, n, generator=_rng())))
    p = WEIGHTS / WEIGHTS.sum()
    counts = np.bincount(draws, minlength=5)
    assert counts[3] == 0 and np.all(np.abs(counts - n * p) <= 4 * np.sqrt(n * p * (1 - p)) + 1e-9)


def test_weighted_sampler_without_replacement_draws_each_index_once_in_torch_multinomials_order():
    # torch.multinomial without replacement: each draw in proportion to the weights not yet drawn
    trials, rng = 20000, _rng(2)
    sampler = WeightedRandomSampler(WEIGHTS, 2, replacement=False, generator=rng)
    pairs = np.array([list(sampler) for _ in range(trials)])
    assert (pairs[:, 0] != pairs[:, 1]).all() and not (pairs == 3).any()
    total = WEIGHTS.sum()
    first = WEIGHTS / total
    second = np.array([sum(WEIGHTS[i] / total * WEIGHTS[j] / (total - WEIGHTS[i]) for i in range(5) if i != j)
                       for j in range(5)])
    for column, p in ((0, first), (1, second)):
        counts = np.bincount(pairs[:, column], minlength=5)
        assert np.all(np.abs(counts - trials * p) <= 4 * np.sqrt(trials * p * (1 - p)) + 1e-9)


def test_weighted_sampler_refuses_bad_weights():
    with pytest.raises(ValueError, match="weights should be a 1d sequence but given weights have shape \\(2, 2\\)"):
        WeightedRandomSampler(np.ones((2, 2)), 2)
    with pytest.raises(ValueError, match="weights must be finite and non-negative"):
        WeightedRandomSampler([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement from 2 non-zero weights"):
        WeightedRandomSampler([1.0, 0.0, 1.0], 3, replacement=False)
    with pytest.raises(ValueError, match="the weights sum to 0"):
        WeightedRandomSampler([0.0, 0.0], 1)
    with pytest.raises(ValueError, match="WeightedRandomSampler: num_samples must be a positive int, got 0"):
        WeightedRandomSampler([1.0], 0)


def test_dataloader_with_a_weighted_sampler_or_a_batch_sampler():
    dataset = TensorDataset(np.arange(5, dtype=np.float32))
    loader = DataLoader(dataset, batch_size=4, sampler=WeightedRandomSampler([0, 0, 1, 0, 0], 8))
    assert len(loader) == 2 and all((b[0].numpy() == 2).all() for b in loader)
    batches = DataLoader(dataset, batch_sampler=[[4, 0], [1, 2, 3]])
    assert [b[0].numpy().tolist() for b in batches] == [[4.0, 0.0], [1.0, 2.0, 3.0]] and len(batches) == 2
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive with batch_size, shuffle"):
        DataLoader(dataset, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(IndexError, match=r"the sampler gave index 1.5 \(float\) at position 2; indices must be "
                                         r"integers"):
        list(DataLoader(dataset, batch_sampler=[[4, 0], [1.5]]))


def test_concat_dataset_indexes_across_its_parts():
    a, b = TensorDataset(np.arange(3.0)), TensorDataset(np.arange(10.0, 12.0))
    both = ConcatDataset([a, b])
    assert len(both) == 5 and both.cumulative_sizes == [3, 5]
    assert [float(both[i][0]) for i in range(5)] == [0.0, 1.0, 2.0, 10.0, 11.0] and float(both[-1][0]) == 11.0
    assert len(a + b) == 5
    assert [batch[0].numpy().tolist() for batch in DataLoader(both, batch_size=2)] == [[0, 1], [2, 10], [11]]
    with pytest.raises(IndexError, match="index 5 is out of range for length 5"):
        both[5]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        both[-6]
    with pytest.raises(ValueError, match="datasets should not be an empty iterable"):
        ConcatDataset([])


class _Count(IterableDataset):
    def __iter__(self):
        return iter(range(5))


def test_an_iterable_dataset_batches_its_stream_and_refuses_an_order():
    assert [b.numpy().tolist() for b in DataLoader(_Count(), batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert [b.numpy().tolist() for b in DataLoader(_Count(), batch_size=2, drop_last=True)] == [[0, 1], [2, 3]]
    assert list(DataLoader(_Count(), batch_size=None)) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified shuffle"):
        DataLoader(_Count(), shuffle=True)
    with pytest.raises(TypeError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([_Count()])


class _Tiny(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, index):
        return np.float32(index)


@pytest.mark.skipif(mg.cuda.is_available(), reason="a GPU is present: no warning")
def test_pin_memory_is_accepted_and_warns_at_each_epoch_without_a_gpu():
    loader = DataLoader(_Tiny(), batch_size=2, pin_memory=True)  # torch warns when an epoch starts, not here
    for _ in range(2):
        with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
            assert next(iter(loader)).numpy().tolist() == [0.0, 1.0]


def test_dataloader_generator_gives_the_order_of_the_same_seed():
    dataset = TensorDataset(np.arange(20))
    by_seed = [b[0].numpy().tolist() for b in DataLoader(dataset, batch_size=5, shuffle=True, seed=3)]
    loader = DataLoader(dataset, batch_size=5, shuffle=True, generator=np.random.default_rng(3))
    assert [b[0].numpy().tolist() for b in loader] == by_seed
    with pytest.raises(ValueError, match="give seed= or generator=, not both"):
        DataLoader(dataset, shuffle=True, seed=3, generator=np.random.default_rng(3))
    with pytest.raises(TypeError, match="DataLoader: generator must be a numpy.random.Generator or None, got int"):
        DataLoader(dataset, shuffle=True, generator=3)


def test_torch_style_imports_of_the_submodules_give_the_same_classes():
    import minigrad.data
    from minigrad.utils.data.dataloader import DataLoader as aliased_loader, default_collate
    from minigrad.utils.data.dataset import Dataset as aliased_dataset
    from minigrad.utils.data.sampler import Sampler as aliased_sampler

    assert aliased_loader is DataLoader and aliased_dataset is Dataset and aliased_sampler is Sampler
    assert default_collate is minigrad.data.default_collate
