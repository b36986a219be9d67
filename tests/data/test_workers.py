"""minigrad/data/dataloader.py with num_workers > 0: the same batches as in the main process, worker
seeding (torch's rule), errors that name the worker (a raise, a death, a timeout), never a hang,
shutdown, persistent workers, IterableDataset split by get_worker_info."""
import os
import random
import signal
import time

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info
from minigrad.datasets import load_digits


def _flat(loader):
    return [[t.numpy() for t in batch] for batch in loader]


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return TensorDataset(data.x_train, data.y_train)


class _Rows(Dataset):
    """A plain Dataset (no fancy-indexing fast path), item by item."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        return self.dataset[index]


@pytest.mark.parametrize("plain", [False, True], ids=["TensorDataset", "Dataset"])
@pytest.mark.parametrize("options", [dict(), dict(shuffle=True, seed=4), dict(shuffle=True, drop_last=True)])
def test_two_workers_give_the_batches_of_the_main_process(digits, plain, options):
    dataset = _Rows(digits) if plain else digits
    mg.manual_seed(3)
    expected = _flat(DataLoader(dataset, batch_size=100, **options))
    mg.manual_seed(3)
    got = _flat(DataLoader(dataset, batch_size=100, num_workers=2, **options))
    assert len(got) == len(expected) == (14 if options.get("drop_last") else 15)
    for got_batch, expected_batch in zip(got, expected):
        for g, e in zip(got_batch, expected_batch):
            assert g.dtype == e.dtype
            np.testing.assert_array_equal(g, e)


def test_a_seeded_loader_gives_the_same_epochs_with_workers(digits):
    serial = DataLoader(digits, batch_size=300, shuffle=True, seed=7)
    parallel = DataLoader(digits, batch_size=300, shuffle=True, seed=7, num_workers=2, persistent_workers=True)
    for _ in range(2):
        for got, expected in zip(_flat(parallel), _flat(serial)):
            np.testing.assert_array_equal(got[1], expected[1])


class _Raises(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, index):
        if index == 5:
            raise ValueError(f"bad example {index}")
        return np.float32(index)


def test_a_worker_that_raises_names_itself_and_the_original_exception():
    loader = DataLoader(_Raises(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError, match=r"(?s)Caught ValueError in DataLoader worker process 0\.\n"
                                         r"Original Traceback.*__getitem__.*ValueError: bad example 5"):
        list(loader)  # batch 2 ([4, 5]) goes to worker 0 (round-robin)


class _Dies(Dataset):
    def __init__(self, killed):
        self.killed = killed

    def __len__(self):
        return 8

    def __getitem__(self, index):
        if index == 3:
            os.kill(os.getpid(), signal.SIGKILL) if self.killed else os._exit(7)
        return np.float32(index)


@pytest.mark.parametrize("killed, how", [(False, "exited with code 7"), (True, "was killed by signal 9")])
def test_a_worker_that_dies_is_a_clear_error_within_seconds(killed, how):
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"DataLoader worker 1 \(pid \d+\) exited unexpectedly: it {how}"):
        list(DataLoader(_Dies(killed), batch_size=2, num_workers=2))
    assert time.monotonic() - start < 5


class _Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, index):
        time.sleep(3 if index == 2 else 0)
        return np.float32(index)


def test_a_batch_slower_than_the_timeout_raises():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.5 seconds waiting for batch 1"):
        list(DataLoader(_Slow(), batch_size=2, num_workers=2, timeout=0.5))
    assert time.monotonic() - start < 2.5


class _Seeds(Dataset):
    """Each example: the worker's id and seed, and a draw from minigrad's, NumPy's and Python's generators."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        info = get_worker_info()
        return (info.id, info.seed, info.num_workers, float(mg.rand(1).item()), np.random.rand(),
                random.random())


def _worker_draws(**options):
    return [tuple(t.numpy()[0] for t in batch) for batch in DataLoader(_Seeds(), batch_size=1, num_workers=2,
                                                                        **options)]


def test_worker_seeds_are_base_plus_id_distinct_and_reproducible():
    mg.manual_seed(11)
    first = _worker_draws()
    mg.manual_seed(11)
    assert _worker_draws() == first  # reproducible after manual_seed
    assert [row[0] for row in first] == [0, 1, 0, 1] and {row[2] for row in first} == {2}
    seeds = [row[1] for row in first]
    assert seeds[1] == seeds[0] + 1 and seeds[2:] == seeds[:2]
    for column in (3, 4, 5):  # each generator differs between the workers
        assert first[0][column] != first[1][column]
    assert _worker_draws(seed=1) == _worker_draws(seed=1) != first
    assert get_worker_info() is None


def test_worker_init_fn_runs_in_each_worker_after_seeding():
    def init(worker_id):
        np.random.seed(100 + worker_id)

    draws = [row[4] for row in _worker_draws(worker_init_fn=init)]
    assert draws[:2] == [np.random.RandomState(100).rand(), np.random.RandomState(101).rand()]


