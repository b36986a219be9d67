"""Tensors made from an existing one (new_zeros, new_ones, new_empty, new_full, new_tensor) and type_as."""
import numpy as np
import pytest

import minigrad as mg


def test_new_functions_keep_the_source_dtype_and_device(device):
    ints = mg.tensor([1, 2], device=device)
    doubles = mg.tensor([1.0], dtype=mg.float64, requires_grad=True, device=device)
    for made, shape, value in ((ints.new_zeros(2, 3), (2, 3), 0), (ints.new_zeros((2, 3)), (2, 3), 0),
                               (ints.new_ones([4]), (4,), 1), (ints.new_full((2, 1), 7), (2, 1), 7),
                               (ints.new_empty(3, 1), (3, 1), None), (ints.new_zeros(()), (), 0)):
        assert made.shape == shape and made.dtype == np.int64 and made.device == device
        assert not made.requires_grad and made.is_leaf
        if value is not None:
            np.testing.assert_array_equal(made.numpy(), np.full(shape, value))
    for made in (doubles.new_zeros(2), doubles.new_ones(2), doubles.new_empty(2), doubles.new_full((2,), 3),
                 doubles.new_tensor([1, 2])):
        assert made.dtype == np.float64 and made.device == device and not made.requires_grad
        assert made.grad_fn is None
    np.testing.assert_array_equal(doubles.new_full((2,), 3).numpy(), [3.0, 3.0])


def test_new_functions_take_dtype_device_and_requires_grad(device):
    x = mg.tensor([1, 2], device=device)
    zeros = x.new_zeros(2, dtype=mg.float32, requires_grad=True)
    assert zeros.dtype == np.float32 and zeros.requires_grad and zeros.device == device
    assert x.new_ones(3, dtype="float64").dtype == np.float64
    assert x.new_full((1,), 2.5, dtype=mg.float32).tolist() == [2.5]
    assert mg.zeros(2, device=device).new_zeros(2, device="cpu").device == "cpu"
    assert mg.zeros(2).new_ones(2, device=device).device == device
    (zeros * 3).sum().backward()
    np.testing.assert_array_equal(zeros.grad.numpy(), [3, 3])


def test_new_full_and_new_tensor_cast_the_values_to_the_source_dtype(device):
    ints = mg.tensor([1, 2], device=device)
    assert ints.new_full((2,), 2.7).tolist() == [2, 2]  # as torch: the value is cast to int64
    assert ints.new_tensor([1.5, -2.5]).tolist() == [1, -2]
    assert ints.new_tensor(True).dtype == np.int64 and ints.new_tensor(True).item() == 1
    floats = mg.tensor([0.5], device=device)
    made = floats.new_tensor([[1, 2], [3, 4]])
    assert made.dtype == np.float32 and made.shape == (2, 2) and made.device == device
    np.testing.assert_array_equal(made.numpy(), [[1, 2], [3, 4]])
    assert floats.new_tensor([1, 2], dtype=mg.int64).dtype == np.int64
    source = np.array([1.0, 2.0])
    copied = floats.new_tensor(source)
    source[0] = 10
    assert copied.dtype == np.float32 and copied.tolist() == [1, 2]  # always a copy
    leaf = mg.tensor([3.0, 4.0], requires_grad=True)
    detached = leaf.new_tensor(leaf)
    assert not detached.requires_grad and detached.grad_fn is None and detached.data is not leaf.data


def test_new_functions_refuse_bad_arguments():
    x = mg.zeros(2)
    with pytest.raises(ValueError, match="non-negative"):
        x.new_zeros(2, -1)
    with pytest.raises(TypeError, match="sizes must be ints"):
        x.new_ones(2.5)
    with pytest.raises(TypeError, match="only float32 and float64 tensors can require grad"):
        mg.tensor([1]).new_zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="fill_value must be a number"):
        x.new_full((2,), [1.0, 2.0])
    with pytest.raises(TypeError, match="unknown dtype"):
        x.new_empty(2, dtype="float17")
    with pytest.raises(ValueError, match="nested sequences of different lengths"):
        x.new_tensor([[1], [2, 3]])


def test_type_as_casts_to_the_other_dtype_and_is_differentiable(device):
    x = mg.tensor([1.5, -2.0], requires_grad=True, device=device)
    doubles = mg.zeros(1, dtype=mg.float64, device=device)
    y = x.type_as(doubles)
    assert y.dtype == np.float64 and y.device == device and y.requires_grad
    (y * mg.tensor([2.0, 3.0], dtype=mg.float64, device=device)).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2, 3])
    assert x.type_as(x) is x  # nothing to change, as torch
    as_ints = x.type_as(mg.tensor([0], device=device))
    assert as_ints.dtype == np.int64 and as_ints.tolist() == [1, -2] and not as_ints.requires_grad
    as_floats = mg.tensor([1, 2], device=device).type_as(mg.zeros(1, device=device))
    assert as_floats.dtype == np.float32 and as_floats.tolist() == [1, 2]
    t64 = mg.tensor([0.25, 4.0], dtype=mg.float64, requires_grad=True, device=device)
    assert mg.gradcheck(lambda a: a.type_as(doubles) * a, [t64])
    with pytest.raises(TypeError, match="type_as expects a Tensor, got str"):
        x.type_as("float64")


def test_type_as_moves_to_the_other_device_too(device):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    moved = x.type_as(mg.zeros(1, dtype=mg.float64, device=device))
    assert moved.device == device and moved.dtype == np.float64
    (moved * 3).sum().backward()
    assert x.grad.device == "cpu" and x.grad.dtype == np.float32 and x.grad.tolist() == [3, 3]
