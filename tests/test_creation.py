import numpy as np
import pytest

import minigrad as mg


def test_zeros_ones_empty_full_take_sizes_either_way():
    assert mg.zeros(2, 3).shape == mg.zeros((2, 3)).shape == mg.zeros([2, 3]).shape == (2, 3)
    assert mg.ones(4).dtype == np.float32 and mg.ones(4).numpy().tolist() == [1, 1, 1, 1]
    assert mg.empty(2, 2, dtype=mg.float64).shape == (2, 2) and mg.empty(3).dtype == np.float32
    assert mg.zeros(()).shape == ()
    assert mg.zeros(2, dtype=mg.long).dtype == np.int64
    assert mg.ones(2, dtype="bool").numpy().tolist() == [True, True]


def test_full_takes_its_dtype_from_the_value_as_torch():
    assert mg.full((2, 2), 7).dtype == np.int64
    assert mg.full((2,), 1.5).dtype == np.float32
    assert mg.full((2,), True).dtype == np.bool_
    assert mg.full((2,), 7, dtype="float64").dtype == np.float64
    assert mg.full((2,), 1e-4, dtype="float64").numpy()[0] == 1e-4  # not rounded through float32
    np.testing.assert_array_equal(mg.full([2, 3], -1.0).numpy(), np.full((2, 3), -1.0))


