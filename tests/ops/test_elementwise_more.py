"""log1p, expm1, rsqrt, reciprocal, square, log2, log10, exp2, sinh, cosh (differentiable) and
sign, floor, ceil, round, trunc (gradient 0), frac (gradient 1)."""
import numpy as np
import pytest

import minigrad as mg

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
UNARY = {**{name: (reference, sample, 1e-13) for name, (reference, sample) in SMOOTH.items()},
         **{name: (reference, off_jumps, 0) for name, (reference, _) in PIECEWISE.items()}}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_functions_match_numpy_gradcheck_and_float32(name, rng, device):
    reference, sample, rtol = UNARY[name]
    x = sample(rng)
    t = mg.tensor(x, requires_grad=True, device=device)
    y = getattr(t, name)()
    assert y.dtype == np.float64 and y.device == device and y.requires_grad
    np.testing.assert_allclose(y.numpy(), reference(x), rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_array_equal(getattr(mg, name)(t).numpy(), y.numpy())
    assert mg.gradcheck(lambda a: getattr(a, name)(), [t])
    t32 = mg.tensor(x, dtype="float32", requires_grad=True, device=device)
    y32 = getattr(t32, name)()
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), reference(x), rtol=1e-5, atol=1e-6)
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
    np.testing.assert_array_equal(x.round().numpy(), [-2, -2, -0, 0, 0, 2, 2, 3])  # half to even
    np.testing.assert_array_equal(x.floor().numpy(), [-3, -2, -1, 0, 0, 1, 2, 3])
    np.testing.assert_array_equal(x.ceil().numpy(), [-2, -1, -0, 0, 1, 2, 3, 3])
    np.testing.assert_array_equal(x.trunc().numpy(), [-2, -1, 0, 0, 0, 1, 2, 3])
    np.testing.assert_array_equal(x.frac().numpy(), [-0.5, -0.5, -0.5, 0, 0.5, 0.5, 0.5, 0])
    np.testing.assert_array_equal(x.sign().numpy(), [-1, -1, -1, 0, 1, 1, 1, 1])
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
    np.testing.assert_array_equal(y.numpy(), expected)
    np.testing.assert_array_equal(mg.round(t, decimals=decimals).numpy(), expected)
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
        assert result.data is not ints.data
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
    with pytest.raises(TypeError, match="decimals must be an int, got 1.5"):
        mg.randn(3).round(decimals=1.5)
    with pytest.raises(TypeError, match="decimals must be an int, got True"):
        mg.randn(3).round(decimals=True)
    with pytest.raises(TypeError):
        mg.randn(3).round(2)  # decimals is keyword-only, as torch
    with pytest.raises(TypeError, match="mg.log1p expects a Tensor"):
        mg.log1p([1.0])
    with pytest.raises(TypeError, match="mg.round expects a Tensor"):
        mg.round(1.5)
