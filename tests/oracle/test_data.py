"""minigrad.data against torch.utils.data: default_collate's values and dtypes, the deterministic
samplers' indices, a DataLoader's batches with workers, and the NumPy seed of each worker."""
import collections

import numpy as np
import pytest

from oracle import HINT

torch = pytest.importorskip("torch", reason=HINT)

from minigrad import data  # noqa: E402
from minigrad.data._worker import worker_seeds  # noqa: E402

Point = collections.namedtuple("Point", "x y")
EXAMPLES = {
    "floats": [1.5, 2.0], "ints": [1, 2], "bools": [True, False], "numpy scalars": [np.float32(1), np.float32(2)],
    "arrays": [np.zeros((2, 3), np.int16), np.ones((2, 3), np.int16)], "strings": ["a", "b"],
    "dicts": [{"x": np.zeros(2), "y": 1}, {"x": np.ones(2), "y": 2}], "namedtuples": [Point(1.0, 2), Point(3.0, 4)],
    "tuples": [(1.0, [2, 3]), (4.0, [5, 6])],
}


def _plain(batch):
    """Nested lists/dicts of (values, dtype name) for both libraries' batches (a tuple as a list)."""
    if hasattr(batch, "numpy"):
        array = batch.numpy()
        return array.tolist(), str(array.dtype)
    if isinstance(batch, dict):
        return {key: _plain(value) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)) and not isinstance(batch, str):
        return [type(batch).__name__ if hasattr(batch, "_fields") else "seq"] + [_plain(v) for v in batch]
    return batch


@pytest.mark.parametrize("kind", EXAMPLES)
def test_default_collate_matches_torch(kind):
    assert _plain(data.default_collate(EXAMPLES[kind])) == _plain(torch.utils.data.default_collate(EXAMPLES[kind]))


def test_deterministic_samplers_match_torch():
    for mine, theirs in [(data.SequentialSampler(range(7)), torch.utils.data.SequentialSampler(range(7))),
                         (data.BatchSampler(range(7), 3, False), torch.utils.data.BatchSampler(range(7), 3, False)),
                         (data.BatchSampler(range(7), 3, True), torch.utils.data.BatchSampler(range(7), 3, True))]:
        assert list(mine) == list(theirs) and len(mine) == len(theirs)
    assert len(data.RandomSampler(range(4), num_samples=10)) == len(torch.utils.data.RandomSampler(range(4),
                                                                                                    num_samples=10))


def test_worker_numpy_seed_is_torchs():
    from torch.utils.data._utils.worker import _generate_state

    for base_seed in (0, 12345, 2 ** 40 + 17, 2 ** 63 - 5):
        for worker_id in (0, 1, 3):
            seed, numpy_state = worker_seeds(base_seed, worker_id)
            assert seed == base_seed + worker_id
            assert numpy_state.tolist() == _generate_state(base_seed, worker_id)


def test_dataloader_batches_with_workers_match_torch():
    dataset = [(np.arange(3, dtype=np.float32) + i, i) for i in range(10)]
    mine = data.DataLoader(dataset, batch_size=4, num_workers=2)
    theirs = torch.utils.data.DataLoader(dataset, batch_size=4, num_workers=2)
    assert [_plain(list(b)) for b in mine] == [_plain(list(b)) for b in theirs]
