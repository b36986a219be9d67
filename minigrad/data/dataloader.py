"""DataLoader: batches of a dataset, in the main process or in worker processes, as torch's."""
import itertools
import multiprocessing
import os
import pickle
import queue
import sys
import time
import warnings

import numpy as np

from .. import _args, _random, cuda
from ..tensor import Tensor
from . import _worker
from .collate import _tensor, default_collate, default_convert
from .dataset import IterableDataset, TensorDataset, _random_source
from .sampler import BatchSampler, RandomSampler, SequentialSampler

_JOIN_SECONDS = 5  # a worker asked to stop that has not stopped by then is terminated


class DataLoader:
    """Batches of a dataset (tuples of Tensors for a dataset of tuples), as torch's DataLoader.

    The order: ``shuffle`` draws a new one every epoch, from ``seed`` or ``generator`` (a
    numpy.random.Generator) when given, else from the generator that mg.manual_seed seeds; a
    ``sampler`` (any sized iterable of integer indices, e.g. a DistributedSampler or
    WeightedRandomSampler) gives it instead, and a ``batch_sampler`` gives whole batches of indices.
    drop_last drops a final batch smaller than batch_size; batch_size=None yields examples unbatched.
    ``collate_fn`` makes a batch from a list of examples (default_collate: float arrays keep their
    dtype, integer labels stay integer). ``device`` moves batches there.

    num_workers > 0 loads batches in that many worker processes ('fork' on Linux, else 'spawn',
    which needs a picklable dataset), ``prefetch_factor`` (default 2) batches ahead per worker,
    yielded in the same order as with num_workers=0. Each worker's minigrad, Python and NumPy
    generators are seeded from a base seed drawn per epoch (torch's rule: base_seed + worker id;
    ``get_worker_info()`` gives it), then ``worker_init_fn(worker_id)`` runs. A worker that raises
    re-raises here with its traceback; one that dies, or a batch slower than ``timeout`` seconds,
    is a RuntimeError naming it. Workers stop when the epoch ends or its iterator is dropped, or
    live across epochs with persistent_workers=True. pin_memory is accepted and has no effect
    (with no GPU each epoch warns, as torch's).

    Example::

        loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0, num_workers=2)
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 seed=None, device="cpu"):
        iterable = isinstance(dataset, IterableDataset)
        if not iterable and (not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader needs a dataset with __len__ and __getitem__, got {type(dataset).__name__}")
        if batch_size is not None:
            batch_size = _args.positive_int(batch_size, "DataLoader: batch_size")
        num_workers = _args.integer(num_workers, "DataLoader: num_workers", 0)
        timeout = _args.real(timeout, "DataLoader: timeout", 0)
        if prefetch_factor is not None:
            if num_workers == 0:
                raise ValueError("DataLoader: prefetch_factor option could only be specified in multiprocessing; "
                                 "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None")
            prefetch_factor = _args.positive_int(prefetch_factor, "DataLoader: prefetch_factor")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        for name, fn in (("collate_fn", collate_fn), ("worker_init_fn", worker_init_fn)):
            if fn is not None and not callable(fn):
                raise TypeError(f"DataLoader: {name} must be callable or None, got {type(fn).__name__}")
        if iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle, sampler and "
                             "batch_sampler options (the dataset's iterator gives the order)")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive (the sampler decides "
                             "the order; shuffle it there, e.g. DistributedSampler(shuffle=True))")
        for name, order in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if order is not None and (not hasattr(order, "__iter__") or not hasattr(order, "__len__")):
                raise TypeError(f"{name} must be an iterable of indices with __len__, got {type(order).__name__}")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                             "sampler, and drop_last")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed= or generator=, not both")
        _random_source(generator, "DataLoader")
        self._rng = np.random.default_rng(seed) if seed is not None else generator
        if batch_sampler is not None:
            batch_size = None
        elif sampler is None and not iterable:
            sampler = RandomSampler(dataset, generator=self._rng) if shuffle else SequentialSampler(dataset)
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.sampler, self.batch_sampler, self.device, self.generator = sampler, batch_sampler, device, generator
        self.num_workers, self.timeout, self.worker_init_fn = num_workers, timeout, worker_init_fn
        self.prefetch_factor = prefetch_factor or 2
        self.persistent_workers, self.pin_memory = bool(persistent_workers), bool(pin_memory)
        self.collate_fn = collate_fn or (default_convert if batch_size is None and batch_sampler is None
                                         else default_collate)
        self.multiprocessing_context = _context(multiprocessing_context)
        self._pool = None

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self):
        if self.pin_memory and not cuda.is_available():  # each epoch, as torch
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=2)
        if self.num_workers == 0:
            return self._single_process()
        if not self.persistent_workers:
            return _MultiProcessIterator(self, _WorkerPool(self))  # which stops the pool when done
        if self._pool is None or self._pool.closed:
            self._pool = _WorkerPool(self)
        return _MultiProcessIterator(self, self._pool)

    def __del__(self):
        if getattr(self, "_pool", None) is not None and self.persistent_workers:
            self._pool.shutdown()

    def _single_process(self):
        fetcher = self._fetcher()
        fetcher.reset()
        for task in self._tasks():
            try:
                batch = fetcher(task)
            except _worker.Exhausted:
                return
            yield self._on_device(batch)

    def _fetcher(self):
        if isinstance(self.dataset, IterableDataset):
            return _IterableFetcher(self.dataset, self.collate_fn, self.batch_size, self.drop_last)
        return _MapFetcher(self.dataset, self.collate_fn, self.batch_size is not None or self.batch_sampler is not None)

    def _tasks(self):
        """What each batch is made of: index arrays, single indices (batch_size=None), or Nones for
        an IterableDataset (whose fetcher just takes the next batch)."""
        if isinstance(self.dataset, IterableDataset):
            return itertools.repeat(None)
        if self.batch_sampler is not None:
            return _checked_batches(self.batch_sampler)
        order = _sampler_order(self.sampler)
        if self.batch_size is None:
            return iter(order.tolist())
        return (order[start:start + self.batch_size] for start in range(0, len(self) * self.batch_size, self.batch_size))

    def _on_device(self, batch):
        return batch if self.device == "cpu" else _to_device(batch, self.device)


def _context(multiprocessing_context):
    """The multiprocessing context workers start in: the one given (a context or a start method's
    name), else 'fork' on Linux (no pickling of the dataset, fast start) and 'spawn' elsewhere."""
    if multiprocessing_context is None:
        fork = sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
        return multiprocessing.get_context("fork" if fork else "spawn")
    if isinstance(multiprocessing_context, str):
        return multiprocessing.get_context(multiprocessing_context)
    return multiprocessing_context


def _to_device(batch, device):
    if isinstance(batch, Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: _to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_to_device(value, device) for value in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to_device(value, device) for value in batch)
    return batch


class _MapFetcher:
    """The batch of a map-style dataset at the given indices (one index with batching off)."""

    def __init__(self, dataset, collate_fn, batched):
        self.dataset, self.collate_fn, self.batched = dataset, collate_fn, batched

    def reset(self):
        pass

    def __call__(self, indices):
        if not self.batched:
            return self.collate_fn(self.dataset[indices])
        if self.collate_fn is default_collate and isinstance(self.dataset, TensorDataset):
            return tuple(_tensor(column) for column in self.dataset[np.asarray(indices)])  # one copy per array
        return self.collate_fn([self.dataset[i] for i in np.asarray(indices).tolist()])


class _IterableFetcher:
    """The next batch of an IterableDataset's iterator (restarted by reset, each epoch)."""

    def __init__(self, dataset, collate_fn, batch_size, drop_last):
        self.dataset, self.collate_fn, self.batch_size, self.drop_last = dataset, collate_fn, batch_size, drop_last
        self._examples = None

    def reset(self):
        self._examples = iter(self.dataset)

    def __call__(self, _):
        examples = list(itertools.islice(self._examples, self.batch_size or 1))
        if not examples or (self.drop_last and len(examples) < self.batch_size):
            raise _worker.Exhausted
        return self.collate_fn(examples if self.batch_size else examples[0])


