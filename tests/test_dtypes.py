"""Integer and bool tensors, and torch's type promotion between them and float tensors."""
import re

import numpy as np
import pytest

import minigrad as mg

ints = lambda *values: mg.tensor(list(values))  # noqa: E731  (int64, as torch)


@pytest.mark.parametrize("expression, dtype, values", [
    (lambda: ints(1, 2) + 1, np.int64, [2, 3]),
    (lambda: ints(1, 2) * 2.5, np.float32, [2.5, 5]),
    (lambda: ints(1, 2) / 2, np.float32, [0.5, 1]),
    (lambda: ints(1, 2) / ints(4, 4), np.float32, [0.25, 0.5]),
    (lambda: ints(1, 2) ** 2, np.int64, [1, 4]),
    (lambda: 3 - ints(1, 2), np.int64, [2, 1]),
    (lambda: ints(1, 2) + mg.tensor([0.5, 0.5]), np.float32, [1.5, 2.5]),
    (lambda: ints(1, 2) * mg.tensor([0.5, 0.5], dtype="float64"), np.float64, [0.5, 1]),
    (lambda: mg.tensor(np.array([1, 2], dtype=np.int32)) + 1, np.int32, [2, 3]),
    (lambda: mg.tensor(np.array([1, 2], dtype=np.int32)) + ints(1, 1), np.int64, [2, 3]),
    (lambda: mg.tensor([True, False]) + 1, np.int64, [2, 1]),
    (lambda: mg.tensor([True, False]) + True, np.bool_, [True, True]),
    (lambda: mg.tensor([True, False]) * 1.5, np.float32, [1.5, 0]),
    (lambda: mg.tensor([1.0, 2.0]) + 1, np.float32, [2, 3]),
    (lambda: mg.tensor([1.0, 2.0]) + np.array([1, 1]), np.float32, [2, 3]),
    (lambda: ints(7, -7) // 2, np.int64, [3, -4]),
    (lambda: ints(7, -7) % 3, np.int64, [1, 2]),
    (lambda: mg.tensor([7.0, -7.0]) // 2, np.float32, [3, -4]),
])
def test_type_promotion_follows_torch(expression, dtype, values):
    result = expression()
    assert result.dtype == dtype
    np.testing.assert_array_equal(result.numpy(), values)
    assert not result.requires_grad


def test_int_operand_gives_the_float_operand_its_gradient():
    w = mg.tensor([0.5, 2.0], requires_grad=True)
    (ints(3, 4) * w).sum().backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad.numpy(), [3, 4])
    w64 = mg.tensor([0.5, 2.0], dtype="float64", requires_grad=True)
    assert mg.gradcheck(lambda a: a * ints(3, 4) + ints(1, 2) / a, [w64])


def test_integer_tensors_work_as_indices_targets_and_masks():
    x = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    rows, columns = ints(0, 1, 1), ints(2, 0, 2)
    x[rows, columns].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 1], [1, 0, 1]])
    predictions = x.argmax(dim=1)
    accuracy = (predictions == ints(2, 1)).float().mean()
    assert accuracy.item() == 0.5
    np.testing.assert_array_equal(x[x > 2.5].detach().numpy(), [3, 4, 5, 6])


def test_comparison_methods_and_bool_operators():
    a, b = mg.tensor([1.0, 2.0, 3.0]), mg.tensor([3.0, 2.0, 1.0])
    for method, op in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                       ("gt", np.greater), ("ge", np.greater_equal)):
        result = getattr(a, method)(b)
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), op(a.numpy(), b.numpy()))
    np.testing.assert_array_equal(a.ge(2).numpy(), [False, True, True])
    mask = a > 1
    np.testing.assert_array_equal((~mask).numpy(), [True, False, False])
    np.testing.assert_array_equal((mask & (a < 3)).numpy(), [False, True, False])
    np.testing.assert_array_equal((mask | (a < 2)).numpy(), [True, True, True])
    np.testing.assert_array_equal((mask ^ True).numpy(), [True, False, False])
    np.testing.assert_array_equal((ints(6, 5) & 3).numpy(), [2, 1])


