"""minigrad/data/collate.py: default_collate and default_convert of each kind of example, as torch's
(float -> float64, int -> int64, bool -> bool, strings a list, dicts per key, namedtuples per field,
sequences transposed), and a DataLoader with collate_fn= and batch_size=None."""
import collections

import numpy as np
import pytest

import minigrad as mg
from minigrad.data import DataLoader, Dataset, default_collate, default_convert

Point = collections.namedtuple("Point", "x y")


def _value(tensor):
    return tensor.numpy().tolist(), str(tensor.dtype)


def test_numbers_become_tensors_of_torch_dtypes():
    assert _value(default_collate([1.5, 2.0])) == ([1.5, 2.0], "float64")
    assert _value(default_collate([1, 2])) == ([1, 2], "int64")
    assert _value(default_collate([True, False])) == ([True, False], "bool")
    assert _value(default_collate([np.float32(1), np.float32(2)])) == ([1.0, 2.0], "float32")
    assert _value(default_collate([np.int32(1), np.int32(2)])) == ([1, 2], "int32")


def test_arrays_and_tensors_are_stacked_in_their_dtype():
    batch = default_collate([np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)])
    assert isinstance(batch, mg.Tensor) and batch.shape == (2, 2, 3) and batch.dtype == np.float32
    stacked = default_collate([mg.tensor([1.0, 2.0]), mg.tensor([3.0, 4.0])])
    assert _value(stacked) == ([[1.0, 2.0], [3.0, 4.0]], "float32")
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers, "
                                        "dicts or lists; found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_strings_stay_a_list_and_containers_are_collated_inside():
    assert default_collate(["a", "b"]) == ["a", "b"]
    batch = default_collate([{"x": np.zeros(2), "label": 1, "name": "a"}, {"x": np.ones(2), "label": 0, "name": "b"}])
    assert set(batch) == {"x", "label", "name"} and batch["name"] == ["a", "b"]
    assert batch["x"].shape == (2, 2) and _value(batch["label"]) == ([1, 0], "int64")
    point = default_collate([Point(1.0, 2), Point(3.0, 4)])
    assert type(point) is Point and _value(point.x) == ([1.0, 3.0], "float64") and _value(point.y) == ([2, 4], "int64")
    pair = default_collate([(1.0, 2), (3.0, 4)])
    assert type(pair) is tuple and _value(pair[0]) == ([1.0, 3.0], "float64")  # torch gives a list here
    listed = default_collate([[1, 2], [3, 4]])
    assert type(listed) is list and [_value(t)[0] for t in listed] == [[1, 3], [2, 4]]
    nested = default_collate([{"pair": (1, [2.0])}, {"pair": (3, [4.0])}])
    assert _value(nested["pair"][1][0]) == ([2.0, 4.0], "float64")


def test_examples_of_different_lengths_or_unknown_types_are_refused():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])


def test_default_convert_makes_tensors_of_arrays_only():
    converted = default_convert({"x": np.arange(3), "n": 1.5, "s": "a", "t": (np.zeros(1), 2)})
    assert _value(converted["x"]) == ([0, 1, 2], "int64") and converted["n"] == 1.5 and converted["s"] == "a"
    assert isinstance(converted["t"], list) and isinstance(converted["t"][0], mg.Tensor) and converted["t"][1] == 2
    assert type(default_convert(Point(np.zeros(1), 3))) is Point
    strings = np.array(["a"])
    assert default_convert(strings) is strings


class _Records(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, index):
        return {"x": np.full(2, index, np.float32), "y": index}


def test_a_dataloader_collates_dicts_and_takes_collate_fn_and_batch_size_none():
    first = next(iter(DataLoader(_Records(), batch_size=2)))
    assert first["x"].shape == (2, 2) and _value(first["y"]) == ([0, 1], "int64")
    sums = [b for b in DataLoader(_Records(), batch_size=2, collate_fn=lambda examples: sum(e["y"] for e in examples))]
    assert sums == [1, 5, 4]
    unbatched = list(DataLoader(_Records(), batch_size=None))
    assert len(unbatched) == 5 and unbatched[3]["y"] == 3 and unbatched[3]["x"].shape == (2,)
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(_Records(), batch_size=None, drop_last=True)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_batches_and_the_tensors_inside_them_move_to_the_loaders_device(device, num_workers):
    first = next(iter(DataLoader(_Records(), batch_size=2, device=device, num_workers=num_workers)))
    assert first["x"].device == device and first["y"].device == device
    np.testing.assert_array_equal(first["x"].cpu().numpy(), [[0, 0], [1, 1]])