def test_arange_dtypes_and_values_follow_torch():
    np.testing.assert_array_equal(mg.arange(5).numpy(), [0, 1, 2, 3, 4])
    assert mg.arange(5).dtype == np.int64
    np.testing.assert_array_equal(mg.arange(1, 7, 2).numpy(), [1, 3, 5])
    np.testing.assert_array_equal(mg.arange(5, 0, -2).numpy(), [5, 3, 1])
    np.testing.assert_allclose(mg.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    assert mg.arange(0, 1, 0.25).dtype == np.float32 and mg.arange(3.0).dtype == np.float32
    assert mg.arange(3, dtype=mg.float64).dtype == np.float64


def test_full_and_new_full_convert_the_value_straight_to_the_dtype(device):
    # through float32 first, 0.1 became 0.10000000149011612 in a float64 tensor
    assert mg.full((2,), 0.1, dtype=mg.float64, device=device).tolist() == [0.1, 0.1]
    assert mg.zeros(1, dtype=mg.float64, device=device).new_full((2,), 0.1).tolist() == [0.1, 0.1]
    assert mg.full((1,), 2.7, dtype=mg.int64).tolist() == [2]  # torch truncates
    assert mg.full((1,), 2 ** 40 + 1, dtype=mg.float64).tolist() == [2 ** 40 + 1]


@pytest.mark.parametrize("args, dtype, torch_values", [
    ((0, 2.5), mg.int64, [0, 1]),  # int64 truncates the bounds, then counts: torch 2.13's values
    ((9.84,), mg.int64, list(range(9))),
    ((-0.5, 3), mg.int64, [0, 1, 2]),
    ((2.5, 0, -1), mg.int64, [2, 1]),
    ((0, 5, 1.5), mg.int64, [0, 1, 2, 3, 4]),
    ((0, 2.5), mg.int32, [0, 1, 2]),  # other integer dtypes count ceil((end - start) / step) in double
    ((9.84,), mg.int32, list(range(10))),
    ((0, 5, 1.5), mg.int32, [0, 1, 2, 3]),
    ((0, 2, 0.5), mg.int32, [0, 0, 0, 0]),
    ((0, -2.5, -1), "uint8", [0, 255, 254]),
    ((-2.0, 0.3, 0.2), mg.float32, [-2.0, -1.7999999523162842, -1.600000023841858, -1.399999976158142,
                                    -1.2000000476837158, -1.0, -0.800000011920929, -0.6000000238418579,
                                    -0.4000000059604645, -0.20000000298023224, 1.1102230246251565e-16,
                                    0.20000000298023224]),
    ((-3.2, -3.165, 0.01), mg.float64, [-3.2, -3.1900000000000004, -3.18, -3.1700000000000004]),
    ((1.0, 2.2, 0.4), mg.float32, [1.0, 1.399999976158142, 1.7999999523162842, 2.200000047683716]),
])
def test_arange_counts_and_computes_as_torch(args, dtype, torch_values):
    assert mg.arange(*args, dtype=dtype).tolist() == torch_values


def test_arange_refuses_an_int64_step_truncated_to_zero():
    with pytest.raises(ValueError, match="step 0.5 is 0 once truncated"):
        mg.arange(0, 5, 0.5, dtype=mg.int64)
    assert len(mg.arange(0, 1, 0.1)) == 10
@pytest.mark.parametrize("start, end, step", [(0, 5, -1), (5, 0, 1), (0.0, 1.0, -0.1), (2, -3, 0.5)])
def test_arange_with_a_step_of_the_wrong_sign_is_an_error_as_in_torch(start, end, step):
    """torch: "upper bound and lower bound inconsistent with step sign" (NumPy gives an empty range)."""
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
        mg.arange(start, end, step)
    assert mg.arange(5, 5, -1).shape == (0,) and mg.arange(3, 0, -1).tolist() == [3, 2, 1]


def test_linspace_eye_and_random_tensors():
    np.testing.assert_allclose(mg.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    assert mg.linspace(0, 1, 5).dtype == np.float32 and mg.linspace(0, 1, 0).shape == (0,)
    np.testing.assert_array_equal(mg.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(mg.eye(2, 3).numpy(), np.eye(2, 3))
    r = mg.randint(3, 7, (100,))
    assert r.dtype == np.int64 and r.shape == (100,) and 3 <= r.numpy().min() and r.numpy().max() < 7
    assert set(mg.randint(2, (50,)).numpy().tolist()) == {0, 1}
    assert mg.randint(0, 5, size=(2, 3)).shape == (2, 3)
    assert mg.randn(2, 3, dtype="float64").dtype == np.float64 and mg.rand(2, requires_grad=True).requires_grad


def test_like_functions_take_shape_dtype_and_device_of_the_input():
    x = mg.randn(2, 3, dtype="float64")
    for made in (mg.zeros_like(x), mg.ones_like(x), mg.full_like(x, 2.0), mg.randn_like(x), mg.rand_like(x),
                 mg.empty_like(x)):
        assert made.shape == (2, 3) and made.dtype == np.float64 and made.device == "cpu"
    np.testing.assert_array_equal(mg.full_like(x, 2.0).numpy(), np.full((2, 3), 2.0))
    assert mg.zeros_like(x, dtype=mg.int64).dtype == np.int64
    assert mg.ones_like(x, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="expected a Tensor"):
        mg.zeros_like(np.zeros(3))


def test_from_numpy_shares_memory_and_as_tensor_copies_only_when_needed():
    a = np.arange(3.0)
    t = mg.from_numpy(a)
    a[0] = 10
    assert t.dtype == np.float64 and t.numpy()[0] == 10
    assert mg.from_numpy(np.array([1, 2], dtype=np.int32)).dtype == np.int32
    shared = mg.as_tensor(a)
    a[1] = 20
    assert shared.numpy()[1] == 20
    converted = mg.as_tensor(a, dtype=mg.float32)
    a[2] = 30
    assert converted.dtype == np.float32 and converted.numpy()[2] == 2
    x = mg.randn(3)
    assert mg.as_tensor(x) is x and mg.as_tensor([1, 2]).dtype == np.int64
    assert mg.is_tensor(x) and not mg.is_tensor(a)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        mg.from_numpy([1.0])


def test_creation_functions_refuse_bad_arguments():
    with pytest.raises(ValueError, match="non-negative"):
        mg.zeros(2, -1)
    with pytest.raises(TypeError, match="sizes must be ints"):
        mg.ones(2.5)
    with pytest.raises(TypeError, match="only float32 and float64 tensors can require grad"):
        mg.zeros(2, dtype=mg.int64, requires_grad=True)
    with pytest.raises(TypeError, match="randn makes float32 or float64 tensors"):
        mg.randn(2, dtype=mg.int64)
    with pytest.raises(ValueError, match="low < high"):
        mg.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="low, high, size"):
        mg.randint(5)
    with pytest.raises(ValueError, match="arange: step must not be 0"):
        mg.arange(0, 5, 0)
    with pytest.raises(ValueError, match="linspace: steps must be an int >= 0, got -2"):
        mg.linspace(0, 1, -2)
    with pytest.raises(ValueError, match="fill_value must be a number"):
        mg.full((2,), [1, 2])
    with pytest.raises(TypeError, match="unknown dtype"):
        mg.zeros(2, dtype="float17")