def test_integer_and_bool_operators_refuse_floats_and_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="~ is defined for integer and bool tensors, got dtype float32"):
        ~x
    with pytest.raises(TypeError, match="& is defined for integer and bool"):
        x & ints(1, 1)
    with pytest.raises(RuntimeError, match="// is not implemented for two bool operands"):
        mg.tensor([True]) // True  # a bool beside a number is 0 / 1, as torch's
    with pytest.raises(RuntimeError, match="no gradient.*detach"):
        x // 2
    with mg.no_grad():
        np.testing.assert_array_equal((x % 2).numpy(), [1, 0])


def test_integer_and_bool_tensors_never_require_grad():
    with pytest.raises(TypeError, match="only float32 and float64 tensors can require grad, got int64"):
        mg.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="got bool"):
        mg.tensor([True], requires_grad=True)
    bad = mg.Tensor._wrap(np.array([1, 2]), True)  # made behind the constructor's back: ops refuse it
    with pytest.raises(TypeError, match="int64 tensor cannot require grad"):
        bad + 1
    with pytest.raises(TypeError, match="unsupported dtype <U1"):
        mg.ops.math.Exp()(mg.Tensor._wrap(np.array(["a"]), False))


def test_dtype_names_and_aliases():
    assert (mg.long, mg.int, mg.bool) == (np.int64, np.int32, np.bool_)
    for name, dtype in (("float32", np.float32), ("float", np.float32), ("double", np.float64),
                        ("int64", np.int64), ("long", np.int64), ("int32", np.int32), ("int", np.int32),
                        ("bool", np.bool_)):
        assert mg.tensor([1], dtype=name).dtype == dtype
    assert mg.tensor([1.7], dtype=mg.long).numpy().tolist() == [1]
    with pytest.raises(TypeError, match="unsupported dtype complex64"):
        mg.tensor([1.0], dtype="complex64")


def test_a_zero_dim_operand_decides_the_dtype_only_when_its_category_is_higher_as_torch():
    f32, i64 = mg.ones(3), mg.tensor([1, 2, 3])
    f64_scalar = mg.tensor(2.0, dtype=mg.float64)
    assert (f32 + f64_scalar).dtype == mg.float32          # dimensioned float32 wins within floats
    assert f32.pow(f64_scalar).dtype == mg.float32
    assert (f32 * f64_scalar).dtype == mg.float32
    assert (i64 + f64_scalar).dtype == mg.float64          # a higher category (float over int) counts
    assert (mg.ones(3, dtype=mg.float64) + mg.tensor(1.0)).dtype == mg.float64
    assert (mg.tensor(3) + mg.tensor([1.0, 2.0])).dtype == mg.float32
    assert (mg.tensor(True) + i64).dtype == mg.int64
    assert (mg.tensor(2.0) + mg.tensor(1.0, dtype=mg.float64)).dtype == mg.float64  # both 0-d: widest
    x = mg.ones(3, requires_grad=True)
    s = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)
    (x * s).sum().backward()
    assert x.grad.dtype == mg.float32 and s.grad.dtype == mg.float64 and s.grad.item() == 3.0


bools = lambda: mg.tensor([True, False])  # noqa: E731


