"""DataLoader cases: one epoch of a dataset whose ``__getitem__`` does a few milliseconds of NumPy
work per example (or waits that long, as a read from disk does), in the main process
(num_workers=0) and in 2 persistent worker processes (started in the warm-up: an epoch that starts
them adds that start), for minigrad's DataLoader and PyTorch's; the NumPy column is a plain serial
loop. Workers win on compute only where cores are free: on a loaded machine the NumPy case shows
the load, the waiting one the overlap."""
import time

import numpy as np

from minigrad import data

from .cases import Case, torch

EXAMPLES, BATCH, FEATURES, WAIT_SECONDS = 96, 8, 1 << 15, 0.002


class Work:
    """Example i: a (64,) float32 summary of sin and sort over FEATURES values (about 2 ms of
    single-threaded NumPy on an idle core; ``wait``: a 2 ms sleep first, as a read from disk), and
    its label. A plain class, so that both libraries' loaders take it."""

    def __init__(self, wait=False):
        self.base, self.wait = np.random.default_rng(0).standard_normal(FEATURES), wait

    def __len__(self):
        return EXAMPLES

    def __getitem__(self, index):
        if self.wait:
            time.sleep(WAIT_SECONDS)
        values = np.sort(np.sin(self.base + index))
        return values.reshape(64, -1).mean(axis=1).astype(np.float32), index % 10


def _epoch(loader):
    return lambda: sum(len(labels) for _, labels in loader)


def _serial_epoch(dataset):
    """The NumPy contender: the same examples stacked batch by batch in a plain loop, no workers
    (so mg/numpy below 1 at num_workers=2 is the workers' speed-up, measured interleaved)."""
    def run():
        for start in range(0, len(dataset), BATCH):
            examples = [dataset[i] for i in range(start, min(start + BATCH, len(dataset)))]
            np.stack([x for x, _ in examples]), np.array([y for _, y in examples])
    return run


def dataloader_case(num_workers, wait=False):
    dataset = Work(wait)
    options = dict(batch_size=BATCH, num_workers=num_workers, persistent_workers=num_workers > 0)
    contenders = {"minigrad": _epoch(data.DataLoader(dataset, **options)), "numpy": _serial_epoch(dataset)}
    if torch is not None:
        contenders["torch"] = _epoch(torch.utils.data.DataLoader(dataset, **options))
    work = "2 ms wait + NumPy" if wait else "~2 ms NumPy"
    return Case(f"DataLoader {EXAMPLES} examples, {work}, num_workers={num_workers}", contenders)


def data_cases():
    return [dataloader_case(workers, wait) for wait in (False, True) for workers in (0, 2)]
