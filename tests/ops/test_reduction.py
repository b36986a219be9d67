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

DIMS = [None, 0, 1, -1, (0, 2)]

# float64 NumPy references, written out: (x, axes, keepdims) -> array
REFERENCES = {
    "sum": lambda x, axes, keep: x.sum(axis=axes, keepdims=keep),
    "mean": lambda x, axes, keep: x.mean(axis=axes, keepdims=keep),
    "prod": lambda x, axes, keep: x.prod(axis=axes, keepdims=keep),
    "amax": lambda x, axes, keep: x.max(axis=axes, keepdims=keep),
    "amin": lambda x, axes, keep: x.min(axis=axes, keepdims=keep),
    "var": lambda x, axes, keep: x.var(axis=axes, keepdims=keep, ddof=1),
    "std": lambda x, axes, keep: x.std(axis=axes, keepdims=keep, ddof=1),
    "norm": lambda x, axes, keep: np.sqrt((x * x).sum(axis=axes, keepdims=keep)),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions_match_numpy_and_gradcheck(name, dim, keepdim, rng, device):
    x = rng.standard_normal((2, 3, 4))
    t = mg.tensor(x, requires_grad=True, device=device)
    if name == "norm":
        reduce = lambda a: a.norm(dim=dim, keepdim=keepdim)  # noqa: E731
    else:
        reduce = lambda a: getattr(a, name)(dim=dim, keepdim=keepdim)  # noqa: E731
    expected = REFERENCES[name](x, dim, keepdim)
    np.testing.assert_allclose(reduce(t).detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(reduce, [t])
    t32 = mg.tensor(x, dtype="float32", device=device)
    result32 = reduce(t32)
    assert result32.dtype == np.float32
    np.testing.assert_allclose(result32.numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "var"])
def test_numpy_aliases_axis_and_keepdims_mean_dim_and_keepdim(name, rng):
    t = mg.tensor(rng.standard_normal((2, 3, 4)))
    np.testing.assert_array_equal(getattr(t, name)(axis=1, keepdims=True).numpy(),
                                  getattr(t, name)(dim=1, keepdim=True).numpy())
    if name != "var":  # var's second positional argument is unbiased, as torch's
        np.testing.assert_array_equal(getattr(t, name)(1, True).numpy(), getattr(t, name)(dim=1, keepdim=True).numpy())
    with pytest.raises(TypeError, match="dim or its alias axis"):
        getattr(t, name)(dim=0, axis=1)


@settings(max_examples=30, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), st.data())
def test_reductions_over_random_dims_match_numpy(shape, data):
    dims = data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                              unique_by=lambda d: d % len(shape)))
    keepdim = data.draw(st.booleans())
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    t = mg.tensor(x)
    for name in ("sum", "mean", "amax", "amin", "prod"):
        np.testing.assert_allclose(getattr(t, name)(tuple(dims), keepdim).numpy(),
                                   REFERENCES[name](x, tuple(dims), keepdim), rtol=1e-12, atol=1e-12)


def test_max_and_min_with_a_dim_return_values_and_indices_and_grad_to_that_index(rng, device):
    x = rng.standard_normal((3, 5))
    t = mg.tensor(x, requires_grad=True, device=device)
    values, indices = t.max(dim=1)
    np.testing.assert_array_equal(values.detach().numpy(), x.max(axis=1))
    np.testing.assert_array_equal(indices.numpy(), x.argmax(axis=1))
    assert indices.dtype == np.int64 and not indices.requires_grad
    result = t.min(0, keepdim=True)
    assert result.values.shape == (1, 5) and result.indices.shape == (1, 5)
    np.testing.assert_array_equal(result.indices.numpy(), x.argmin(axis=0)[None])
    assert mg.gradcheck(lambda a: a.max(dim=1).values, [t])
    assert mg.gradcheck(lambda a: a.min(dim=0, keepdim=True).values, [t])
    tied = mg.tensor([[2.0, 2.0, 1.0]], requires_grad=True, device=device)
    values, indices = tied.max(dim=1)
    values.sum().backward()
    expected = np.zeros(3)
    expected[indices.item()] = 1  # one of the tied entries only, as torch
    np.testing.assert_array_equal(tied.grad.numpy(), [expected])


def test_max_without_dim_is_0d_and_shares_the_gradient_between_ties():
    x = mg.tensor([1.0, 3.0, 3.0], requires_grad=True)
    y = x.max()
    assert y.shape == ()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0.5, 0.5])
    x.grad = None
    x.min().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1, 0, 0])


