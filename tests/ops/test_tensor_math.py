"""logsumexp, erf, lerp, addmm, outer, dot, broadcast_to, narrow, movedim, swapaxes, diag, trace,
nan_to_num, repeat_interleave (differentiable) and logical_*, count_nonzero (no grad): float64 NumPy
references, gradcheck, float32 within a stated tolerance, refusals, on every backend."""
import math

import numpy as np
import pytest

import minigrad as mg

F32_RTOL = 1e-5  # float32 results against the float64 reference


def _t(array, device, dtype="float64", grad=False):
    return mg.tensor(np.asarray(array), dtype=dtype, requires_grad=grad, device=device)


# ---- references (float64 NumPy, not minigrad) --------------------------------------------------
def ref_logsumexp(x, axes, keepdim=False):
    m = np.max(x, axis=axes, keepdims=True)
    y = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return y if keepdim else np.squeeze(y, axis=axes)


def ref_diag(x, k):
    if x.ndim == 1:
        n = len(x) + abs(k)
        out = np.zeros((n, n), dtype=x.dtype)
        for i, v in enumerate(x):
            out[i + max(-k, 0), i + max(k, 0)] = v
        return out
    return np.array([x[i, i + k] for i in range(x.shape[0]) if 0 <= i + k < x.shape[1]], dtype=x.dtype)


