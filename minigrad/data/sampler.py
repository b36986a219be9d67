"""Samplers, as torch.utils.data's: iterables of dataset indices (or, BatchSampler, of index lists).

Random ones draw from ``generator`` (a numpy.random.Generator) or, when None, from the generator
that mg.manual_seed seeds.
"""
import numpy as np

from .. import _args
from .dataset import _random_source


class Sampler:
    """Base class: a subclass gives ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1. Example: ``list(SequentialSampler(range(3)))`` -> [0, 1, 2]"""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the dataset's indices, new each iteration.

    Without replacement: whole permutations, ``num_samples // n`` of them and the start of one more
    (torch's rule); with replacement: ``num_samples`` (default len(data_source)) uniform draws.
    Example: ``sorted(RandomSampler(range(4)))`` -> [0, 1, 2, 3]
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got replacement={replacement!r}")
        if num_samples is not None:
            num_samples = _args.positive_int(num_samples, "RandomSampler: num_samples")
        _random_source(generator, "RandomSampler")
        self.data_source, self.replacement, self._num_samples = data_source, replacement, num_samples
        self.generator = generator

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        return iter(self._indices().tolist())

    def _indices(self):
        n, rng = len(self.data_source), _random_source(self.generator, "RandomSampler")
        if self.replacement:
            return rng.integers(0, n, self.num_samples)
        whole, part = divmod(self.num_samples, n) if n else (0, 0)
        permutations = [rng.permutation(n) for _ in range(whole)] + ([rng.permutation(n)[:part]] if part else [])
        return np.concatenate(permutations) if permutations else np.zeros(0, np.int64)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order, new each iteration.

    Example: ``sorted(SubsetRandomSampler([5, 7]))`` -> [5, 7]
    """

    def __init__(self, indices, generator=None):
        _random_source(generator, "SubsetRandomSampler")
        self.indices, self.generator = indices, generator

    def __iter__(self):
        order = _random_source(self.generator, "SubsetRandomSampler").permutation(len(self.indices))
        return (self.indices[i] for i in order.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (a 1-D sequence
    of non-negative numbers), with replacement or, replacement=False, each at most once (each draw
    proportional to the weights not yet drawn, as torch.multinomial).

    Example: ``WeightedRandomSampler([0.1, 0.9], 5)`` gives mostly 1s
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        num_samples = _args.positive_int(num_samples, "WeightedRandomSampler: num_samples")
        if not isinstance(replacement, bool):
            raise TypeError("WeightedRandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        weights = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights, dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given weights have "
                             f"shape {weights.shape}")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("WeightedRandomSampler: weights must be finite and non-negative")
        if weights.sum() <= 0:
            raise ValueError("WeightedRandomSampler: the weights sum to 0; at least one must be positive")
        if not replacement and num_samples > np.count_nonzero(weights):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement from "
                             f"{np.count_nonzero(weights)} non-zero weights")
        _random_source(generator, "WeightedRandomSampler")
        self.weights, self.num_samples, self.replacement, self.generator = weights, num_samples, replacement, generator

    def __iter__(self):
        rng = _random_source(self.generator, "WeightedRandomSampler")
        drawn = rng.choice(len(self.weights), self.num_samples, replace=self.replacement,
                           p=self.weights / self.weights.sum())
        return iter(drawn.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler``; the last one shorter unless drop_last.

    Example: ``list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False))`` -> [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        self.batch_size = _args.positive_int(batch_size, "BatchSampler: batch_size")
        if not isinstance(drop_last, bool):
            raise TypeError(f"BatchSampler: drop_last should be a boolean value, but got drop_last={drop_last!r}")
        self.sampler, self.drop_last = sampler, drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class DistributedSampler(Sampler):
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
            from .. import distributed  # the layer above: read only for its defaults, when asked

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
