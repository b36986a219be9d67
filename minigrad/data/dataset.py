"""Datasets, as torch.utils.data's: map-style (``dataset[i]``, ``len``) and iterable ones."""
import bisect
import math

import numpy as np

from .. import _args, _random
from ..tensor import Tensor


class Dataset:
    """A sized collection: ``dataset[i]`` gives one example (a tuple of arrays or numbers)."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset:
    """A stream of examples: ``iter(dataset)`` yields them. In a DataLoader with workers each worker
    iterates its own copy, so a dataset that should not repeat its examples splits the work with
    ``get_worker_info()`` (as torch's).

    Example::

        class Range(IterableDataset):
            def __iter__(self):
                info = get_worker_info()  # None in the main process
                start, step = (0, 1) if info is None else (info.id, info.num_workers)
                return iter(range(start, 10, step))
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


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


class ConcatDataset(Dataset):
    """The examples of several map-style datasets one after the other.

    Example: ``ConcatDataset([a, b])[len(a)]`` is b[0]
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if not _args.is_int(index):
            raise IndexError(f"ConcatDataset: index must be an integer, got {type(index).__name__} {index!r}")
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {len(self)}")
        return self.datasets[which][index - ([0] + self.cumulative_sizes)[which]]


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
    order = _random_source(generator, "random_split").permutation(n).tolist()
    starts = np.cumsum([0] + counts)
    return [Subset(dataset, order[start:start + count]) for start, count in zip(starts, counts)]



def _random_source(generator, where):
    """``generator`` (a numpy.random.Generator), or the one mg.manual_seed seeds when None."""
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"{where}: generator must be a numpy.random.Generator or None, got {type(generator).__name__}")
    return generator or _random.generator()