def test_max_and_argmax_propagate_nan_as_torch():
    x = mg.tensor([1.0, float("nan"), 3.0])
    assert np.isnan(x.max().item()) and np.isnan(x.amin().item())
    assert x.argmax().item() == 1 and x.max(0).indices.item() == 1


def test_argmax_and_argmin(rng):
    x = rng.standard_normal((3, 4))
    t = mg.tensor(x)
    assert t.argmax().item() == x.argmax() and t.argmax().shape == ()
    np.testing.assert_array_equal(t.argmax(dim=1).numpy(), x.argmax(axis=1))
    np.testing.assert_array_equal(t.argmin(0, keepdim=True).numpy(), x.argmin(axis=0)[None])
    assert t.argmax(dim=-1).dtype == np.int64
    assert t.argmax(keepdim=True).shape == (1, 1)
    with pytest.raises(TypeError, match="one int dim"):
        t.argmax(dim=(0, 1))


def test_all_any_and_bool_sums_count():
    mask = mg.tensor([[True, False, True], [True, True, True]])
    np.testing.assert_array_equal(mask.all(dim=1).numpy(), [False, True])
    np.testing.assert_array_equal(mask.any(dim=0).numpy(), [True, True, True])
    assert mask.all().dtype == np.bool_ and not mask.all().item()
    assert mg.tensor([0.0, 2.0]).any().item() and not mg.tensor([0.0, 2.0]).all().item()
    counts = mask.sum(dim=0)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts.numpy(), [2, 1, 2])
    assert (mg.tensor([1.0, 2.0, 3.0]) > 1.5).sum().item() == 2
    ints = mg.tensor(np.array([1, 2, 3], dtype=np.int32))
    assert ints.sum().dtype == np.int64 and ints.sum().item() == 6
    assert ints.prod().item() == 6 and ints.amax().item() == 3


def test_mean_var_and_norm_of_integers_are_errors_that_say_float():
    ints = mg.tensor([1, 2, 3])
    for reduce in (ints.mean, ints.var, ints.std, ints.norm):
        with pytest.raises(TypeError, match=r"float tensor, got dtype int64.*\.float\(\)"):
            reduce()
    np.testing.assert_allclose(ints.float().mean().item(), 2)


def test_var_and_std_corrections():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    t = mg.tensor(x, dtype="float64")
    np.testing.assert_allclose(t.var().item(), x.var(ddof=1))
    np.testing.assert_allclose(t.var(unbiased=False).item(), x.var())
    np.testing.assert_allclose(t.var(correction=0).item(), x.var())
    np.testing.assert_allclose(t.std(correction=2).item(), x.std(ddof=2))
    np.testing.assert_allclose(t.std(0, False).item(), x.std())
    with pytest.raises(TypeError, match="unbiased or correction"):
        t.var(unbiased=True, correction=1)
    assert mg.gradcheck(lambda a: a.var(correction=0), [mg.tensor(x, requires_grad=True)])
    assert mg.gradcheck(lambda a: a.std(0, keepdim=True), [mg.tensor(x, requires_grad=True)])


def test_std_of_a_constant_has_a_zero_gradient():
    constant = mg.tensor([[3.0, 3.0, 3.0], [1.0, 2.0, 4.0]], dtype="float64", requires_grad=True)
    constant.std(1).sum().backward()
    row = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(constant.grad.numpy()[0], [0, 0, 0])  # torch's rule, not sqrt's inf * 0 = NaN
    np.testing.assert_allclose(constant.grad.numpy()[1], (row - row.mean()) / (2 * row.std(ddof=1)), rtol=1e-12)  # (n - 1) = 2


def test_prod_gradient_is_exact_where_entries_are_zero():
    for values in ([2.0, 0.0, 3.0, 4.0], [0.0, 5.0, 0.0, 2.0]):
        x = mg.tensor(np.array(values).reshape(2, 2), requires_grad=True)
        assert mg.gradcheck(lambda a: a.prod(), [x])
        assert mg.gradcheck(lambda a: a.prod(dim=1), [x])
    x = mg.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 6, 0])


@pytest.mark.parametrize("p", [1, 3, 2.5, float("inf"), float("-inf"), "fro"], ids=str)
def test_norms_match_numpy_and_gradcheck(p, rng):
    x = rng.standard_normal((3, 4))
    t = mg.tensor(x, requires_grad=True)
    order = 2 if p == "fro" else p
    expected = np.linalg.norm(x, ord=order, axis=1)
    np.testing.assert_allclose(t.norm(p, dim=1).detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(t.norm(p).item(), np.linalg.norm(x.ravel(), ord=order), rtol=1e-12)
    assert mg.gradcheck(lambda a: a.norm(p, dim=1), [t])


def test_norm_of_zeros_has_a_zero_gradient_and_bad_p_is_refused():
    x = mg.zeros(3, dtype="float64", requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0])
    for p in (-1, "nuc"):
        with pytest.raises(ValueError, match="p must be"):
            mg.randn(3).norm(p)


