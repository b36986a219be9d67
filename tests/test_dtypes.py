"""Integer and bool tensors, and torch's type promotion between them and float tensors."""
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
    np.testing.assert_array_equal(x[x > 2.5].numpy(), [3, 4, 5, 6])


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
    with pytest.raises(TypeError, match="// is defined for integer and float"):
        mg.tensor([True]) // 2
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
    with pytest.raises(TypeError, match="unsupported dtype float16"):
        mg.tensor([1.0], dtype="float16")


def test_torch_dtype_aliases():
    assert (mg.float, mg.double, mg.short, mg.int16, mg.int8, mg.uint8) == (
        np.float32, np.float64, np.int16, np.int16, np.int8, np.uint8)
    for alias in (mg.float, mg.double, mg.long, mg.int, mg.short, mg.int32, mg.int16, mg.int8, mg.uint8, mg.bool):
        assert mg.zeros(2, dtype=alias).dtype == alias
    assert (mg.ones(2, dtype=mg.uint8) * 200).tolist() == [200, 200]
    assert mg.tensor([1.7, -2.5]).to(mg.short).tolist() == [1, -2]  # torch truncates toward zero
    assert mg.half is mg.float16 and mg.half == np.float16


@pytest.mark.parametrize("call", [lambda: mg.zeros(2, dtype=mg.half), lambda: mg.tensor([1.0]).to(mg.float16),
                                  lambda: mg.tensor([1.0], dtype="half")])
def test_half_is_named_but_refused_with_the_way_out(call):
    with pytest.raises(TypeError, match=r"unsupported dtype float16 \(mg.half\).*use mg.float32"):
        call()


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
