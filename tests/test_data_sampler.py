"""DistributedSampler (torch's strided split, padding and drop_last) and DataLoader(sampler=)."""
import math

import numpy as np
import pytest

from minigrad.data import DataLoader, DistributedSampler, TensorDataset


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


def test_bad_arguments_are_refused():
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