def _sampler_order(sampler):
    """The int64 array of the ``len(sampler)`` indices ``sampler`` yields; a non-integer one (a float,
    even a whole one, a bool, a string) is an IndexError naming it, as NumPy's and torch's indexing
    refuse it, instead of being truncated to an int."""
    if type(sampler) is SequentialSampler:
        return np.arange(len(sampler))
    if type(sampler) is RandomSampler:
        return sampler._indices()
    return _integer_indices(np.fromiter(sampler, dtype=object, count=len(sampler)))


def _integer_indices(indices, first_position=0):
    if not all(kind is int or issubclass(kind, np.integer) for kind in set(map(type, indices))):
        for position, index in enumerate(indices, first_position):
            if not _args.is_int(index):
                raise IndexError(f"DataLoader: the sampler gave index {index!r} ({type(index).__name__}) at "
                                 f"position {position}; indices must be integers")
    return np.asarray(indices, dtype=object).astype(np.int64)


def _checked_batches(batch_sampler):
    position = 0
    for batch in batch_sampler:
        batch = list(batch)
        yield _integer_indices(batch, position)
        position += len(batch)


class _WorkerPool:
    """num_workers processes, an index queue each and one result queue; base seed drawn at start."""

    def __init__(self, loader):
        context, n = loader.multiprocessing_context, loader.num_workers
        # a child of the generator's seed sequence: the shuffling stream stays that of num_workers=0
        base_seed = int(_random_source(loader._rng, "DataLoader").spawn(1)[0].integers(2 ** 63))
        self.closed, self.result_queue, self.index_queues, self.workers = False, context.Queue(), [], []
        self.stop = context.Event()
        fetcher = loader._fetcher()
        try:
            for worker_id in range(n):
                index_queue = context.Queue()
                worker = context.Process(target=_worker.worker_loop, daemon=True,
                                         args=(worker_id, n, base_seed, fetcher, index_queue, self.result_queue,
                                               self.stop, loader.worker_init_fn, os.getpid()))
                worker.start()
                self.index_queues.append(index_queue)
                self.workers.append(worker)
        except (pickle.PicklingError, AttributeError, TypeError) as error:
            self.shutdown()
            raise RuntimeError(f"DataLoader: could not start worker processes with the "
                               f"'{context.get_start_method()}' start method, which pickles the dataset, collate_fn "
                               f"and worker_init_fn: {error}") from error
        self.epochs = 0

    def shutdown(self, terminate=False):
        """Stop the workers: ask them to, or (terminate=True, after an error) at once."""
        if self.closed:
            return
        self.closed = True
        self.stop.set()
        for index_queue, worker in zip(self.index_queues, self.workers):
            if worker.is_alive():
                index_queue.put(None)
        deadline = time.monotonic() + (0 if terminate else _JOIN_SECONDS)
        for worker in self.workers:
            worker.join(max(0, deadline - time.monotonic()))
            if worker.is_alive():
                worker.terminate()
                worker.join()
        for q in self.index_queues + [self.result_queue]:
            q.cancel_join_thread()
            q.close()

    def dead_worker(self):
        """(id, process) of the first worker that has exited, or None."""
        return next(((i, w) for i, w in enumerate(self.workers) if w.exitcode is not None), None)