def test_norm_p0_counts_the_nonzero_entries_with_a_zero_gradient(device):
    """As torch: norm(p=0) is the number of nonzero entries (NaN counts), in the input's dtype."""
    x = mg.tensor([[1.0, 0.0, -2.0], [0.0, 0.0, float("nan")]], dtype="float64", requires_grad=True, device=device)
    assert x.norm(p=0).item() == 3.0 and x.norm(p=0).dtype == mg.float64
    np.testing.assert_array_equal(x.norm(0, dim=1, keepdim=True).detach().numpy(), [[2.0], [1.0]])
    x.norm(p=0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("p", [2, "fro", 1, 0, 3, float("inf"), float("-inf")], ids=str)
def test_norm_of_integers_is_an_error_for_every_p(p):
    """As torch (linalg.vector_norm needs a float tensor): inf and -inf went through amax/amin and
    returned an integer tensor."""
    with pytest.raises(TypeError, match=r"norm\(\) needs a float tensor, got dtype int64: convert it with .float"):
        mg.tensor([1, -2]).norm(p)


def test_reductions_refuse_bad_dims_and_empty_max():
    with pytest.raises(IndexError, match=r"dim 3 is out of range.*\[-2, 1\]"):
        mg.randn(2, 3).sum(dim=3)
    with pytest.raises(IndexError, match="out of range"):
        mg.randn(2, 3).max(dim=-3)
    with pytest.raises(ValueError, match="more than once"):
        mg.randn(2, 3).sum(dim=(1, -1))
    with pytest.raises(TypeError, match="dim must be an int"):
        mg.randn(2, 3).mean(dim=1.0)
    with pytest.raises(ValueError, match="empty"):
        mg.zeros(0).max()
    with pytest.raises(ValueError, match="empty"):
        mg.zeros(0).argmax()


@pytest.mark.parametrize("dim", [None, 1, (0, -1)], ids=str)
def test_sum_and_mean_with_dtype_cast_the_input_first_and_the_gradient_back(dim, rng, device):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    t = mg.tensor(x, requires_grad=True, device=device)
    axes = dim if dim is None or isinstance(dim, tuple) else (dim,)
    count = x.size if dim is None else np.prod([x.shape[a] for a in axes])
    x64 = x.astype(np.float64)
    for name, reference, scale in (("sum", x64.sum(axis=axes, keepdims=True), 1.0),
                                   ("mean", x64.sum(axis=axes, keepdims=True) / count, 1.0 / count)):
        t.grad = None
        y = getattr(t, name)(dim, keepdim=True, dtype=mg.float64)
        assert y.dtype == np.float64 and y.requires_grad
        np.testing.assert_allclose(y.detach().numpy(), reference, rtol=1e-13, atol=1e-13)
        np.testing.assert_array_equal(getattr(mg, name)(t, dim, True, dtype="float64").detach().numpy(), y.detach().numpy())
        gy = rng.standard_normal(reference.shape)
        y.backward(mg.tensor(gy, device=device))
        assert t.grad.dtype == np.float32
        np.testing.assert_allclose(t.grad.numpy(), np.broadcast_to(gy * scale, x.shape), rtol=1e-6)
    t64 = mg.tensor(x64, requires_grad=True, device=device)
    assert mg.gradcheck(lambda a: a.sum(dim, dtype=mg.float64) + a.mean(dim, dtype="double"), [t64])
    down = t64.mean(dim, dtype=mg.float32)
    assert down.dtype == np.float32
    np.testing.assert_allclose(down.detach().numpy(), x64.mean(axis=axes), rtol=1e-6)


def test_sum_with_dtype_accumulates_in_that_dtype_and_counts_integers(device):
    big = mg.tensor([1e8, 1.0, -1e8], device=device)  # float32: 1e8 + 1 rounds back to 1e8
    assert big.sum().item() == 0
    assert big.sum(dtype=mg.float64).item() == 1
    ints = mg.tensor([[1, 2], [3, 5]], device=device)
    as_float = ints.sum(0, dtype=mg.float32)
    assert as_float.dtype == np.float32 and as_float.tolist() == [4, 7]
    assert ints.sum(dtype=mg.int32).dtype == np.int32 and ints.sum(dtype="int32").item() == 11
    assert ints.mean(dtype=mg.float64).dtype == np.float64 and ints.mean(1, dtype=mg.float32).tolist() == [1.5, 4]
    bools = mg.tensor([True, True, False], device=device)
    assert bools.sum(dtype=mg.int32).item() == 2 and bools.sum(dtype=mg.int32).dtype == np.int32
    assert bools.mean(dtype=mg.float32).item() == pytest.approx(2 / 3)
    assert mg.tensor([1.7, 1.6, -2.5], device=device).sum(dtype=mg.int64).item() == 0  # each cast first: 1 + 1 - 2


def test_sum_and_mean_refuse_bad_dtypes():
    x = mg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="sum\\(dtype=int64\\) of a tensor that requires grad"):
        x.sum(dtype=mg.int64)
    with mg.no_grad():
        assert x.sum(dtype=mg.int64).dtype == np.int64
    assert x.detach().sum(dtype=mg.int64).dtype == np.int64
    with pytest.raises(TypeError, match="mean\\(\\): dtype must be a float dtype, got int64"):
        mg.tensor([1, 2]).mean(dtype=mg.int64)
    with pytest.raises(TypeError, match="mean\\(\\): dtype must be a float dtype, got bool"):
        mg.tensor([1.0, 2.0]).mean(dtype=mg.bool)
    with pytest.raises(TypeError, match="unknown dtype"):
        x.sum(dtype="float17")
    with pytest.raises(TypeError, match="unsupported dtype float16"):
        x.mean(dtype=np.float16)