def test_workers_stop_at_the_end_of_an_epoch_or_persist():
    loader = DataLoader(TensorDataset(np.arange(6.0)), batch_size=2, num_workers=2)
    iterator = iter(loader)
    next(iterator)
    processes = iterator.pool.workers
    assert all(p.is_alive() for p in processes)
    list(iterator)
    assert all(p.exitcode is not None for p in processes)
    iterator = iter(loader)
    next(iterator)
    processes = iterator.pool.workers
    del iterator  # given up early: stopped too
    assert all(p.exitcode is not None for p in processes)
    persistent = DataLoader(TensorDataset(np.arange(6.0)), batch_size=2, num_workers=2, persistent_workers=True)
    next(iter(persistent))  # an epoch given up early: its batches in flight are not the next epoch's
    assert [b[0].numpy().tolist() for b in persistent] == [[0, 1], [2, 3], [4, 5]]
    processes = persistent._pool.workers
    assert [b[0].numpy().tolist() for b in persistent][0] == [0, 1] and persistent._pool.workers is processes
    assert all(p.is_alive() for p in processes)
    persistent._pool.shutdown()
    assert all(p.exitcode is not None for p in processes)


class _Stream(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, 10, step))


def test_an_iterable_dataset_split_by_worker_info():
    assert [b.numpy().tolist() for b in DataLoader(_Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    batches = [b.numpy().tolist() for b in DataLoader(_Stream(), batch_size=3, num_workers=2)]
    assert batches == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]  # round-robin over the workers' streams
    loader = DataLoader(_Stream(), batch_size=3, num_workers=2, persistent_workers=True, drop_last=True)
    first, second = ([b.numpy().tolist() for b in loader] for _ in range(2))
    assert first == second == [[0, 2, 4], [1, 3, 5]]  # each epoch restarts the workers' iterators
    loader._pool.shutdown()


def test_a_failing_worker_init_fn_or_an_unpicklable_batch_is_the_workers_error():
    def init(worker_id):
        raise KeyError(f"no config for worker {worker_id}")

    with pytest.raises(KeyError, match=r"Caught KeyError in DataLoader worker process 0.*no config for worker 0"):
        list(DataLoader(TensorDataset(np.arange(4.0)), batch_size=2, num_workers=2, worker_init_fn=init))
    with pytest.raises(Exception, match=r"(?s)in DataLoader worker process 0.*pickle"):
        list(DataLoader(TensorDataset(np.arange(4.0)), batch_size=2, num_workers=2, collate_fn=lambda b: lambda: b))


def test_a_non_integer_index_with_workers_is_an_index_error_and_stops_them():
    loader = DataLoader(TensorDataset(np.arange(4.0)), batch_size=2, num_workers=2, sampler=[0, 1.5, 2, 3])
    with pytest.raises(IndexError, match=r"the sampler gave index 1.5 \(float\) at position 1"):
        list(loader)


class _Slower(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, index):
        time.sleep({2: 0.5, 4: 3}.get(index, 0))
        return np.float32(index)


def test_breaking_out_of_an_epoch_stops_the_workers_without_running_their_queued_tasks():
    iterator = iter(DataLoader(_Slower(), batch_size=1, num_workers=2, prefetch_factor=2))
    next(iterator)
    processes, start = iterator.pool.workers, time.monotonic()
    del iterator  # worker 0 is in index 2's 0.5 s and has index 4's 3 s queued: it must not run it
    assert all(p.exitcode is not None for p in processes) and time.monotonic() - start < 2


def test_spawn_needs_a_picklable_dataset():
    with pytest.raises(RuntimeError, match="could not start worker processes with the 'spawn' start method, which "
                                           "pickles the dataset, collate_fn and worker_init_fn"):
        iter(DataLoader(TensorDataset(np.arange(4.0)), num_workers=1, multiprocessing_context="spawn",
                        collate_fn=lambda batch: batch))


def test_worker_arguments_are_checked():
    dataset = TensorDataset(np.arange(4.0))
    with pytest.raises(ValueError, match="DataLoader: num_workers must be an int >= 0, got -1"):
        DataLoader(dataset, num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(dataset, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(dataset, persistent_workers=True)
    with pytest.raises(ValueError, match="DataLoader: timeout must be a number >= 0, got -1"):
        DataLoader(dataset, timeout=-1)
    with pytest.raises(TypeError, match="worker_init_fn must be callable or None, got int"):
        DataLoader(dataset, worker_init_fn=3)


def test_spawn_workers_give_the_same_batches():
    dataset = TensorDataset(np.arange(10.0), np.arange(10) % 3)
    loader = DataLoader(dataset, batch_size=4, num_workers=2, multiprocessing_context="spawn")
    batches = _flat(loader)
    assert len(batches) == 3 and batches[2][1].tolist() == [2, 0]
