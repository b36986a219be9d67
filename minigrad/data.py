"""Datasets and batching, as in PyTorch's torch.utils.data."""
import math

import numpy as np

from . import _args, _random, backend
from ._dtypes import to_array
from .tensor import Tensor


class Dataset:
    """A sized collection: ``dataset[i]`` gives one example (a tuple of arrays or numbers)."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class TensorDataset(Dataset):
    """Examples are rows of the given arrays (or Tensors), which share their first dimension.

    Example: ``TensorDataset(x_train, y_train)[0]`` -> (x_train[0], y_train[0])
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = [a.detach().numpy() if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
        lengths = {len(a) for a in self.arrays}
        if len(lengths) != 1:
            raise ValueError(f"TensorDataset arrays must have the same first dimension, got {sorted(lengths)}")

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __len__(self):
        return len(self.arrays[0])



class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order. Example: ``Subset(ds, [0, 2])[1]`` is ds[2]"""

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index):
        if isinstance(index, (list, tuple)):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping Subsets of a random permutation.

    lengths: counts that sum to len(dataset), or fractions that sum to 1; floor(n * fraction)
    each, and the remaining examples go one each to the first subsets, round-robin (PyTorch's
    rule). generator: a numpy.random.Generator, or None for the one mg.manual_seed seeds.
    Example: ``train, val = random_split(ds, [0.8, 0.2])``
    """
    n = len(dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must be non-negative counts or fractions, got []")
    for i, v in enumerate(lengths):
        _args.real(v, f"random_split: lengths[{i}]", 0)
    if all(_args.is_int(v) for v in lengths) and sum(lengths) == n:
        counts = [int(v) for v in lengths]
    elif all(v <= 1 for v in lengths) and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * v)) for v in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        raise ValueError(f"random_split: lengths {lengths} must be counts that sum to the dataset's length {n} "
                         "or fractions that sum to 1")
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"random_split: generator must be a numpy.random.Generator or None, "
                        f"got {type(generator).__name__}")
    order = (generator or _random.generator()).permutation(n).tolist()
    starts = np.cumsum([0] + counts)
    return [Subset(dataset, order[start:start + count]) for start, count in zip(starts, counts)]

class DataLoader:
    """Batches of a dataset as tuples of Tensors.

    shuffle draws a new order every epoch, from ``seed`` when given (the same sequence of epochs
    for the same seed) or from the generator that mg.manual_seed seeds. ``sampler`` (an iterable
    of dataset indices with ``__len__``, e.g. a DistributedSampler) gives the order instead; it
    excludes shuffle=True. drop_last drops a final
    batch smaller than batch_size. Float arrays keep their dtype; integer arrays (labels) stay
    integer.

    Example::

        loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, drop_last=False, seed=None,
                 device="cpu"):
        batch_size = _args.positive_int(batch_size, "DataLoader: batch_size")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader needs a dataset with __len__ and __getitem__, got {type(dataset).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive (the sampler decides "
                             "the order; shuffle it there, e.g. DistributedSampler(shuffle=True))")
        if sampler is not None and (not hasattr(sampler, "__iter__") or not hasattr(sampler, "__len__")):
            raise TypeError(f"sampler must be an iterable of indices with __len__, got {type(sampler).__name__}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.sampler, self.device = sampler, device
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self):
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        if self.sampler is not None:
            order = _sampler_order(self.sampler)
        elif self.shuffle:
            order = (self._rng or _random.generator()).permutation(len(self.dataset))
        else:
            order = np.arange(len(self.dataset))
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield self._batch(order[start:start + self.batch_size])

    def _batch(self, indices):
        if isinstance(self.dataset, TensorDataset):
            columns = self.dataset[indices]  # one fancy-indexing copy per array
        else:
            columns = [np.stack([np.asarray(v) for v in column]) for column in zip(*(self.dataset[int(i)] for i in indices))]
        # fancy indexing and np.stack made fresh arrays: wrapped, not copied again
        return tuple(Tensor._wrap(backend.to_device(to_array(np.ascontiguousarray(c), None), self.device), False)
                     for c in columns)


def _sampler_order(sampler):
    """The int64 array of the ``len(sampler)`` indices ``sampler`` yields; a non-integer one (a float,
    even a whole one, a bool, a string) is an IndexError naming it, as NumPy's and torch's indexing
    refuse it, instead of being truncated to an int."""
    indices = np.fromiter(sampler, dtype=object, count=len(sampler))
    if all(kind is int or issubclass(kind, np.integer) for kind in set(map(type, indices))):
        return indices.astype(np.int64)
    for position, index in enumerate(indices):
        if not _args.is_int(index):
            raise IndexError(f"DataLoader: the sampler gave index {index!r} ({type(index).__name__}) at position "
                             f"{position}; indices must be integers")
    return indices.astype(np.int64)


class DistributedSampler:
    """The indices of one rank's share of a dataset, as torch's DistributedSampler.

    Each epoch the indices 0..n-1 are permuted (shuffle, from ``seed + epoch``: call
    ``set_epoch(epoch)`` at the start of every epoch) and, unless drop_last, padded by repeating
    them from the start to a multiple of num_replicas; rank r takes every num_replicas-th index
    starting at r (the strided split). drop_last instead drops the tail that does not divide
    evenly. So batch b of every rank together is the same set of samples as batch b of one
    process with num_replicas times the batch size. num_replicas and rank default to the process
    group's world size and rank.

    Example::

        sampler = DistributedSampler(dataset, shuffle=True, seed=0)
        loader = DataLoader(dataset, batch_size=64, sampler=sampler)
        for epoch in range(epochs):
            sampler.set_epoch(epoch)
            for xb, yb in loader: ...
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"DistributedSampler needs a dataset with __len__, got {type(dataset).__name__}")
        if num_replicas is None or rank is None:
            from . import distributed  # the layer above: read only for its defaults, when asked

            if not distributed.is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas= and rank=, or call "
                                   "minigrad.distributed.init_process_group() first")
            num_replicas = distributed.get_world_size() if num_replicas is None else num_replicas
            rank = distributed.get_rank() if rank is None else rank
        num_replicas = _args.integer(num_replicas, "DistributedSampler: num_replicas", 1)
        rank = _args.integer(rank, "DistributedSampler: rank")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: rank must be in [0, {num_replicas - 1}], got {rank}")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.seed = _args.integer(seed, "DistributedSampler: seed")
        self.shuffle, self.drop_last, self.epoch = bool(shuffle), bool(drop_last), 0
        n = len(dataset)
        if drop_last and n % self.num_replicas:
            self.num_samples = -(-(n - self.num_replicas) // self.num_replicas)
        else:
            self.num_samples = -(-n // self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch):
        """The epoch whose order to draw (the permutation comes from seed + epoch)."""
        self.epoch = _args.integer(epoch, "DistributedSampler.set_epoch: epoch")

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            # any int, as torch; NumPy takes seeds >= 0 only (those keep their permutations)
            seed = self.seed + self.epoch
            indices = np.random.default_rng(seed if seed >= 0 else seed % 2 ** 64).permutation(n)
        else:
            indices = np.arange(n)
        if self.drop_last:
            indices = indices[:self.total_size]
        elif self.total_size > n and n > 0:
            indices = np.resize(indices, self.total_size)  # repeats from the start, as torch's padding
        return iter(indices[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self):
        return self.num_samples
