"""The math of ops/math.py: arithmetic, matmul, clamp, maximum/minimum and the elementwise functions
(log1p, expm1, rsqrt, reciprocal, square, log2, log10, exp2, sinh, cosh; sign, floor, ceil, round,
trunc with gradient 0, frac with gradient 1), erf, lerp, addmm, outer, dot, nan_to_num and the
logical ops: float64 references, gradcheck, float32, bad input."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


F32_RTOL = 1e-5  # float32 results against the float64 reference


def _t(array, device, dtype="float64", grad=False):
    return mg.tensor(np.asarray(array), dtype=dtype, requires_grad=grad, device=device)


BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "pow": (lambda a, b: a ** b, lambda a, b: a ** b),
}


UNARY = {
    "exp": (lambda t: t.exp(), np.exp),
    "log": (lambda t: t.log(), np.log),
    "tanh": (lambda t: t.tanh(), np.tanh),
    "sigmoid": (lambda t: t.sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    "neg": (lambda t: -t, np.negative),
}


BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((5, 1), (1, 6))]


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shape_a, shape_b", BROADCAST_SHAPES)
def test_binary_ops_match_numpy_and_gradcheck(name, shape_a, shape_b, rng, device):
    op, reference = BINARY[name]
    a, b = _positive(rng, shape_a), _positive(rng, shape_b)
    ta = mg.tensor(a, requires_grad=True, device=device)
    tb = mg.tensor(b, requires_grad=True, device=device)
    np.testing.assert_allclose(op(ta, tb).detach().numpy(), reference(a, b), rtol=1e-12)
    assert mg.gradcheck(op, [ta, tb])


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_in_float32(name, rng, device):
    op, reference = BINARY[name]
    a, b = _positive(rng, (4, 5)), _positive(rng, (5,))
    result = op(mg.tensor(a, dtype="float32", device=device), mg.tensor(b, dtype="float32", device=device))
    assert result.dtype == np.float32
    np.testing.assert_allclose(result.numpy(), reference(a, b), rtol=1e-5)


@pytest.mark.parametrize("name", BINARY)
def test_binary_ops_take_numbers_on_either_side(name):
    op, reference = BINARY[name]
    x = mg.tensor([1.5, 2.0], dtype="float64", requires_grad=True)
    np.testing.assert_allclose(op(x, 3).detach().numpy(), reference(np.array([1.5, 2.0]), 3))
    np.testing.assert_allclose(op(3, x).detach().numpy(), reference(3, np.array([1.5, 2.0])))
    assert op(mg.tensor([1.0, 2.0]), 3).dtype == np.float32  # a number does not promote
    assert mg.gradcheck(lambda t: op(t, 3) + op(2.5, t), [x])


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_match_numpy_gradcheck_and_float32(name, rng, device):
    op, reference = UNARY[name]
    x = _positive(rng, (3, 4))
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_allclose(op(t).detach().numpy(), reference(x), rtol=1e-12)
    assert mg.gradcheck(op, [t])
    t32 = mg.tensor(x, dtype="float32", device=device)
    assert op(t32).dtype == np.float32
    np.testing.assert_allclose(op(t32).numpy(), reference(x), rtol=1e-5)


def test_sigmoid_is_finite_for_large_inputs():
    y = mg.tensor([-1000.0, 0.0, 1000.0]).sigmoid().numpy()
    np.testing.assert_allclose(y, [0, 0.5, 1])


@pytest.mark.parametrize("dtype, x, torch_value", [("float32", -20.0, 2.06115369216775e-09),
                                                    ("float32", -88.0, 6.054601485195952e-39),
                                                    ("float64", -40.0, 4.248354255291589e-18),
                                                    ("float64", -700.0, 9.85967654375977e-305)])
def test_sigmoid_keeps_its_precision_for_negative_inputs_as_torch(device, dtype, x, torch_value):
    # torch 2.13's values; 0.5 (1 + tanh(x / 2)) gave 0 for all four
    t = mg.tensor([x], dtype=dtype, device=device, requires_grad=True)
    y = t.sigmoid()
    y.backward(mg.ones(1, dtype=dtype, device=device))
    np.testing.assert_allclose(y.detach().numpy(), [torch_value], rtol=3 * np.finfo(dtype).eps)
    np.testing.assert_allclose(t.grad.numpy(), [torch_value], rtol=3 * np.finfo(dtype).eps)  # y (1 - y)
def test_integer_powers_with_negative_exponents_follow_torch(device):
    """A tensor of negative exponents is computed elementwise (torch's values: 1 ** b = 1, (-1) ** b
    by parity, else 0; NumPy refused them); a negative number exponent is torch's RuntimeError, empty
    and bool tensors included."""
    base = mg.tensor([2, 1, -1, 0, -2, 3, -1, 5], device=device)
    exponent = mg.tensor([-1, -1, -1, -1, -2, -3, -2, 2], device=device)
    assert (base ** exponent).tolist() == [0, 1, -1, 0, 0, 0, 1, 25]
    assert base.pow(exponent).dtype == mg.int64
    assert (mg.tensor([True, False], device=device) ** mg.tensor([-1, -2], device=device)).tolist() == [1, 0]
    assert (2 ** mg.tensor([-1, 2], device=device)).tolist() == [0, 4]
    for call in (lambda: base ** -1, lambda: base.pow(-2), lambda: mg.pow(base, -1),
                 lambda: mg.zeros(0, dtype=mg.int64, device=device) ** -1, lambda: mg.tensor([True], device=device) ** -1):
        with pytest.raises(RuntimeError, match=r"^Integers to negative integer powers are not allowed\.$"):
            call()
    assert (mg.tensor([2], device=device) ** -1.0).tolist() == [0.5]


def test_pow_gradient_with_zero_base_is_finite():
    x = mg.tensor([0.0, 2.0], dtype="float64", requires_grad=True)
    e = mg.tensor([2.0, 2.0], dtype="float64", requires_grad=True)
    (x ** e).sum().backward()
    assert np.isfinite(e.grad.numpy()).all()


MATMUL_SHAPES = [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
                 ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2))]


@pytest.mark.parametrize("shape_a, shape_b", MATMUL_SHAPES)
def test_matmul_matches_numpy_with_gradients(shape_a, shape_b, rng, device):
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    ta = mg.tensor(a, requires_grad=True, device=device)
    tb = mg.tensor(b, requires_grad=True, device=device)
    np.testing.assert_allclose((ta @ tb).detach().numpy(), a @ b, rtol=1e-12)
    assert mg.gradcheck(lambda x, y: x @ y, [ta, tb])
    result32 = mg.tensor(a, dtype="float32", device=device) @ mg.tensor(b, dtype="float32", device=device)
    np.testing.assert_allclose(result32.numpy(), a @ b, rtol=1e-4, atol=1e-5)


def test_matmul_refuses_mismatched_shapes_dtypes_and_scalars():
    with pytest.raises(ValueError, match="do not align"):
        mg.randn(2, 3) @ mg.randn(4, 2)
    with pytest.raises(TypeError, match="dtype mismatch"):
        mg.randn(2, 3) @ mg.randn(3, 2, dtype="float64")
    with pytest.raises(ValueError, match="at least one dimension"):
        mg.randn(2) @ mg.tensor(2.0)


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
    return shapes.input_shapes


@settings(max_examples=40, deadline=None)
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div"]))
def test_broadcast_gradients_sum_back_to_each_input_shape(shapes, name):
    rng = np.random.default_rng(0)
    op, _ = BINARY[name]
    a = mg.tensor(_positive(rng, shapes[0]), requires_grad=True)
    b = mg.tensor(_positive(rng, shapes[1]), requires_grad=True)
    out = op(a, b)
    out.backward(mg.ones(*out.shape, dtype="float64"))
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    if name == "add":  # each input entry feeds (output size / input size) outputs
        np.testing.assert_allclose(a.grad.numpy(), out.numel() / max(a.numel(), 1))


# name: (Tensor function, float64 NumPy reference written out, input sampler)
ELEMENTWISE = {
    "abs": (lambda a: a.abs(), np.abs, lambda rng: rng.standard_normal((3, 4))),
    "sqrt": (lambda a: a.sqrt(), np.sqrt, lambda rng: rng.uniform(0.5, 2.0, (3, 4))),
    "sin": (lambda a: a.sin(), np.sin, lambda rng: rng.standard_normal((3, 4))),
    "cos": (lambda a: a.cos(), np.cos, lambda rng: rng.standard_normal((3, 4))),
    "clamp": (lambda a: a.clamp(-0.5, 0.7), lambda x: np.minimum(np.maximum(x, -0.5), 0.7),
              lambda rng: rng.standard_normal((3, 4))),
    "clamp(min=)": (lambda a: a.clamp(min=0.1), lambda x: np.maximum(x, 0.1), lambda rng: rng.standard_normal((3, 4))),
    "clip(max=)": (lambda a: a.clip(max=0.2), lambda x: np.minimum(x, 0.2), lambda rng: rng.standard_normal((3, 4))),
    "pow(3)": (lambda a: a.pow(3), lambda x: x ** 3, lambda rng: rng.standard_normal((3, 4))),
    "pow(tensor)": (lambda a: a.pow(mg.tensor([[1.0], [2.0], [0.5]], dtype=a.dtype, device=a.device)),
                    lambda x: x ** np.array([[1.0], [2.0], [0.5]]), lambda rng: rng.uniform(0.5, 2.0, (3, 4))),
    "softmax(1)": (lambda a: a.softmax(1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True),
                   lambda rng: rng.standard_normal((3, 4))),
    "softmax(0)": (lambda a: a.softmax(dim=0), lambda x: np.exp(x) / np.exp(x).sum(0, keepdims=True),
                   lambda rng: rng.standard_normal((3, 4))),
    "log_softmax(-1)": (lambda a: a.log_softmax(-1), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
                        lambda rng: rng.standard_normal((3, 4))),
    "masked_fill": (lambda a: a.masked_fill(mg.tensor([[True, False, False, True]], device=a.device), -2.0),
                    lambda x: np.where([[True, False, False, True]], -2.0, x), lambda rng: rng.standard_normal((3, 4))),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_ops_match_numpy_and_gradcheck(name, rng, device):
    function, reference, sample = ELEMENTWISE[name]
    x = sample(rng)
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_allclose(function(t).detach().numpy(), reference(x), rtol=1e-12, atol=1e-14)
    assert mg.gradcheck(function, [t])
    result32 = function(mg.tensor(x, dtype="float32", device=device))
    assert result32.dtype == np.float32
    np.testing.assert_allclose(result32.numpy(), reference(x), rtol=1e-5, atol=1e-6)


@pytest.mark.gpu
@pytest.mark.parametrize("mask_shape", [(), (3,)], ids=["0-d", "1-d"])
@pytest.mark.parametrize("device, other", [("cuda", "cpu"), ("cpu", "cuda")])
def test_masked_fill_refuses_a_mask_on_another_device_as_torch(device, other, mask_shape):
    x = mg.ones(3, device=device)
    mask = mg.ones(mask_shape, dtype=mg.bool, device=other)
    with pytest.raises(RuntimeError, match=f"masked_fill: expected the mask on the tensor's device \\({device}\\), "
                                           f"got it on {other}"):
        x.masked_fill(mask, 0.0)


@pytest.mark.parametrize("value_device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_masked_fill_sends_the_gradient_of_a_tensor_value_back_in_its_dtype_and_device(device, value_device):
    x = mg.ones(2, 3, device=device, requires_grad=True)
    value = mg.tensor(-2.0, dtype=mg.float64, device=value_device, requires_grad=True)
    filled = x.masked_fill(mg.tensor([True, False, True], device=device), value)
    assert filled.dtype == mg.float32 and filled.tolist() == [[-2, 1, -2]] * 2
    (filled * mg.arange(1.0, 7.0, device=device).reshape(2, 3)).sum().backward()
    assert value.grad.dtype == mg.float64 and value.grad.device == value_device
    assert value.grad.item() == 1 + 3 + 4 + 6  # the weights where the mask put the value
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 2, 0], [0, 5, 0]])


@pytest.mark.gpu
def test_masked_fill_on_the_gpu_takes_a_mask_without_a_device_and_a_cpu_value():
    x = mg.ones(3, device="cuda", requires_grad=True)
    for mask in ([True, False, True], np.array([True, False, True])):  # built on the tensor's device
        filled = x.masked_fill(mask, mg.tensor(-2.0))  # a one-element value, on any device, is a number
        assert filled.device == "cuda" and type(filled._data) is mg.backend.cupy_or_none().ndarray
        assert filled.tolist() == [-2, 1, -2]
    filled.sum().backward()
    assert x.grad.device == "cuda" and x.grad.tolist() == [0, 1, 0]


def test_module_level_forms_call_the_methods(rng):
    x = mg.tensor(rng.standard_normal((3, 4)))
    for name in ("exp", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu"):
        np.testing.assert_array_equal(getattr(mg, name)(x.abs()).numpy(), getattr(x.abs(), name)().numpy())
    np.testing.assert_array_equal(mg.clamp(x, min=0).numpy(), x.clamp(min=0).numpy())
    np.testing.assert_array_equal(mg.softmax(x, dim=1).numpy(), x.softmax(1).numpy())
    np.testing.assert_array_equal(mg.sum(x, dim=0).numpy(), x.sum(0).numpy())
    np.testing.assert_array_equal(mg.argmax(x, dim=1).numpy(), x.argmax(1).numpy())
    np.testing.assert_array_equal(mg.max(x, 1).indices.numpy(), x.max(1).indices.numpy())
    np.testing.assert_array_equal(mg.matmul(x, x.t()).numpy(), (x @ x.t()).numpy())
    np.testing.assert_array_equal(mg.permute(x, (1, 0)).numpy(), x.numpy().T)
    assert mg.flatten(mg.zeros(2, 3, 4), 1).shape == (2, 12)
    with pytest.raises(TypeError, match="mg.exp expects a Tensor"):
        mg.exp([1.0, 2.0])


def test_clamp_keeps_nan_and_passes_the_gradient_inside_the_bounds():
    x = mg.tensor([float("nan"), -2.0, 0.5, 2.0, 1.0], requires_grad=True)
    y = x.clamp(-1, 1)
    assert np.isnan(y.detach().numpy()[0])
    np.testing.assert_array_equal(y.detach().numpy()[1:], [-1, 0.5, 1, 1])
    y[1:].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 1, 0, 1])  # inclusive at the bound, as torch
    np.testing.assert_array_equal(mg.tensor([5.0]).clamp(3, 1).numpy(), [1])  # min > max gives max, as torch


@pytest.mark.parametrize("clamp", [lambda t, low, high: t.clamp(low, high), lambda t, low, high: t.clip(low, high),
                                   lambda t, low, high: mg.clamp(t, min=low, max=high),
                                   lambda t, low, high: t.clone().clamp_(low, high)])
@pytest.mark.parametrize("low, high", [(float("nan"), None), (None, float("nan")), (0.0, float("nan")),
                                       (float("nan"), 1.0)])
def test_clamp_with_a_nan_bound_gives_nan_and_no_gradient_as_torch(device, clamp, low, high):
    x = mg.tensor([1.0, -2.0, 5.0, float("nan")], device=device, requires_grad=True)
    y = clamp(x, low, high)
    assert np.isnan(y.detach().numpy()).all()  # torch 2.13: [nan, nan, nan, nan]; the NaN bound was ignored
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0, 0])
    assert np.isnan(mg.tensor([1, 2], device=device).clamp(low, high).numpy()).all()  # float32, as torch


def test_clamp_of_integers_by_a_float_bound_computes_in_float32():
    ints = mg.tensor([0, 1, 2])
    clamped = ints.clamp(0.5, 1.5)
    assert clamped.dtype == np.float32
    np.testing.assert_array_equal(clamped.numpy(), [0.5, 1, 1.5])
    assert ints.clamp(min=1).dtype == np.int64


def test_abs_has_a_zero_gradient_at_zero():
    x = mg.tensor([0.0, -3.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, -1])


def test_functions_of_integers_compute_in_float32():
    ints = mg.tensor([1, 4])
    for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid"):
        assert getattr(ints, name)().dtype == np.float32, name
    np.testing.assert_allclose(ints.sqrt().numpy(), [1, 2])
    assert ints.softmax(0).dtype == np.float32


def test_elementwise_ops_refuse_bad_arguments():
    x = mg.randn(2, 3)
    with pytest.raises(ValueError, match="at least one of min and max"):
        x.clamp()
    with pytest.raises(TypeError, match="min must be a number"):
        x.clamp(min="0")
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        x.masked_fill(mg.tensor([1, 0, 1]), 0.0)
    with pytest.raises(ValueError, match="does not broadcast"):
        x.masked_fill(mg.tensor([True, False]), 0.0)
    with pytest.raises(ValueError, match="one-element"):
        x.masked_fill(x > 0, mg.zeros(2))
    with pytest.raises(IndexError, match="out of range"):
        x.softmax(2)


@pytest.mark.parametrize("largest", [True, False])
def test_maximum_and_minimum_match_numpy_share_ties_and_gradcheck(largest, rng, device):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    ta, tb = (mg.tensor(x, requires_grad=True, device=device) for x in (a, b))
    name, reference = ("maximum", np.maximum) if largest else ("minimum", np.minimum)
    np.testing.assert_array_equal(getattr(ta, name)(tb).detach().numpy(), reference(a, b))
    np.testing.assert_array_equal(getattr(mg, name)(ta, tb).detach().numpy(), reference(a, b))
    np.testing.assert_array_equal((ta.max(tb) if largest else ta.min(tb)).detach().numpy(), reference(a, b))
    assert mg.gradcheck(lambda x, y: getattr(x, name)(y), [ta, tb])
    tied = mg.tensor([1.0, 2.0, float("nan")], requires_grad=True)
    result = getattr(tied, name)(mg.tensor([1.0, 0.0, 0.0]))
    assert np.isnan(result.detach().numpy()[2])
    result.sum().backward()
    np.testing.assert_array_equal(tied.grad.numpy(), [0.5, 1.0 if largest else 0.0, 1.0])


def test_named_arithmetic_forms_and_nonfinite_checks(rng):
    a = mg.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = mg.tensor(rng.standard_normal((2, 3)))
    np.testing.assert_allclose(a.add(b, alpha=2).detach().numpy(), a.detach().numpy() + 2 * b.numpy())
    np.testing.assert_allclose(mg.sub(a, b, alpha=0.5).detach().numpy(), a.detach().numpy() - 0.5 * b.numpy())
    np.testing.assert_allclose(a.sub(1).detach().numpy(), a.detach().numpy() - 1)
    np.testing.assert_allclose(mg.mul(a, b).detach().numpy(), a.detach().numpy() * b.numpy())
    np.testing.assert_allclose(a.div(b).detach().numpy(), a.detach().numpy() / b.numpy())
    np.testing.assert_allclose(mg.neg(a).detach().numpy(), -a.detach().numpy())
    np.testing.assert_allclose(a.matmul(b.t()).detach().numpy(), a.detach().numpy() @ b.numpy().T, rtol=1e-6)
    a.add(b, alpha=3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones((2, 3)))
    x = mg.tensor([1.0, float("nan"), float("inf"), -float("inf")])
    np.testing.assert_array_equal(x.isnan().numpy(), [False, True, False, False])
    np.testing.assert_array_equal(mg.isinf(x).numpy(), [False, False, True, True])
    np.testing.assert_array_equal(x.isfinite().numpy(), [True, False, False, False])


positive = lambda rng: rng.uniform(0.3, 3.0, (3, 4))  # noqa: E731


normal = lambda rng: rng.standard_normal((3, 4))  # noqa: E731


# away from the jumps of the piecewise-constant ones, so that gradcheck's differences see a flat function
off_jumps = lambda rng: rng.integers(-5, 5, (3, 4)) + rng.uniform(0.05, 0.45, (3, 4)) * rng.choice([-1, 1], (3, 4))  # noqa: E731


# name: (float64 NumPy reference written out, input sampler)
SMOOTH = {
    "log1p": (lambda x: np.log(1 + x), lambda rng: rng.uniform(-0.7, 3.0, (3, 4))),
    "expm1": (lambda x: np.exp(x) - 1, normal),
    "rsqrt": (lambda x: 1 / np.sqrt(x), positive),
    "reciprocal": (lambda x: 1 / x, positive),
    "square": (lambda x: x * x, normal),
    "log2": (lambda x: np.log(x) / np.log(2), positive),
    "log10": (lambda x: np.log(x) / np.log(10), positive),
    "exp2": (lambda x: 2.0 ** x, normal),
    "sinh": (lambda x: (np.exp(x) - np.exp(-x)) / 2, normal),
    "cosh": (lambda x: (np.exp(x) + np.exp(-x)) / 2, normal),
}


# name: (reference, gradient of the reference)
PIECEWISE = {
    "sign": (lambda x: (x > 0) * 1.0 - (x < 0) * 1.0, 0.0),
    "floor": (np.floor, 0.0),
    "ceil": (np.ceil, 0.0),
    "trunc": (lambda x: np.where(x < 0, np.ceil(x), np.floor(x)), 0.0),
    "round": (np.round, 0.0),
    "frac": (lambda x: x - np.where(x < 0, np.ceil(x), np.floor(x)), 1.0),
}


# name: (reference, sampler, rtol of float64 against the reference: the piecewise ones are exact)
UNARY_WITH_SAMPLER_AND_RTOL = {**{name: (reference, sample, 1e-13) for name, (reference, sample) in SMOOTH.items()},
         **{name: (reference, off_jumps, 0) for name, (reference, _) in PIECEWISE.items()}}


@pytest.mark.parametrize("name", sorted(UNARY_WITH_SAMPLER_AND_RTOL))
def test_unary_functions_match_numpy_gradcheck_and_float32(name, rng, device):
    reference, sample, rtol = UNARY_WITH_SAMPLER_AND_RTOL[name]
    x = sample(rng)
    t = mg.tensor(x, requires_grad=True, device=device)
    y = getattr(t, name)()
    assert y.dtype == np.float64 and y.device == device and y.requires_grad
    np.testing.assert_allclose(y.detach().numpy(), reference(x), rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_array_equal(getattr(mg, name)(t).detach().numpy(), y.detach().numpy())
    assert mg.gradcheck(lambda a: getattr(a, name)(), [t])
    t32 = mg.tensor(x, dtype="float32", requires_grad=True, device=device)
    y32 = getattr(t32, name)()
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.detach().numpy(), reference(x), rtol=1e-5, atol=1e-6)
    y32.sum().backward()
    assert t32.grad.dtype == np.float32


def test_smooth_gradients_equal_the_derivatives_written_out(rng, device):
    x = rng.uniform(0.3, 3.0, 5)
    derivatives = {"log1p": 1 / (1 + x), "expm1": np.exp(x), "rsqrt": -0.5 * x ** -1.5, "reciprocal": -1 / x ** 2,
                   "square": 2 * x, "log2": 1 / (x * np.log(2)), "log10": 1 / (x * np.log(10)),
                   "exp2": 2 ** x * np.log(2), "sinh": np.cosh(x), "cosh": np.sinh(x)}
    for name, derivative in derivatives.items():
        t = mg.tensor(x, requires_grad=True, device=device)
        getattr(t, name)().backward(mg.tensor(np.arange(1.0, 6.0), device=device))
        np.testing.assert_allclose(t.grad.numpy(), derivative * np.arange(1.0, 6.0), rtol=1e-12, err_msg=name)


def test_smooth_functions_of_integers_and_bools_follow_torch_dtypes(device):
    ints = mg.tensor([1, 4, 8], device=device)
    for name in ("log1p", "expm1", "rsqrt", "reciprocal", "log2", "log10", "exp2", "sinh", "cosh"):
        assert getattr(ints, name)().dtype == np.float32, name
        with np.errstate(divide="ignore"):  # 1 / 0, log(0)
            assert getattr(mg.tensor([True, False], device=device), name)().dtype == np.float32, name
    np.testing.assert_array_equal(ints.log2().numpy(), [0, 2, 3])
    np.testing.assert_array_equal(ints.reciprocal().numpy(), np.float32([1, 0.25, 0.125]))
    np.testing.assert_array_equal(ints.rsqrt().numpy()[:2], [1, 0.5])
    np.testing.assert_array_equal(mg.tensor([-2, 3], device=device).exp2().numpy(), [0.25, 8])
    squared = mg.tensor([-3, 4], device=device).square()
    assert squared.dtype == np.int64 and squared.tolist() == [9, 16]
    assert mg.tensor(np.int32([5]), device=device).square().dtype == np.int32
    bools = mg.tensor([True, False], device=device).square()
    assert bools.dtype == np.int64 and bools.tolist() == [1, 0]


def test_smooth_functions_at_the_edges_of_their_domains():
    x = mg.tensor([0.0, -1.0, -2.0, 1e-10], dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):  # as torch: inf and NaN, no error
        np.testing.assert_array_equal(x.rsqrt().numpy()[:3], [np.inf, np.nan, np.nan])
        np.testing.assert_array_equal(x.log1p().numpy()[:3], [0, -np.inf, np.nan])
        np.testing.assert_array_equal(x.reciprocal().numpy()[:1], [np.inf])
    small = x[3:]
    assert small.log1p().item() == pytest.approx(1e-10, rel=1e-9)  # log(1 + x) would lose these digits
    assert small.expm1().item() == pytest.approx(1e-10, rel=1e-9)
    assert mg.tensor([1e-10]).log1p().item() == pytest.approx(1e-10, rel=1e-6)  # float32 too


@pytest.mark.parametrize("name", sorted(PIECEWISE))
def test_piecewise_gradients_are_zero_or_one_as_torch(name, rng, device):
    slope = PIECEWISE[name][1]
    t = mg.tensor(off_jumps(rng), requires_grad=True, device=device)
    gy = rng.standard_normal((3, 4))
    getattr(t, name)().backward(mg.tensor(gy, device=device))
    np.testing.assert_array_equal(t.grad.numpy(), slope * gy)


def test_piecewise_functions_at_the_jumps_and_non_finite_values(device):
    x = mg.tensor([-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5, 3.0], dtype="float64", requires_grad=True, device=device)
    np.testing.assert_array_equal(x.round().detach().numpy(), [-2, -2, -0, 0, 0, 2, 2, 3])  # half to even
    np.testing.assert_array_equal(x.floor().detach().numpy(), [-3, -2, -1, 0, 0, 1, 2, 3])
    np.testing.assert_array_equal(x.ceil().detach().numpy(), [-2, -1, -0, 0, 1, 2, 3, 3])
    np.testing.assert_array_equal(x.trunc().detach().numpy(), [-2, -1, 0, 0, 0, 1, 2, 3])
    np.testing.assert_array_equal(x.frac().detach().numpy(), [-0.5, -0.5, -0.5, 0, 0.5, 0.5, 0.5, 0])
    np.testing.assert_array_equal(x.sign().detach().numpy(), [-1, -1, -1, 0, 1, 1, 1, 1])
    for name in ("sign", "floor", "ceil", "round", "trunc"):  # 0 at the jumps too, as torch
        x.grad = None
        getattr(x, name)().sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros(8), err_msg=name)
    special = mg.tensor([np.nan, np.inf, -np.inf], device=device)
    np.testing.assert_array_equal(special.sign().numpy(), [0, 1, -1])  # NaN gives 0, as torch
    for name in ("floor", "ceil", "round", "trunc"):
        np.testing.assert_array_equal(getattr(special, name)().numpy(), [np.nan, np.inf, -np.inf], err_msg=name)
    with np.errstate(invalid="ignore"):
        assert np.isnan(special.frac().numpy()).all()


@pytest.mark.parametrize("decimals", [1, 2, 3, -1, -2])
def test_round_to_decimals_as_torch(decimals, rng, device):
    x = rng.standard_normal(20) * 10 ** (2 - decimals)
    t = mg.tensor(x, requires_grad=True, device=device)
    y = t.round(decimals=decimals)
    scale = 10.0 ** abs(decimals)  # torch's order: multiply then divide, or divide then multiply
    expected = np.rint(x * scale) / scale if decimals > 0 else np.rint(x / scale) * scale
    np.testing.assert_array_equal(y.detach().numpy(), expected)
    np.testing.assert_array_equal(mg.round(t, decimals=decimals).detach().numpy(), expected)
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), np.zeros(20))
    exact = mg.tensor([1.25, 1.35, -1.25, 125.0, 135.0, 1234.5678], device=device)
    assert exact.round(decimals=1).tolist() == pytest.approx([1.2, 1.4, -1.2, 125, 135, 1234.6])
    assert exact.round(decimals=-1).tolist() == [0, 0, -0, 120, 140, 1230]
    result32 = mg.tensor(x, dtype="float32", device=device).round(decimals=decimals)
    assert result32.dtype == np.float32
    np.testing.assert_allclose(result32.numpy(), expected, rtol=1e-6, atol=10.0 ** -decimals)


def test_piecewise_functions_of_integers_and_bools(device):
    ints = mg.tensor([-3, 0, 7], device=device)
    for name in ("floor", "ceil", "round", "trunc"):
        result = getattr(ints, name)()
        assert result.dtype == np.int64 and result.tolist() == [-3, 0, 7], name
        assert result._data is not ints._data
    assert ints.round(decimals=0).tolist() == [-3, 0, 7]
    sign = ints.sign()
    assert sign.dtype == np.int64 and sign.tolist() == [-1, 0, 1]
    assert mg.tensor(np.int32([-4, 5]), device=device).sign().dtype == np.int32
    bools = mg.tensor([True, False], device=device).sign()
    assert bools.dtype == np.bool_ and bools.tolist() == [True, False]


def test_elementwise_functions_refuse_bad_inputs():
    bools = mg.tensor([True, False])
    for name in ("floor", "ceil", "round", "trunc"):
        with pytest.raises(TypeError, match=f"{name}\\(\\) is not defined for bool tensors"):
            getattr(bools, name)()
    with pytest.raises(TypeError, match="frac\\(\\) needs a float tensor, got dtype int64"):
        mg.tensor([1, 2]).frac()
    with pytest.raises(TypeError, match="frac\\(\\) needs a float tensor, got dtype bool"):
        bools.frac()
    with pytest.raises(TypeError, match="round\\(decimals=2\\) is not defined for integer tensors"):
        mg.tensor([1, 2]).round(decimals=2)
    with pytest.raises(TypeError, match="round: decimals must be an int, got float 1.5"):
        mg.randn(3).round(decimals=1.5)
    with pytest.raises(TypeError, match="round: decimals must be an int, got bool True"):
        mg.randn(3).round(decimals=True)
    with pytest.raises(TypeError):
        mg.randn(3).round(2)  # decimals is keyword-only, as torch
    with pytest.raises(TypeError, match="mg.log1p expects a Tensor"):
        mg.log1p([1.0])
    with pytest.raises(TypeError, match="mg.round expects a Tensor"):
        mg.round(1.5)


# ---- erf -------------------------------------------------------------------------------------
def test_erf_matches_math_erf_gradcheck_and_float32(device):
    x = np.concatenate([np.linspace(-7, 7, 2001), [0.0, -0.0, 1e-300, 5.99, 6.0]])
    reference = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(_t(x, device).erf().numpy(), reference, rtol=1e-14, atol=1e-300)
    y32 = mg.erf(_t(x, device, "float32"))
    assert y32.dtype == mg.float32
    np.testing.assert_allclose(y32.numpy(), np.array([math.erf(v) for v in x.astype(np.float32)]), rtol=F32_RTOL)
    t = _t(np.linspace(-3, 3, 13).reshape(13, 1), device, grad=True)
    assert mg.gradcheck(lambda a: a.erf(), [t])


def test_erf_special_values_and_integers(device):
    y = _t([math.nan, math.inf, -math.inf], device).erf().numpy()
    np.testing.assert_array_equal(y, [math.nan, 1.0, -1.0])
    ints = mg.tensor([0, 1, -2], device=device).erf()
    assert ints.dtype == mg.float32
    np.testing.assert_allclose(ints.numpy(), [0.0, math.erf(1), math.erf(-2)], rtol=F32_RTOL)
    assert mg.tensor([], device=device).erf().shape == (0,)


# ---- lerp ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((4,), (3, 1), (3, 4)), ((2, 1, 4), (3, 1), ()),
                                    ((), (5,), (2, 1))])
def test_lerp_with_tensor_weight_matches_reference_and_gradcheck(shapes, rng, device):
    s, e, w = (rng.normal(size=shape) for shape in shapes)
    w = w * 1.5  # both branches of torch's formula: |w| < 0.5 and >= 0.5
    ts, te, tw = (_t(a, device, grad=True) for a in (s, e, w))
    np.testing.assert_allclose(ts.lerp(te, tw).detach().numpy(), s + w * (e - s), rtol=1e-12, atol=1e-14)
    assert mg.gradcheck(lambda a, b, c: a.lerp(b, c), [ts, te, tw])
    y32 = mg.lerp(_t(s, device, "float32"), _t(e, device, "float32"), _t(w, device, "float32"))
    assert y32.dtype == mg.float32
    np.testing.assert_allclose(y32.numpy(), s + w * (e - s), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("weight", [0.25, 0.75, 2, -1.5, True])
def test_lerp_with_number_weight(weight, rng, device):
    s, e = rng.normal(size=(3, 2)), rng.normal(size=(2,))
    ts, te = _t(s, device, grad=True), _t(e, device, grad=True)
    np.testing.assert_allclose(ts.lerp(te, weight).detach().numpy(), s + weight * (e - s), rtol=1e-12, atol=1e-14)
    assert mg.gradcheck(lambda a, b: a.lerp(b, weight), [ts, te])
    ts.lerp(te, weight).sum().backward()
    np.testing.assert_allclose(ts.grad.numpy(), np.full((3, 2), 1 - weight))
    np.testing.assert_allclose(te.grad.numpy(), np.full(2, 3 * weight))


def test_lerp_refuses_bad_input(device):
    a = _t([1.0, 2.0], device, "float32")
    with pytest.raises(RuntimeError, match="dtype float32 for end"):
        a.lerp(_t([1.0, 2.0], device), 0.5)
    with pytest.raises(RuntimeError, match="for weight"):
        a.lerp(a, _t([0.5, 0.5], device))
    with pytest.raises(RuntimeError, match="for weight"):
        a.lerp(a, mg.tensor([1, 1], device=device))
    with pytest.raises(TypeError, match="end must be a Tensor"):
        a.lerp(3.0, 0.5)
    with pytest.raises(TypeError, match="weight must be a number or a Tensor"):
        a.lerp(a, "half")
    with pytest.raises(TypeError, match="float tensors"):
        mg.tensor([1, 2], device=device).lerp(mg.tensor([3, 4], device=device), 0.5)
    with pytest.raises(RuntimeError, match="do not broadcast"):
        a.lerp(_t([1.0, 2.0, 3.0], device, "float32"), 0.5)
    # a 0-d weight of another float dtype is taken, as torch
    np.testing.assert_allclose(a.lerp(a * 3, _t(0.5, device)).numpy(), [2.0, 4.0])


# ---- addmm, outer, dot -----------------------------------------------------------------------
@pytest.mark.parametrize("input_shape", [(3, 5), (5,), (1, 5), (3, 1), ()])
@pytest.mark.parametrize("beta, alpha", [(1, 1), (0.5, -2.0), (0, 3)])
def test_addmm_matches_reference_and_gradcheck(input_shape, beta, alpha, rng, device):
    c, a, b = rng.normal(size=input_shape), rng.normal(size=(3, 4)), rng.normal(size=(4, 5))
    tc, ta, tb = (_t(v, device, grad=True) for v in (c, a, b))
    expected = beta * c + alpha * (a @ b)
    np.testing.assert_allclose(mg.addmm(tc, ta, tb, beta=beta, alpha=alpha).detach().numpy(), expected, rtol=1e-12, atol=1e-14)
    assert mg.gradcheck(lambda x, y, z: x.addmm(y, z, beta=beta, alpha=alpha), [tc, ta, tb])
    y32 = mg.addmm(*(_t(v, device, "float32") for v in (c, a, b)), beta=beta, alpha=alpha)
    assert y32.dtype == mg.float32
    np.testing.assert_allclose(y32.numpy(), expected, rtol=1e-4, atol=1e-5)


def test_addmm_with_beta_zero_ignores_nan_input_and_takes_integers(device):
    nan = _t([math.nan], device, grad=True)
    ones_a, ones_b = _t(np.ones((2, 4)), device), _t(np.ones((4, 3)), device)
    y = mg.addmm(nan, ones_a, ones_b, beta=0)
    np.testing.assert_array_equal(y.detach().numpy(), np.full((2, 3), 4.0))
    y.sum().backward()
    np.testing.assert_array_equal(nan.grad.numpy(), [0.0])
    ints = mg.addmm(mg.tensor([1, 2, 3], device=device), mg.tensor([[1, 2]], device=device),
                    mg.tensor([[1, 0, 1], [0, 1, 1]], device=device), alpha=2)
    assert ints.dtype == mg.int64 and ints.tolist() == [[3, 6, 9]]


def test_addmm_refuses_bad_input(device):
    m, a, b = _t(np.ones((2, 3)), device), _t(np.ones((2, 4)), device), _t(np.ones((4, 3)), device)
    with pytest.raises(RuntimeError, match=r"cannot be multiplied \(2x4 and 5x3\)"):
        mg.addmm(m, a, _t(np.ones((5, 3)), device))
    with pytest.raises(RuntimeError, match="mat1 must be a matrix"):
        mg.addmm(m, _t(np.ones(4), device), b)
    with pytest.raises(RuntimeError, match="same dtype"):
        mg.addmm(m.float(), a, b)
    with pytest.raises(RuntimeError, match="does not broadcast"):
        mg.addmm(_t(np.ones(4), device), a, b)
    with pytest.raises(TypeError, match="mat2 must be a Tensor"):
        mg.addmm(m, a, np.ones((4, 3)))
    with pytest.raises(TypeError, match="must be an int for integer tensors"):
        mg.addmm(m.long(), a.long(), b.long(), beta=0.5)


def test_outer_matches_reference_gradcheck_and_promotes(rng, device):
    a, b = rng.normal(size=4), rng.normal(size=3)
    ta, tb = _t(a, device, grad=True), _t(b, device, grad=True)
    np.testing.assert_allclose(mg.outer(ta, tb).detach().numpy(), a[:, None] * b[None, :], rtol=1e-12)
    assert mg.gradcheck(lambda x, y: x.outer(y), [ta, tb])
    y32 = _t(a, device, "float32").outer(_t(b, device, "float32"))
    assert y32.dtype == mg.float32 and y32.shape == (4, 3)
    np.testing.assert_allclose(y32.numpy(), np.outer(a, b), rtol=F32_RTOL, atol=1e-6)
    mixed = mg.tensor([1, 2], device=device).outer(mg.tensor([1.0, 2.0], device=device))
    assert mixed.dtype == mg.float32 and mixed.tolist() == [[1.0, 2.0], [2.0, 4.0]]
    with pytest.raises(RuntimeError, match="1-D argument self"):
        _t(np.ones((2, 1)), device).outer(tb)
    with pytest.raises(RuntimeError, match="1-D argument vec2"):
        ta.outer(_t(np.ones((2, 2)), device))


def test_dot_matches_reference_gradcheck_and_refuses(rng, device):
    a, b = rng.normal(size=5), rng.normal(size=5)
    ta, tb = _t(a, device, grad=True), _t(b, device, grad=True)
    y = mg.dot(ta, tb)
    assert y.shape == ()
    np.testing.assert_allclose(y.item(), float(np.sum(a * b)), rtol=1e-12)
    assert mg.gradcheck(lambda x, z: x.dot(z), [ta, tb])
    np.testing.assert_allclose(_t(a, device, "float32").dot(_t(b, device, "float32")).item(), np.sum(a * b),
                               rtol=F32_RTOL)
    assert mg.tensor([1, 2], device=device).dot(mg.tensor([3, 4], device=device)).item() == 11
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        ta.dot(_t(np.ones(3), device))
    with pytest.raises(RuntimeError, match="same dtype"):
        ta.dot(tb.float())
    with pytest.raises(RuntimeError, match="1-D tensors expected"):
        _t(np.ones((5, 1)), device).dot(_t(np.ones((5, 1)), device))


# ---- nan_to_num ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", [{}, {"nan": 1.5}, {"posinf": 2.0, "neginf": -3.0}, {"nan": -1, "posinf": 7}])
def test_nan_to_num_matches_numpy(dtype, kwargs, device):
    x = np.array([math.nan, 1.0, math.inf, -math.inf, -2.5], dtype=dtype)
    expected = np.nan_to_num(x, **kwargs)
    y = mg.nan_to_num(_t(x, device, dtype), **kwargs)
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(y.numpy(), expected)


def test_nan_to_num_gradient_passes_only_where_finite(rng, device):
    x = _t([math.nan, 1.0, math.inf, -math.inf, -2.5], device, grad=True)
    x.nan_to_num().backward(mg.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype="float64", device=device))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0, 0.0, 5.0])
    t = _t(rng.normal(size=(3, 4)), device, grad=True)
    assert mg.gradcheck(lambda a: a.nan_to_num(posinf=1.0), [t])


def test_nan_to_num_of_integers_and_refusals(device):
    ints = mg.tensor(np.array([1, -2], dtype=np.int32), device=device)
    y = ints.nan_to_num(nan=3.0)
    assert y.dtype == mg.int32 and y.tolist() == [1, -2]
    with pytest.raises(TypeError, match="posinf must be a number"):
        _t([1.0], device).nan_to_num(posinf="big")


# ---- logical ops, count_nonzero (no gradient) ------------------------------------------------
LOGICAL = {"logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor}


@pytest.mark.parametrize("name", LOGICAL)
def test_logical_binary_ops_match_numpy_for_any_dtype(name, device):
    a = np.array([0.0, 1.0, -2.5, math.nan])
    b = np.array([[1], [0]], dtype=np.int64)
    ta = _t(a, device, "float32", grad=True)
    tb = mg.tensor(b, device=device)
    for result in (getattr(ta, name)(tb), getattr(mg, name)(ta, tb)):
        assert result.dtype == mg.bool and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), LOGICAL[name](a, b))
    bools = mg.tensor([True, False], device=device)
    np.testing.assert_array_equal(getattr(bools, name)(mg.tensor([True, True], device=device)).numpy(),
                                  LOGICAL[name]([True, False], [True, True]))
    with pytest.raises(TypeError, match="other must be a Tensor"):
        getattr(ta, name)(1)
    with pytest.raises(RuntimeError, match="do not broadcast"):
        getattr(ta, name)(mg.tensor([1, 0], device=device))


def test_logical_not_matches_numpy(device):
    a = np.array([0.0, 1.0, math.nan, -0.0])
    result = mg.logical_not(_t(a, device, grad=True))
    assert result.dtype == mg.bool and not result.requires_grad
    np.testing.assert_array_equal(result.numpy(), [True, False, False, True])
    assert mg.tensor([3, 0], device=device).logical_not().tolist() == [False, True]


NAN, INF = float("nan"), float("inf")


def _gradients(device, fn, *inputs):
    """fn's output and the float64 gradients of its inputs, after backward of the output's sum."""
    tensors = [mg.tensor(v, dtype=mg.float64, device=device, requires_grad=True) for v in inputs]
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** -1 and the like, on purpose
        y = fn(*tensors)
        y.sum().backward()
    return y.detach().numpy(), [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("largest, expected_a, expected_b", [
    (True, [1, 1, 1, 0.5, 1, 0], [1, 1, 1, 0.5, 0, 1]),  # torch 2.13: NaN on either side sends the
    (False, [1, 1, 1, 0.5, 0, 1], [1, 1, 1, 0.5, 1, 0]),  # gradient to both, a loser gets 0, a tie half
])
def test_maximum_and_minimum_gradients_at_nan_as_torch(device, largest, expected_a, expected_b):
    fn = mg.maximum if largest else mg.minimum
    _, (ga, gb) = _gradients(device, fn, [NAN, 1.0, NAN, 2.0, 2.0, 3.0], [0.0, NAN, NAN, 2.0, 1.0, 4.0])
    np.testing.assert_array_equal(ga, expected_a)
    np.testing.assert_array_equal(gb, expected_b)


def test_pow_gradients_at_special_points_as_torch(device):
    # torch 2.13: d/da is 0 where b == 0 (x ** 0 is constant, at 0, NaN and inf too); d/db is 0 where
    # a == 0 <= b and -inf where a == 0 > b
    a = [0.0, 2.0, 0.0, 0.0, 0.0, 0.0, -2.0, NAN, 0.0]
    b = [0.0, 0.0, -1.0, 0.5, -0.5, 2.0, 0.5, 0.0, NAN]
    y, (ga, gb) = _gradients(device, lambda x, e: x ** e, a, b)
    np.testing.assert_array_equal(ga, [0, 0, -INF, INF, -INF, 0, NAN, 0, NAN])
    np.testing.assert_array_equal(gb, [0, 0.6931471805599453, -INF, 0, -INF, 0, NAN, NAN, NAN])
    _, (ga,) = _gradients(device, lambda x: x ** 0, [0.0, 2.0, -1.0, NAN, INF])
    np.testing.assert_array_equal(ga, [0, 0, 0, 0, 0])
    _, (gb,) = _gradients(device, lambda e: 0.0 ** e, [-1.0, -0.5, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(gb, [-INF, -INF, 0, 0, 0])


def test_abs_gradient_at_nan_is_zero_as_torch(device):
    _, (g,) = _gradients(device, lambda x: x.abs(), [NAN, 0.0, -0.0, -2.0, INF])
    np.testing.assert_array_equal(g, [0, 0, 0, -1, 1])


def test_division_gradient_of_the_divisor_does_not_overflow(device):
    _, (ga, gb) = _gradients(device, lambda a, b: a / b, [1e300], [1e300])
    np.testing.assert_array_equal(gb, [-1e-300])  # -a / b / b, as torch; -a / (b * b) was -0


def test_clamp_with_tensor_bounds_as_torch():
    x = mg.tensor([[-2.0, 0.3, 0.7, 1.5], [0.0, -0.5, 2.0, 0.2]], dtype=mg.float64, requires_grad=True)
    low = mg.tensor([0.0, -1.0, 0.5, 0.0], dtype=mg.float64, requires_grad=True)
    high = mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    y = x.clamp(low, high)
    y.sum().backward()
    # torch 2.13's values and gradients
    np.testing.assert_array_equal(y.detach().numpy(), [[0.0, 0.3, 0.7, 1.0], [0.0, -0.5, 1.0, 0.2]])
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(low.grad.numpy(), [1.0, 0.0, 0.0, 0.0])
    assert high.grad.item() == 2.0
    crossed = mg.tensor([0.5, 3.0], requires_grad=True)
    mg.clip(crossed, mg.tensor([2.0, 2.0]), mg.tensor([1.0, 1.0])).sum().backward()  # min > max: max, as torch
    np.testing.assert_array_equal(crossed.grad.numpy(), [0.0, 0.0])
    assert mg.tensor([1, 5, -3]).clamp(mg.tensor([0, 0, 0]), mg.tensor(2)).tolist() == [1, 2, 0]
    with pytest.raises(TypeError, match="both be tensors"):
        x.clamp(low, 1.0)