class _MultiProcessIterator:
    """One epoch of a worker pool: tasks go round-robin to the workers, ``prefetch_factor *
    num_workers`` outstanding; results come back in any order and wait in a buffer until their turn."""

    def __init__(self, loader, pool):
        pool.epochs += 1
        self.loader, self.pool, self.epoch = loader, pool, pool.epochs
        self.tasks = enumerate(loader._tasks())
        self.active = [True] * loader.num_workers  # False once its IterableDataset copy is exhausted
        self.next_worker = itertools.cycle(range(loader.num_workers))
        self.sent, self.arrived, self.next_batch = {}, {}, 0
        for _ in range(loader.prefetch_factor * loader.num_workers):
            self._send()

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self.next_batch in self.arrived:
                result = self.arrived.pop(self.next_batch)
                worker_id = self.sent.pop(self.next_batch)
                self.next_batch += 1
                exhausted = isinstance(result, str)  # _worker.EXHAUSTED
                if exhausted:
                    self.active[worker_id] = False
                self._send()
                if isinstance(result, _worker.WorkerError):
                    self._finish(terminate=True)
                    result.reraise()
                if not exhausted:
                    return self.loader._on_device(pickle.loads(result))
            elif self.next_batch not in self.sent:  # every task done
                self._finish()
                raise StopIteration
            else:
                epoch, batch_index, result = self._receive()
                if epoch == self.epoch:  # else left over from an epoch given up early (persistent workers)
                    self.arrived[batch_index] = result

    def __del__(self):
        self._finish()

    def _send(self):
        if not any(self.active):
            return
        try:
            batch_index, task = next(self.tasks)
        except StopIteration:
            return
        worker_id = next(self.next_worker)
        while not self.active[worker_id]:
            worker_id = next(self.next_worker)
        self.sent[batch_index] = worker_id
        self.pool.index_queues[worker_id].put((self.epoch, batch_index, task))

    def _receive(self):
        """The next result from any worker; a worker that has died, or waiting longer than the
        loader's timeout, is a RuntimeError (never a hang)."""
        timeout, start = self.loader.timeout, time.monotonic()
        while True:
            wait = _worker.POLL_SECONDS if not timeout else min(_worker.POLL_SECONDS,
                                                                 max(0.0, start + timeout - time.monotonic()))
            try:
                return self.pool.result_queue.get(timeout=wait)
            except queue.Empty:
                pass
            dead = self.pool.dead_worker()
            if dead is not None:
                worker_id, process = dead
                self.pool.shutdown(terminate=True)
                how = (f"was killed by signal {-process.exitcode}" if process.exitcode < 0
                       else f"exited with code {process.exitcode}")
                raise RuntimeError(f"DataLoader worker {worker_id} (pid {process.pid}) exited unexpectedly: it {how}")
            if timeout and time.monotonic() - start >= timeout:
                self.pool.shutdown(terminate=True)
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds waiting for batch "
                                   f"{self.next_batch} from worker {self.sent[self.next_batch]}")

    def _finish(self, terminate=False):
        """End this epoch: no more tasks; the workers stop unless they persist."""
        self.tasks, self.sent = iter(()), {}
        if not self.loader.persistent_workers:
            self.pool.shutdown(terminate)