# ---- logsumexp -------------------------------------------------------------------------------
@pytest.mark.parametrize("dim, keepdim", [(1, False), (0, True), (-1, True), ((0, 2), False), ([2, 1], True)])
def test_logsumexp_matches_reference_and_gradcheck(dim, keepdim, rng, device):
    x = rng.normal(size=(3, 4, 5)) * 3
    t = _t(x, device, grad=True)
    axes = tuple(d % 3 for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
    np.testing.assert_allclose(t.logsumexp(dim, keepdim).numpy(), ref_logsumexp(x, axes, keepdim), rtol=1e-12)
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
    np.testing.assert_allclose(ts.lerp(te, tw).numpy(), s + w * (e - s), rtol=1e-12, atol=1e-14)
    assert mg.gradcheck(lambda a, b, c: a.lerp(b, c), [ts, te, tw])
    y32 = mg.lerp(_t(s, device, "float32"), _t(e, device, "float32"), _t(w, device, "float32"))
    assert y32.dtype == mg.float32
    np.testing.assert_allclose(y32.numpy(), s + w * (e - s), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("weight", [0.25, 0.75, 2, -1.5, True])
def test_lerp_with_number_weight(weight, rng, device):
    s, e = rng.normal(size=(3, 2)), rng.normal(size=(2,))
    ts, te = _t(s, device, grad=True), _t(e, device, grad=True)
    np.testing.assert_allclose(ts.lerp(te, weight).numpy(), s + weight * (e - s), rtol=1e-12, atol=1e-14)
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
    np.testing.assert_allclose(mg.addmm(tc, ta, tb, beta=beta, alpha=alpha).numpy(), expected, rtol=1e-12, atol=1e-14)
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
    np.testing.assert_allclose(mg.outer(ta, tb).numpy(), a[:, None] * b[None, :], rtol=1e-12)
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


# ---- shape: broadcast_to, narrow, movedim, swapaxes ----------------------------------------------
def test_broadcast_to_and_expand_as(rng, device):
    x = rng.normal(size=(3, 1))
    t = _t(x, device, grad=True)
    np.testing.assert_array_equal(mg.broadcast_to(t, (2, -1, 4)).numpy(), np.broadcast_to(x, (2, 3, 4)))
    assert t.expand_as(_t(np.zeros((3, 5)), device)).shape == (3, 5)
    assert mg.gradcheck(lambda a: a.broadcast_to((2, 3, 4)), [t])
    with pytest.raises(ValueError, match="does not match"):
        t.broadcast_to((4, 2))


@pytest.mark.parametrize("dim, start, length", [(1, 1, 2), (1, -2, 2), (0, 0, 3), (-1, 4, 0), (0, -3, 1)])
def test_narrow_matches_slicing_and_gradcheck(dim, start, length, rng, device):
    x = rng.normal(size=(3, 4))
    t = _t(x, device, grad=True)
    begin = start % x.shape[dim] if start < 0 else start
    expected = x[(slice(None),) * (dim % 2) + (slice(begin, begin + length),)]
    np.testing.assert_array_equal(t.narrow(dim, start, length).numpy(), expected)
    np.testing.assert_array_equal(mg.narrow(t, dim, mg.tensor(start), length).numpy(), expected)
    assert mg.gradcheck(lambda a: a.narrow(dim, start, length), [t])


def test_narrow_refuses_bad_input(device):
    t = _t(np.ones((3, 4)), device)
    with pytest.raises(IndexError, match=r"start out of range \(expected to be in range of \[-4, 4\], but got 5\)"):
        t.narrow(1, 5, 0)
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(3\) exceeds dimension size \(4\)"):
        t.narrow(1, 2, 3)
    with pytest.raises(RuntimeError, match="length must be non-negative"):
        t.narrow(1, 0, -1)
    with pytest.raises(IndexError, match="out of range"):
        t.narrow(2, 0, 1)
    with pytest.raises(RuntimeError, match="0-dim"):
        _t(1.0, device).narrow(0, 0, 1)
    with pytest.raises(TypeError, match="start must be an int"):
        t.narrow(1, 1.0, 2)


@pytest.mark.parametrize("source, destination", [(0, -1), ((0, 1), (2, 0)), ([2], [0]), ((0, 1, 2), (1, 2, 0)),
                                                 ((), ())])
def test_movedim_matches_numpy_and_gradcheck(source, destination, rng, device):
    x = rng.normal(size=(2, 3, 4))
    t = _t(x, device, grad=True)
    expected = np.moveaxis(x, source, destination)
    np.testing.assert_array_equal(mg.movedim(t, source, destination).numpy(), expected)
    np.testing.assert_array_equal(t.moveaxis(source, destination).numpy(), expected)
    assert mg.gradcheck(lambda a: a.movedim(source, destination), [t])


def test_movedim_refuses_bad_input(device):
    t = _t(np.ones((2, 3, 4)), device)
    with pytest.raises(RuntimeError, match="must name as many dims"):
        t.movedim((0, 1), (2,))
    with pytest.raises(RuntimeError, match="repeated dim in source"):
        t.movedim((0, 0), (2, 1))
    with pytest.raises(RuntimeError, match="repeated dim in destination"):
        t.movedim((0, 1), (2, -1))
    with pytest.raises(IndexError, match="out of range"):
        t.movedim(3, 0)


def test_swapaxes_and_swapdims_are_transpose(rng, device):
    x = rng.normal(size=(2, 3, 4))
    t = _t(x, device, grad=True)
    np.testing.assert_array_equal(mg.swapaxes(t, 0, 2).numpy(), np.swapaxes(x, 0, 2))
    np.testing.assert_array_equal(t.swapdims(-1, 1).numpy(), np.swapaxes(x, -1, 1))
    assert mg.gradcheck(lambda a: mg.swapdims(a, 0, 1), [t])
    with pytest.raises(IndexError, match="out of range"):
        t.swapaxes(0, 3)


# ---- diag, trace -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4,), (3, 5), (5, 3), (3, 3), (0,)])
@pytest.mark.parametrize("k", [0, 1, -2, 4, -5])
def test_diag_matches_reference_and_gradcheck(shape, k, rng, device):
    x = rng.normal(size=shape)
    t = _t(x, device, grad=True)
    expected = ref_diag(x, k)
    result = mg.diag(t, k)
    assert result.shape == expected.shape
    np.testing.assert_array_equal(result.numpy(), expected)
    assert mg.gradcheck(lambda a: a.diag(k), [t])
    y32 = _t(x, device, "float32").diag(k)
    assert y32.dtype == mg.float32
    np.testing.assert_allclose(y32.numpy(), expected, rtol=F32_RTOL)


def test_diag_of_integers_and_refusals(device):
    assert mg.tensor([1, 2], device=device).diag(-1).tolist() == [[0, 0, 0], [1, 0, 0], [0, 2, 0]]
    with pytest.raises(RuntimeError, match="1-D or 2-D tensors, got 3-D"):
        _t(np.ones((2, 2, 2)), device).diag()
    with pytest.raises(RuntimeError, match="got 0-D"):
        _t(1.0, device).diag()
    with pytest.raises(TypeError, match="diagonal must be an int"):
        _t(np.ones((2, 2)), device).diag(1.0)


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


# ---- repeat_interleave -----------------------------------------------------------------------
@pytest.mark.parametrize("repeats, dim", [(2, None), (3, 0), (2, -1), ([1, 0, 2], 0), ([2], 1), ([0, 1, 3, 1], 1),
                                          ([1, 2, 0, 1, 1, 2, 3, 0, 1, 1, 2, 1], None)])
def test_repeat_interleave_matches_numpy_and_gradcheck(repeats, dim, rng, device):
    x = rng.normal(size=(3, 4))
    t = _t(x, device, grad=True)
    counts = mg.tensor(repeats, device=device) if isinstance(repeats, list) else repeats
    np_counts = np.asarray(repeats)
    size = x.size if dim is None else x.shape[dim]
    expected = np.repeat(x.reshape(-1) if dim is None else x, np.broadcast_to(np_counts, (size,)) if np_counts.ndim
                         else np_counts, axis=0 if dim is None else dim)
    np.testing.assert_array_equal(t.repeat_interleave(counts, dim).numpy(), expected)
    np.testing.assert_array_equal(mg.repeat_interleave(t, counts, dim=dim).numpy(), expected)
    assert mg.gradcheck(lambda a: a.repeat_interleave(counts, dim), [t])


def test_repeat_interleave_gradients_of_copies_add(device):
    x = _t([1.0, 2.0], device, grad=True)
    x.repeat_interleave(mg.tensor([3, 1], device=device)).backward(_t([1.0, 10.0, 100.0, 5.0], device))
    np.testing.assert_array_equal(x.grad.numpy(), [111.0, 5.0])
    y32 = _t([1.0, 2.0], device, "float32").repeat_interleave(2)
    assert y32.dtype == mg.float32 and y32.tolist() == [1.0, 1.0, 2.0, 2.0]


def test_repeat_interleave_one_argument_form_and_scalars(device):
    assert mg.repeat_interleave(mg.tensor([1, 0, 2], device=device)).tolist() == [0, 2, 2]
    assert mg.tensor(5, device=device).repeat_interleave(3).tolist() == [5, 5, 5]
    assert mg.tensor([[1, 2]], device=device).repeat_interleave(mg.tensor(2), dim=1).tolist() == [[1, 1, 2, 2]]


def test_repeat_interleave_refuses_bad_input(device):
    t = mg.tensor([[1, 2], [3, 4]], device=device)
    with pytest.raises(RuntimeError, match="same size as input along dim 0, but got 3 repeats and size 2"):
        t.repeat_interleave(mg.tensor([1, 2, 3]), dim=0)
    with pytest.raises(RuntimeError, match="can not be negative"):
        t.repeat_interleave(mg.tensor([1, -2]), dim=0)
    with pytest.raises(RuntimeError, match="can not be negative"):
        t.repeat_interleave(-1)
    with pytest.raises(TypeError, match="integer tensor"):
        t.repeat_interleave(mg.tensor([1.0, 2.0]), dim=0)
    with pytest.raises(RuntimeError, match="0-dim or 1-dim"):
        t.repeat_interleave(mg.tensor([[1, 2]]), dim=0)
    with pytest.raises(TypeError, match="repeats must be an int"):
        t.repeat_interleave(2.0)
    with pytest.raises(IndexError, match="out of range"):
        t.repeat_interleave(2, dim=2)
    with pytest.raises(RuntimeError, match="output_size=3"):
        t.repeat_interleave(2, output_size=3)


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