def test_norm_gradient_at_a_zero_entry_is_zero_for_p_below_one(device):
    """The p-norm's gradient at a zero entry is 0 for p < 1 too (0 ** (p - 1) is infinite), as torch."""
    x = mg.tensor([0.0, 4.0, 0.0], dtype="float64", requires_grad=True, device=device)
    with np.errstate(all="raise"):
        x.norm(0.5).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 0.0])


# ---- references (float64 NumPy, not minigrad) --------------------------------------------------
def ref_logsumexp(x, axes, keepdim=False):
    m = np.max(x, axis=axes, keepdims=True)
    y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return y if keepdim else np.squeeze(y, axis=axes)


# ---- logsumexp -------------------------------------------------------------------------------
@pytest.mark.parametrize("dim, keepdim", [(1, False), (0, True), (-1, True), ((0, 2), False), ([2, 1], True)])
def test_logsumexp_matches_reference_and_gradcheck(dim, keepdim, rng, device):
    x = rng.normal(size=(3, 4, 5)) * 3
    t = _t(x, device, grad=True)
    axes = tuple(d % 3 for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
    np.testing.assert_allclose(t.logsumexp(dim, keepdim).detach().numpy(), ref_logsumexp(x, axes, keepdim), rtol=1e-12)
    assert mg.gradcheck(lambda a: a.logsumexp(dim, keepdim=keepdim), [t])
    t32 = _t(x, device, "float32")
    assert t32.logsumexp(dim, keepdim).dtype == mg.float32
    np.testing.assert_allclose(mg.logsumexp(t32, dim, keepdim).numpy(), ref_logsumexp(x, axes, keepdim), rtol=F32_RTOL)


def test_logsumexp_gradient_is_softmax(rng, device):
    x = rng.normal(size=(2, 5))
    t = _t(x, device, grad=True)
    t.logsumexp(1).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.exp(x) / np.exp(x).sum(1, keepdims=True), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_logsumexp_is_stable_and_handles_infinities(device):
    big = _t([[1000.0, 1000.0], [-1000.0, -1000.0]], device)
    np.testing.assert_allclose(big.logsumexp(1).numpy(), [1000 + math.log(2), -1000 + math.log(2)], rtol=1e-12)
    inf = math.inf
    x = _t([[-inf, -inf], [1.0, inf], [math.nan, 1.0], [-inf, 0.0]], device, grad=True)
    y = x.logsumexp(1)
    np.testing.assert_array_equal(y.detach().numpy(), [-inf, inf, math.nan, 0.0])
    y[3].backward()
    np.testing.assert_array_equal(x.grad.numpy()[3], [0.0, 1.0])
    assert _t(np.zeros((2, 0)), device).logsumexp(1).numpy().tolist() == [-inf, -inf]


def test_logsumexp_of_integers_is_float32_and_refuses_bad_dims(device):
    y = mg.tensor([[1, 2], [3, 4]], device=device).logsumexp(1)
    assert y.dtype == mg.float32
    np.testing.assert_allclose(y.numpy(), ref_logsumexp(np.array([[1.0, 2], [3, 4]]), (1,)), rtol=F32_RTOL)
    x = _t(np.zeros((2, 3)), device)
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        x.logsumexp(2)
    with pytest.raises(TypeError, match="dim"):
        x.logsumexp()


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_trace_matches_reference_and_gradcheck(shape, rng, device):
    x = rng.normal(size=shape)
    t = _t(x, device, grad=True)
    np.testing.assert_allclose(mg.trace(t).item(), sum(x[i, i] for i in range(min(shape))), rtol=1e-12)
    assert mg.gradcheck(lambda a: a.trace(), [t])
    assert np.isclose(_t(x, device, "float32").trace().item(), np.trace(x), rtol=F32_RTOL)


def test_trace_of_integers_is_int64_and_refusals(device):
    y = mg.tensor(np.array([[1, 2], [3, 4]], dtype=np.int32), device=device).trace()
    assert y.dtype == mg.int64 and y.item() == 5
    with pytest.raises(RuntimeError, match="expected a matrix"):
        _t(np.ones(3), device).trace()
    with pytest.raises(TypeError, match="bool"):
        mg.tensor([[True, False], [True, True]], device=device).trace()


@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 1), [1]])
def test_count_nonzero_matches_numpy(dim, device):
    x = np.array([[0.0, 1.0, math.nan], [2.0, 0.0, 0.0]])
    result = mg.count_nonzero(_t(x, device), dim)
    assert result.dtype == mg.int64
    axis = tuple(dim) if isinstance(dim, list) else dim
    np.testing.assert_array_equal(result.numpy(), np.count_nonzero(x, axis=axis))
    assert mg.tensor([[True, False]], device=device).count_nonzero(dim=1).tolist() == [1]


