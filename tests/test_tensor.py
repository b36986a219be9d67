import numpy as np
import pytest

import minigrad as mg


def test_python_floats_become_float32_ints_int64_and_bools_bool():
    assert mg.tensor(3.0).dtype == np.float32
    assert mg.tensor([[1, 2.5], [3, 4]]).dtype == np.float32
    assert mg.tensor(3).dtype == np.int64
    assert mg.tensor([[1, 2], [3, 4]]).dtype == np.int64
    assert mg.tensor([True, False]).dtype == np.bool_
    assert mg.tensor(np.float64(2.0)).dtype == np.float64
    assert mg.tensor(np.arange(3, dtype=np.int32)).dtype == np.int32


def test_numpy_arrays_keep_their_float_dtype_and_are_copied():
    a = np.arange(3.0)
    t = mg.tensor(a)
    assert t.dtype == np.float64
    a[0] = 10
    assert t.numpy()[0] == 0
    assert mg.tensor(a.astype(np.float32)).dtype == np.float32


def test_integer_arrays_stay_integer_but_cannot_require_grad():
    t = mg.tensor(np.array([1, 2]))
    assert t.dtype == np.int64
    with pytest.raises(TypeError, match="float32 and float64"):
        mg.tensor(np.array([1, 2]), requires_grad=True)


def test_unsupported_dtypes_are_refused():
    # float16 is storage only (issue 23): its tensors are made, the ops refuse them
    with pytest.raises(TypeError, match="float16 .* storage only"):
        mg.tensor(np.ones(2, dtype=np.float16)) + 1
    with pytest.raises(TypeError, match="unknown dtype"):
        mg.tensor([1.0], dtype="not-a-dtype")
    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        mg.zeros(2, dtype="complex128")
    with pytest.raises(TypeError, match="complex"):
        mg.tensor([1j])


def test_creation_functions_take_shapes_dtype_and_requires_grad():
    assert mg.zeros(2, 3).shape == (2, 3)
    assert mg.ones((2, 3), dtype="float64").dtype == np.float64
    assert mg.randn(4, requires_grad=True).requires_grad
    assert mg.rand(5).numpy().min() >= 0
    np.testing.assert_array_equal(mg.ones(2).numpy(), [1, 1])
    assert mg.Tensor([1.0]).dtype == np.float32


def test_manual_seed_makes_random_tensors_reproducible():
    mg.manual_seed(7)
    a = mg.randn(3).numpy()
    mg.manual_seed(7)
    np.testing.assert_array_equal(a, mg.randn(3).numpy())
    with pytest.raises(ValueError, match="seed"):
        mg.manual_seed(-1)
    with pytest.raises(TypeError, match="manual_seed: seed must be an int, got float"):
        mg.manual_seed(1.5)


def test_properties_item_numpy_and_asarray():
    t = mg.tensor([[1.0, 2.0, 3.0]])
    assert (t.shape, t.ndim, t.device, t.is_leaf, len(t)) == ((1, 3), 2, "cpu", True, 1)
    assert mg.tensor([2.5]).item() == 2.5
    assert np.asarray(t).shape == (1, 3)
    assert isinstance(t.numpy(), np.ndarray)
    with pytest.raises(ValueError, match="one element"):
        t.item()


