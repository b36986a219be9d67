"""What runs in a DataLoader worker process, and what it sends back.

Each worker takes tasks ``(epoch, batch_index, indices)`` from its own index queue and puts
``(epoch, batch_index, result)`` on the shared result queue; the result is the pickled batch, a
WorkerError, or EXHAUSTED (its copy of an IterableDataset has no more batches). None as a task
(or the pool's stop event, seen before the next task) stops the worker.
"""
import os
import queue
import random
import sys
import traceback
from multiprocessing.reduction import ForkingPickler

import numpy as np

from .. import _random

POLL_SECONDS = 0.2  # how often a waiting side looks whether the other is still alive
EXHAUSTED = "exhausted"


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: ``id`` (0..num_workers-1), ``num_workers``,
    ``seed`` (base_seed + id, the seed of this worker's minigrad and Python generators) and
    ``dataset`` (this worker's copy)."""

    def __init__(self, id, num_workers, seed, dataset):  # noqa: A002 - torch's field name
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_worker_info = None


def get_worker_info():
    """This worker's WorkerInfo inside a DataLoader worker process; None in the main process.

    Example: an IterableDataset's ``__iter__`` takes every ``info.num_workers``-th item from ``info.id``.
    """
    return _worker_info


class WorkerError:
    """An exception raised in worker ``worker_id``, carried to the main process as its type and
    traceback text (the exception object itself may not pickle)."""

    def __init__(self, worker_id):
        exc_type = sys.exc_info()[0]
        try:
            ForkingPickler.dumps(exc_type)
        except Exception:  # a class defined where the main process cannot import it
            exc_type = None
        self.worker_id, self.exc_type, self.name = worker_id, exc_type, sys.exc_info()[0].__name__
        self.traceback = traceback.format_exc()

    def reraise(self):
        """Raise it in the main process as the same exception type when that type takes a message
        (torch's rule), else as a RuntimeError; the message names the worker and holds the traceback."""
        message = f"Caught {self.name} in DataLoader worker process {self.worker_id}.\nOriginal {self.traceback}"
        try:
            error = self.exc_type(message)
        except Exception:
            error = RuntimeError(message)
        raise error


def worker_seeds(base_seed, worker_id):
    """(seed, numpy_state): minigrad's and Python's generators get base_seed + worker_id, NumPy's
    global one the 4 words of a SeedSequence of (worker_id, base_seed) (torch's _generate_state),
    so it is not the same stream as Python's."""
    numpy_state = np.random.SeedSequence([worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32]).generate_state(4)
    return base_seed + worker_id, numpy_state


def worker_loop(worker_id, num_workers, base_seed, fetcher, index_queue, result_queue, stop, worker_init_fn,
                parent_pid):
    global _worker_info
    result_queue.cancel_join_thread()  # exiting at shutdown must not wait for the main process to read
    try:
        from .. import set_num_threads

        set_num_threads(1)  # N workers each with a full thread pool would oversubscribe the cores
        seed, numpy_state = worker_seeds(base_seed, worker_id)
        random.seed(seed)
        _random.manual_seed(seed)
        np.random.seed(numpy_state)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, fetcher.dataset)
        init_error = None
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
    except Exception:
        init_error = WorkerError(worker_id)  # every task answers with it
    epoch = None
    try:
        while True:
            try:
                task = index_queue.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the main process is gone: nobody will ask again
                    return
                continue
            if task is None or stop.is_set():  # set at shutdown: the tasks still queued are not wanted
                return
            task_epoch, batch_index, indices = task
            result = init_error
            if result is None:
                try:
                    if task_epoch != epoch:
                        fetcher.reset()
                        epoch = task_epoch
                    # pickled here, so that a batch that does not pickle is this worker's error
                    result = bytes(ForkingPickler.dumps(fetcher(indices)))
                except Exhausted:
                    result = EXHAUSTED
                except Exception:
                    result = WorkerError(worker_id)
            result_queue.put((task_epoch, batch_index, result))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the main process reports it
        pass


class Exhausted(Exception):
    """An IterableDataset's iterator has no full batch left."""