def test_count_nonzero_refuses_bad_dims(device):
    x = _t(np.ones((2, 3)), device)
    with pytest.raises(RuntimeError, match="more than once"):
        x.count_nonzero((0, 0))
    with pytest.raises(IndexError, match="out of range"):
        x.count_nonzero(2)
    assert _t(3.0, device).count_nonzero(0).item() == 1


@pytest.mark.parametrize("op, values, kwargs, torch_value, torch_grad", [  # torch 2.13, float64
    ("var", [1.0, 2.0, 4.0], {"correction": 3}, np.inf, [np.inf, np.inf, np.inf]),
    ("var", [2.0, 2.0, 2.0], {"correction": 3}, np.nan, [np.nan, np.nan, np.nan]),
    ("var", [1.0, 2.0, 4.0], {"correction": 4}, np.inf, [np.inf, np.inf, np.inf]),
    ("var", [5.0], {}, np.nan, [np.nan]),
    ("std", [1.0, 2.0, 4.0], {"correction": 3}, np.inf, [np.nan, np.nan, np.nan]),
    ("var", [[1.0, 2.0], [3.0, 3.0]], {"dim": 1, "correction": 2}, [np.inf, np.nan],
     [[-np.inf, np.inf], [np.nan, np.nan]]),
    ("var", [[1.0, 2.0], [3.0, 3.0]], {"dim": 1, "correction": 3}, [np.inf, np.nan], [[1.0, -1.0], [-0.0, -0.0]]),
    ("std", [[1.0, 2.0], [3.0, 3.0]], {"dim": 1, "correction": 3}, [np.inf, np.nan], [[0.0, -0.0], [np.nan, np.nan]]),
])
def test_var_and_std_without_degrees_of_freedom_give_torchs_values_and_gradients(device, op, values, kwargs,
                                                                                 torch_value, torch_grad):
    # torch's gradient: inf (NaN at the mean) for a full reduction, else 2 (x - mean) / (N - correction)
    x = mg.tensor(values, dtype=mg.float64, device=device, requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = getattr(x, op)(**kwargs)
        y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), torch_value)
    np.testing.assert_array_equal(x.grad.numpy(), torch_grad)


@pytest.mark.parametrize("p", [2, 3, 1, 0.5])
def test_a_norm_over_one_element_is_its_absolute_value_without_overflow_as_torch(device, p):
    x = mg.tensor([[1e300], [-3e300]], dtype=mg.float64, device=device, requires_grad=True)
    y = x.norm(p, dim=1)
    np.testing.assert_array_equal(y.detach().numpy(), [1e300, 3e300])  # torch 2.13; x ** p overflowed to inf
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1], [-1]])  # torch's is NaN for p = 3 (inf / inf)
    with np.errstate(over="ignore"):  # more elements overflow, as torch
        assert mg.tensor([1e300, 1e300], dtype=mg.float64).norm().item() == np.inf