@pytest.mark.parametrize("expression, dtype, values", [  # torch 2.13's results
    (lambda: bools().add(True, alpha=2), np.bool_, [True, True]),  # alpha does not promote (was int64)
    (lambda: bools().add(bools(), alpha=2), np.bool_, [True, False]),
    (lambda: bools().add(mg.tensor(True), alpha=2), np.bool_, [True, True]),
    (lambda: bools().add(True, alpha=0), np.bool_, [True, False]),
    (lambda: bools().add_(True, alpha=2), np.bool_, [True, True]),
    (lambda: bools() ** True, np.bool_, [True, False]),  # bool ** bool stays bool (was int8)
    (lambda: bools() ** False, np.bool_, [True, True]),
    (lambda: bools().pow(True), np.bool_, [True, False]),
    (lambda: bools() ** 2, np.int64, [1, 0]),
    (lambda: bools().add(1, alpha=2), np.int64, [3, 2]),
    (lambda: mg.tensor([1, 2], dtype="int8").add(True, alpha=2), np.int8, [3, 4]),
    (lambda: mg.tensor([1, 2], dtype="uint8") ** True, np.uint8, [1, 2]),
])
def test_bool_tensors_with_python_bools_and_alpha_keep_torchs_dtype(expression, dtype, values):
    result = expression()
    assert result.dtype == dtype
    assert result.tolist() == values


@pytest.mark.parametrize("call, error, match", [
    (lambda: ints(1, 2).add(1, alpha=2.5), TypeError, "add: for integer and bool tensors alpha must not be a float"),
    (lambda: bools().add(True, alpha=1.0), TypeError, "alpha must not be a float"),
    (lambda: ints(1, 2).add_(1, alpha=2.5), TypeError, "add_: for integer and bool tensors alpha must not be a float"),
    (lambda: ints(1, 2).sub(1, alpha=True), RuntimeError, "sub: a bool alpha is only supported for bool results"),
    (lambda: mg.ones(2).add_(1, alpha=True), RuntimeError, "a bool alpha is only supported for bool results"),
])
def test_alpha_of_the_wrong_kind_is_refused_as_torch(call, error, match):
    with pytest.raises(error, match=match):
        call()
_FILLS = {
    "full": lambda value, dtype: mg.full((2,), value, dtype=dtype),
    "new_full": lambda value, dtype: mg.zeros(1, dtype=dtype).new_full((2,), value),
    "full_like": lambda value, dtype: mg.full_like(mg.zeros(2, dtype=dtype), value),
    "fill_": lambda value, dtype: mg.zeros(2, dtype=dtype).fill_(value),
    "masked_fill": lambda value, dtype: mg.zeros(2, dtype=dtype).masked_fill(mg.tensor([True, False]), value),
    "setitem": lambda value, dtype: mg.zeros(2, dtype=dtype).__setitem__(0, value),
    "scatter": lambda value, dtype: mg.zeros(3, dtype=dtype).scatter(0, mg.tensor([0]), value),
    "constant_": lambda value, dtype: mg.nn.init.constant_(mg.zeros(2, dtype=dtype), value),
}


_OVERFLOWS = [(1e300, "float32", "float32"), (-3.5e38, "float32", "float32"), (2 ** 31, "int32", "int32"),
              (1e300, "int64", "int64")]


@pytest.mark.parametrize("fill, value, dtype, shown", [
    pytest.param(fill, *overflow, id=f"{name}-{overflow[0]!r}-{overflow[1]}")
    for name, fill in _FILLS.items() for overflow in _OVERFLOWS
    if name != "constant_" or overflow[1] == "float32"])  # nn.init fills float tensors
def test_fills_refuse_a_value_the_dtype_cannot_hold(fill, value, dtype, shown):
    """As torch's fills ("value cannot be converted to type float without overflow"): the value
    would become inf or wrap silently. Arithmetic (x + 1e300) still overflows to inf, as torch's."""
    with pytest.raises(RuntimeError, match=re.escape(f"value {value!r} cannot be converted to type {shown} without overflow")):
        fill(value, dtype)


@pytest.mark.parametrize("fill", _FILLS.values(), ids=_FILLS.keys())
def test_fills_take_the_extremes_and_non_finite_values_a_dtype_holds(fill):
    for value, dtype in ((3.4e38, "float32"), (float("inf"), "float32"), (float("nan"), "float32"),
                         (1e300, "float64"), (2 ** 31 - 1, "int32"), (2.5, "bool")):
        if fill is _FILLS["constant_"] and dtype in ("int32", "bool"):
            continue
        fill(value, dtype)