def test_data_is_assignable_and_grad_accumulates_across_backward_calls():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6, 6])
    x.grad = None
    x.data = mg.tensor([5.0, 6.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [10, 12])


def test_detach_and_no_grad_stop_recording():
    x = mg.tensor([1.0], requires_grad=True)
    assert not x.detach().requires_grad
    with mg.no_grad():
        y = x * 2
    assert not y.requires_grad and y.is_leaf
    assert mg.is_grad_enabled()

    @mg.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad


def test_comparisons_give_bool_tensors_without_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    result = x > 1.5
    assert result.dtype == np.bool_ and not result.requires_grad
    np.testing.assert_array_equal((x == mg.tensor([1.0, 0.0])).numpy(), [True, False])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_integer_floor_division_and_modulo_by_zero_are_errors_as_in_torch(device):
    """torch: RuntimeError "ZeroDivisionError" (NumPy gave 0 with a warning); float division by 0
    gives inf/nan, and an empty tensor has nothing to divide."""
    ints = mg.tensor([5, -7], device=device)
    for call in (lambda: ints // 0, lambda: ints % 0, lambda: ints // mg.tensor([1, 0], device=device),
                 lambda: mg.tensor([5], dtype=mg.int32, device=device) % mg.tensor(0, device=device),
                 lambda: ints // False):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            call()
    assert (ints // 2).tolist() == [2, -4] and (ints % 3).tolist() == [2, 2]
    assert (ints // 0.0).tolist() == [float("inf"), float("-inf")]
    assert (mg.zeros(0, dtype=mg.int64, device=device) // 0).shape == (0,)


def test_negating_a_bool_tensor_is_an_error_that_suggests_logical_not(device):
    mask = mg.tensor([True, False], device=device)
    for negate in (lambda m: -m, lambda m: m.neg(), mg.neg):
        with pytest.raises(RuntimeError, match=r"Negation, the `-` operator, on a bool tensor is not supported.*"
                                               r"use the `~` or `logical_not\(\)` operator instead"):
            negate(mask)
    assert (~mask).tolist() == [False, True]


def test_numpy_of_a_tensor_that_requires_grad_says_to_detach_as_torch(device):
    """torch: "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
    (np.asarray too); allowed inside no_grad; tolist, item and repr keep working."""
    x = mg.tensor([1.0, 2.0], requires_grad=True, device=device)
    for requiring in (x, x * 2):
        for convert in (lambda t: t.numpy(), np.asarray):
            with pytest.raises(RuntimeError, match=r"^Can't call numpy\(\) on Tensor that requires grad\. "
                                                   r"Use tensor\.detach\(\)\.numpy\(\) instead\.$"):
                convert(requiring)
        np.testing.assert_array_equal(requiring.detach().numpy(), requiring.tolist())
        with mg.no_grad():
            np.testing.assert_array_equal(requiring.numpy(), requiring.tolist())
    assert x.tolist() == [1.0, 2.0] and x[1].item() == 2.0 and "requires_grad=True" in repr(x)


def test_dtype_conversion_is_differentiable():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2, 4])
    assert x.to("float32") is x and x.to("cpu") is x


def test_cuda_without_cupy_or_gpu_says_what_is_missing():
    if mg.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="(CuPy|cupy).*(pip install|GPU)"):
        mg.zeros(2, device="cuda")
    with pytest.raises(ValueError, match="unknown device"):
        mg.zeros(2, device="tpu")


def test_repr_shows_values_and_flags():
    assert repr(mg.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert "dtype=float64" in repr(mg.tensor(np.zeros(1)))


def test_grad_is_assignable_only_with_a_matching_tensor():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    x.grad = mg.tensor([0.5, 0.5])
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.5, 2.5])  # accumulates onto the assigned grad
    x.grad = None
    assert x.grad is None
    with pytest.raises(TypeError, match="must be a Tensor or None, got ndarray"):
        x.grad = np.zeros(2, dtype=np.float32)
    with pytest.raises(RuntimeError, match="assigned grad has shape \\(3,\\), but the tensor has shape \\(2,\\)"):
        x.grad = mg.zeros(3)
    with pytest.raises(RuntimeError, match="assigned grad has dtype float64, but the tensor has dtype float32"):
        x.grad = mg.zeros(2, dtype="float64")
    assert x.grad is None


def test_requires_grad_setter_follows_torch():
    x = mg.tensor([1.0, 2.0])
    x.requires_grad = True
    assert x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        mg.tensor(np.array([1, 2])).requires_grad = True
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        mg.tensor(np.array([True])).requires_grad_()
    y = x * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    y.requires_grad = True  # already true: allowed, as torch
    x.requires_grad = False
    assert not (x * 2).requires_grad


def test_leaf_gradients_never_share_memory():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # Add hands one gradient array to both inputs
    a.grad.mul_(10.0)
    np.testing.assert_allclose(a.grad.numpy(), [10.0, 10.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    gradient = mg.tensor([1.0, 1.0])
    a.grad = None
    a.backward(gradient)
    a.grad.zero_()
    np.testing.assert_allclose(gradient.numpy(), [1.0, 1.0])


class PassThrough(mg.Op):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy  # the very array it was given


class DoubleSum(mg.Op):
    def forward(self, a, b):
        return 2 * (a + b)

    def backward(self, gy):
        g = 2 * gy
        return g, g  # one fresh array for both inputs


def test_gradients_passed_through_viewed_or_handed_to_two_inputs_are_not_shared_either():
    a, b, c, d, e = (mg.tensor([1.0, 2.0], requires_grad=True) for _ in range(5))
    gradient = mg.ones(2)  # reaches both pass-throughs as the very same array
    (PassThrough()(a) + PassThrough()(b) + c.reshape(2, 1).reshape(2) + DoubleSum()(d, e)).backward(gradient)
    for t in (a, b, c, d, e):
        t.grad.mul_(3.0)
    for t, expected in ((a, 3.0), (b, 3.0), (c, 3.0), (d, 6.0), (e, 6.0)):
        np.testing.assert_allclose(t.grad.numpy(), [expected, expected])
    np.testing.assert_array_equal(gradient.numpy(), [1.0, 1.0])


def test_size_is_a_method_with_an_optional_dim_and_the_other_info_methods():
    t = mg.zeros(2, 3, 4)
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert (t.dim(), t.ndim, t.numel()) == (3, 3, 24)
    with pytest.raises(IndexError, match="out of range"):
        t.size(3)
    assert mg.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert mg.tensor(2.5).tolist() == 2.5 and int(mg.tensor([7])) == 7
    assert [1, 2, 3][mg.tensor(1)] == 2
    x = mg.tensor([1.0], requires_grad=True)
    y = x * 2
    assert x.grad_fn is None and isinstance(y.grad_fn, mg.ops.math.Mul)


def test_len_and_iteration_go_over_dim_0():
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    rows = list(t)
    assert len(t) == 3 and len(rows) == 3 and rows[1].detach().numpy().tolist() == [3, 4]
    sum(row.sum() for row in rows).backward()  # rows keep their gradients
    np.testing.assert_array_equal(t.grad.numpy(), np.ones((3, 2)))
    with pytest.raises(TypeError, match="0-d"):
        len(mg.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(mg.tensor(1.0))


def test_dtype_conversion_methods():
    x = mg.tensor([1.7, -2.2, 0.0])
    assert x.long().dtype == np.int64 and x.long().tolist() == [1, -2, 0]
    assert x.int().dtype == np.int32 and x.bool().tolist() == [True, True, False]
    assert x.double().dtype == np.float64 and mg.tensor([1, 2]).float().dtype == np.float32
    assert x.type() == "minigrad.FloatTensor" and x.long().type() == "minigrad.LongTensor"
    assert x.type(mg.float64).dtype == np.float64 and x.type("long").dtype == np.int64


def test_to_accepts_torch_forms():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.to(mg.float32) is x and x.to(device="cpu", dtype="float32") is x
    assert x.to(mg.float64).dtype == np.float64
    assert x.to("cpu", mg.float64).dtype == np.float64
    assert x.to(dtype=mg.int64).dtype == np.int64
    assert x.to(mg.device("cpu")) is x
    other = mg.zeros(1, dtype=mg.float64)
    y = x.to(other)
    assert y.dtype == np.float64 and y.requires_grad
    y.sum().backward()
    assert x.grad.dtype == np.float32
    with pytest.raises(TypeError, match="to\\(\\) takes a device"):
        x.to(copy=True)
    with pytest.raises(TypeError, match="unknown dtype"):
        x.to("gpu")


def test_device_objects_compare_equal_to_their_names():
    assert str(mg.device("cuda:0")) == "cuda" and mg.device("cuda:0") == "cuda"
    assert mg.device("cpu").type == "cpu" and mg.device("cpu").index is None
    assert repr(mg.device("cpu")) == "device(type='cpu')"
    t = mg.zeros(2)
    assert t.device == "cpu" and t.device == mg.device("cpu") and isinstance(t.device, mg.device)
    assert mg.zeros(2, device=mg.device("cpu")).device == "cpu"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        mg.device("tpu")


def test_repr_shows_dtype_only_where_torch_does():
    assert repr(mg.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(mg.tensor([True, False])) == "tensor([ True, False])"
    assert repr(mg.tensor(np.array([1, 2], dtype=np.int32))) == "tensor([1, 2], dtype=int32)"
    assert repr(mg.tensor([1.5])) == "tensor([1.5])"


def test_mistakes_in_making_and_converting_tensors_say_what_is_wrong():
    with pytest.raises(ValueError, match="nested sequences of different lengths"):
        mg.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="unknown dtype 'tpu'.*devices are 'cpu', 'cuda'"):
        mg.ones(2).to("tpu")
    with pytest.raises(TypeError, match="unsupported operand of type NoneType"):
        mg.tensor([4, 5]) // None
    assert (~mg.tensor([True, False])).tolist() == [False, True]


@pytest.mark.gpu
def test_mixing_devices_names_both_devices():
    with pytest.raises(RuntimeError, match="cpu and cuda"):
        mg.ones(3) + mg.ones(3, device="cuda")


@pytest.mark.gpu
def test_tensor_moves_are_differentiable():
    x = mg.randn(4, requires_grad=True)
    (x.cuda() * 2).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), 2)


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
    assert not detached.requires_grad and detached.grad_fn is None and detached._data is not leaf._data


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


# Each spelling of a move, as (name, function of the tensor and the target device's reference tensor).
MOVES = [
    ("to(device)", lambda t, other: t.to(other.device)),
    ("to(device=)", lambda t, other: t.to(device=other.device)),
    ("to(other)", lambda t, other: t.to(other)),
    ("type_as", lambda t, other: t.type_as(other)),
    ("cpu/cuda", lambda t, other: t.cpu() if other.device == "cpu" else t.cuda()),
]


def _array_type(device):
    return np.ndarray if device == "cpu" else mg.backend.cupy_or_none().ndarray


@pytest.mark.gpu
@pytest.mark.parametrize("source, target", [("cpu", "cuda"), ("cuda", "cpu")])
@pytest.mark.parametrize("dtype, requires_grad", [
    pytest.param(dtype, grad, id=f"{np.dtype(dtype).name}-{'grad' if grad else 'no_grad'}")
    for dtype, grad in [(mg.float32, False), (mg.float32, True), (mg.float64, False), (mg.float64, True),
                        (mg.int64, False), (mg.bool, False)]])
@pytest.mark.parametrize("name, move", MOVES, ids=[name for name, _ in MOVES])
def test_a_move_puts_the_array_on_the_target_device_and_the_gradient_on_the_source(name, move, requires_grad,
                                                                                     dtype, source, target):
    values = [1.5, -2.0, 0.0] if dtype in (mg.float32, mg.float64) else [1, 0, 3]
    x = mg.tensor(values, dtype=dtype, device=source, requires_grad=requires_grad)
    moved = move(x, mg.zeros(1, dtype=dtype, device=target))
    assert moved.device == target and type(moved._data) is _array_type(target)
    assert moved.dtype == dtype and moved.tolist() == x.tolist()
    assert moved.requires_grad == requires_grad
    if requires_grad:
        (moved * mg.tensor([2.0, 3.0, 4.0], dtype=dtype, device=target)).sum().backward()
        assert x.grad.device == source and type(x.grad._data) is _array_type(source)
        assert x.grad.dtype == dtype and x.grad.tolist() == [2, 3, 4]


@pytest.mark.gpu
@pytest.mark.parametrize("source, target", [("cpu", "cuda"), ("cuda", "cpu")])
def test_a_move_with_a_cast_gives_the_gradient_in_the_source_dtype_and_device(source, target):
    x = mg.tensor([1.5, -2.0], device=source, requires_grad=True)
    moved = x.to(target, mg.float64)
    assert moved.device == target and type(moved._data) is _array_type(target) and moved.dtype == mg.float64
    (moved * mg.tensor([2.0, 3.0], dtype=mg.float64, device=target)).sum().backward()
    assert type(x.grad._data) is _array_type(source) and x.grad.dtype == mg.float32 and x.grad.tolist() == [2, 3]


@pytest.mark.gpu
def test_a_round_trip_through_the_gpu_is_differentiable_and_gradchecks():
    x = mg.tensor([0.5, -1.25, 2.0], dtype=mg.float64, requires_grad=True)
    back = (x.cuda() * x.cuda()).cpu()
    assert type(back._data) is np.ndarray
    back.sum().backward()
    assert type(x.grad._data) is np.ndarray and x.grad.tolist() == [1.0, -2.5, 4.0]
    assert mg.gradcheck(lambda a: (a.cuda().exp() * 2).cpu(), [x])


class _NoGradient(mg.Op):
    """The identity, whose backward passes no gradient on."""

    def forward(self, x):
        return x * 1

    def backward(self, gy):
        return None


@pytest.mark.gpu
@pytest.mark.parametrize("source, target", [("cpu", "cuda"), ("cuda", "cpu")])
def test_a_move_that_no_gradient_reaches_gives_zeros_on_the_source_device(source, target):
    x = mg.ones(3, device=source, requires_grad=True)
    unreached = _NoGradient()(x.to(target)).sum().to(source)
    (unreached + (x * 2).sum()).backward()
    assert type(x.grad._data) is _array_type(source) and x.grad.tolist() == [2, 2, 2]


@pytest.mark.parametrize("dtype, expected", [("int64", [1, 2, 0]), ("bool", [True, True, False])])
@pytest.mark.parametrize("write", ["copy_", "setitem", "setitem list", "view copy_"])
def test_writing_a_float_that_requires_grad_into_integers_gives_no_grad_as_torch(write, dtype, expected):
    w = mg.tensor([1.5, 2.5], requires_grad=True)
    x = mg.zeros(3, dtype=dtype)
    if write == "copy_":
        x.copy_(mg.cat([w, mg.zeros(1)]))
    elif write == "setitem":
        x[:2] = w
    elif write == "setitem list":
        x[[0, 1]] = w
    else:
        x[:2].copy_(w)  # a view of an integer tensor: nothing to record either
    assert not x.requires_grad and x.grad_fn is None
    assert x.dtype == dtype and x.tolist() == expected


def test_format_spec_as_torch():
    # torch 2.13: a 0-d tensor formats as its number; any other tensor refuses a spec
    assert f"{mg.tensor(1.23456):.4f}" == "1.2346"
    assert f"{mg.tensor(3):>5}" == "    3"
    assert f"{mg.tensor(1.5, requires_grad=True):.2f}" == "1.50"
    assert f"{mg.tensor([1.0, 2.0])}" == "tensor([1., 2.])"
    for tensor in (mg.tensor([1.23456]), mg.tensor([1.0, 2.0])):
        with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
            f"{tensor:.4f}"


def test_is_cuda(device):
    assert mg.zeros(2, device=device).is_cuda is (device == "cuda")


def test_devices_minigrad_lacks_read_false():
    x = mg.randn(2)
    assert (x.is_xpu, x.is_mps, x.is_meta) == (False, False, False)
