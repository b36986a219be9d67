"""mg.FloatTensor, mg.LongTensor, ... (minigrad/_legacy.py), against torch 2.13's results."""
import numpy as np
import pytest

import minigrad as mg

LEGACY = [(mg.FloatTensor, "float32"), (mg.DoubleTensor, "float64"), (mg.LongTensor, "int64"),
          (mg.IntTensor, "int32"), (mg.BoolTensor, "bool"), (mg.ByteTensor, "uint8")]


@pytest.mark.parametrize("legacy, dtype", LEGACY)
def test_legacy_constructors_make_cpu_tensors_of_their_dtype(legacy, dtype):
    data = legacy([1, 0])
    assert data.dtype == dtype and data.device == "cpu" and not data.requires_grad
    np.testing.assert_array_equal(data.numpy(), np.array([1, 0], dtype))
    sized = legacy(2, 3)
    assert sized.shape == (2, 3) and sized.dtype == dtype
    assert legacy().shape == (0,) and legacy().dtype == dtype
    assert legacy.dtype == dtype and legacy.__name__.endswith("Tensor")


def test_legacy_constructor_values_as_torch():
    assert mg.FloatTensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data, not a shape
    assert mg.LongTensor([1.7, 2]).tolist() == [1, 2]
    assert mg.BoolTensor([1, 0]).tolist() == [True, False]
    assert mg.DoubleTensor(np.array([0.5])).tolist() == [0.5]
    x = mg.FloatTensor([1.0])
    assert mg.FloatTensor(x) is x


@pytest.mark.parametrize("call, message", [
    (lambda: mg.FloatTensor(mg.zeros(2, dtype=mg.float64)), r"float64 tensor .* convert it with \.to"),
    (lambda: mg.FloatTensor(2.5), "sizes .* or one sequence of values, got float"),
    (lambda: mg.FloatTensor([1], 2), "got list, int"),
])
def test_legacy_constructor_refusals(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_isinstance_as_torch():
    assert isinstance(mg.zeros(2), mg.FloatTensor)
    assert not isinstance(mg.zeros(2, dtype=mg.float64), mg.FloatTensor)
    assert isinstance(mg.zeros(2, dtype=mg.float64), mg.DoubleTensor)
    assert isinstance(mg.tensor([1]), mg.LongTensor) and isinstance(mg.tensor([1]), (mg.IntTensor, mg.LongTensor))
    assert not isinstance(np.zeros(2, np.float32), mg.FloatTensor)
    assert type(mg.FloatTensor([1.0])) is mg.Tensor