def test_torch_dtype_aliases():
    assert (mg.float, mg.double, mg.short, mg.int16, mg.int8, mg.uint8) == (
        np.float32, np.float64, np.int16, np.int16, np.int8, np.uint8)
    for alias in (mg.float, mg.double, mg.long, mg.int, mg.short, mg.int32, mg.int16, mg.int8, mg.uint8, mg.bool):
        assert mg.zeros(2, dtype=alias).dtype == alias
    assert (mg.ones(2, dtype=mg.uint8) * 200).tolist() == [200, 200]
    assert mg.tensor([1.7, -2.5]).to(mg.short).tolist() == [1, -2]  # torch truncates toward zero
    assert mg.half is mg.float16 and mg.half == np.float16


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_half_is_storage_only(device, tmp_path):
    # creation, conversion, printing, save and load work (values as torch 2.13 rounds them)
    h = mg.tensor([1.5, 0.1, 70000.0], dtype=mg.half, device=device)
    assert h.dtype == mg.half and h.device == device and h.type() == "minigrad.HalfTensor"
    assert h.tolist() == [1.5, 0.0999755859375, float("inf")]
    assert mg.tensor([0.1]).half().float().tolist() == [0.0999755859375]
    assert mg.zeros(2, dtype="half").dtype == np.float16 and mg.from_numpy(np.ones(2, np.float16)).dtype == np.float16
    assert repr(mg.tensor([1.5], dtype=mg.half)) == "tensor([1.5], dtype=float16)"
    assert (mg.tensor([1.0, 2.0], dtype=mg.half, device=device) < 1.5).tolist() == [True, False]
    mg.save({"w": h}, tmp_path / "half.npz")
    loaded = mg.load(tmp_path / "half.npz")["w"]
    assert loaded.dtype == np.float16 and loaded.tolist() == h.tolist()


@pytest.mark.parametrize("call, error, message", [
    (lambda h: h + 1, TypeError, r"Add: float16 \(mg.half\) tensors are storage only .* x.float\(\)"),
    (lambda h: h.exp(), TypeError, "Exp: float16"),
    (lambda h: h[0], TypeError, "GetItem: float16"),
    (lambda h: h.add_(1), TypeError, "AddInPlace: float16"),
    (lambda h: mg.randn(2).sum(dtype=mg.half), TypeError, r"sum\(\): unsupported dtype float16"),
    (lambda h: mg.zeros(2, dtype=mg.half, requires_grad=True), TypeError, "only float32 and float64 tensors can require grad"),
    (lambda h: mg.zeros(2, requires_grad=True).half(), TypeError, "to\\(float16\\): .* cannot carry gradients"),
])
def test_half_refuses_ops_and_gradients(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.zeros(2, dtype=mg.half))


def test_bool_operands_of_minus_pow_floordiv_and_mod_as_torch():
    b = mg.tensor([True, False])
    for subtraction in (lambda: b - 1, lambda: 1.5 - b, lambda: mg.tensor([1.0, 2.0]) - True, lambda: mg.sub(b, b)):
        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor is not supported"):
            subtraction()
    for power in (lambda: b ** b, lambda: True ** b):
        with pytest.raises(RuntimeError, match='"pow" not implemented for \'Bool\''):
            power()
    assert (b ** True).dtype == mg.bool and (b ** True).tolist() == [True, False]  # a number exponent works
    # // and % promote a bool beside a number to 0 / 1 (torch's dtypes and values), refuse bool with bool
    assert (b // mg.tensor([1, 2])).dtype == mg.int64 and (b // mg.tensor([1, 2])).tolist() == [1, 0]
    assert (b % 2.5).dtype == mg.float32 and (b % 2.5).tolist() == [1.0, 0.0]
    with np.errstate(divide="ignore"):
        assert (mg.tensor([1.0, 2.0], dtype=mg.float64) // b).tolist() == [1.0, float("inf")]
    with pytest.raises(RuntimeError, match="bool"):
        b // b
    with pytest.raises(RuntimeError, match="bool"):
        b % True
