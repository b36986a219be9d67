"""BatchNorm through F.batch_norm: float64 references, gradcheck, float32, running statistics.

LayerNorm through F.layer_norm and nn.LayerNorm: float64 references, gradcheck, float32, bad
input.

F.normalize: a float64 reference written here, gradcheck, float32, zero rows (torch's clamp at eps),
bad arguments.

F.group_norm and F.instance_norm: float64 references written as loops over samples, groups and
channels, gradcheck, float32, running statistics, non-contiguous input, bad input."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


SHAPES = [(16, 5), (6, 4, 7), (4, 3, 5, 6)]


def reference_batch_norm(x, weight, bias, eps=1e-5, mean=None, var=None):
    axes = (0,) + tuple(range(2, x.ndim))
    bshape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes) if mean is None else mean
    var = x.var(axis=axes) if var is None else var
    return (x - mean.reshape(bshape)) / np.sqrt(var.reshape(bshape) + eps) * weight.reshape(bshape) + bias.reshape(bshape)


def _tensors(rng, shape, device, dtype="float64"):
    C = shape[1]
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.uniform(0.5, 1.5, C), rng.standard_normal(C)
    return x, w, b, [mg.tensor(a, dtype=dtype, requires_grad=True, device=device) for a in (x, w, b)]


@pytest.mark.parametrize("shape", SHAPES)
def test_training_forward_matches_reference_and_gradchecks(shape, rng, device):
    x, w, b, (tx, tw, tb) = _tensors(rng, shape, device)
    y = F.batch_norm(tx, None, None, tw, tb, training=True)
    np.testing.assert_allclose(y.detach().numpy(), reference_batch_norm(x, w, b), rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda a, g, h: F.batch_norm(a, None, None, g, h, training=True), [tx, tw, tb])
    assert mg.gradcheck(lambda a: F.batch_norm(a, None, None, training=True), [tx])


@pytest.mark.parametrize("shape", SHAPES)
def test_eval_forward_uses_running_statistics_and_gradchecks(shape, rng, device):
    x, w, b, (tx, tw, tb) = _tensors(rng, shape, device)
    C = shape[1]
    rm, rv = rng.standard_normal(C), rng.uniform(0.5, 2, C)
    trm, trv = mg.tensor(rm, device=device), mg.tensor(rv, device=device)
    y = F.batch_norm(tx, trm, trv, tw, tb, training=False)
    np.testing.assert_allclose(y.detach().numpy(), reference_batch_norm(x, w, b, mean=rm, var=rv), rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda a, g, h: F.batch_norm(a, trm, trv, g, h, training=False), [tx, tw, tb])
    np.testing.assert_array_equal(trm.numpy(), rm)  # eval never updates


def test_eval_gradient_divides_by_sqrt_of_running_var_plus_eps(device):
    # d(sum y)/dx = weight / sqrt(running_var + eps): 1 / sqrt(1e-4 + 1e-3) = 30.15, not 100 without
    # eps (gradcheck's tolerance cannot tell the two apart when eps dominates the variance)
    x = mg.tensor(np.linspace(-1, 1, 6).reshape(3, 2), dtype="float64", requires_grad=True, device=device)
    running_mean, running_var = mg.zeros(2, dtype="float64", device=device), mg.full((2,), 1e-4, dtype="float64", device=device)
    F.batch_norm(x, running_mean, running_var, training=False, eps=1e-3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 2), 1 / np.sqrt(1.1e-3)), rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_float32_within_tolerance(shape, rng, device):
    x, w, b, (tx, tw, tb) = _tensors(rng, shape, device, dtype="float32")
    y = F.batch_norm(tx, None, None, tw, tb, training=True)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), reference_batch_norm(x.astype(np.float32).astype(np.float64), w.astype(np.float32), b.astype(np.float32)), atol=2e-5)
    y.backward(mg.ones(*shape, device=device))
    assert tx.grad.dtype == np.float32 and tw.grad.dtype == np.float32


def test_float32_variance_of_data_with_a_large_mean(rng, device):
    x = (rng.standard_normal((4096, 8)) + 1e4).astype(np.float32)
    rv = mg.zeros(8, device=device)
    F.batch_norm(mg.tensor(x, device=device), mg.zeros(8, device=device), rv, training=True, momentum=1.0)
    n = x.shape[0]
    np.testing.assert_allclose(rv.numpy(), x.astype(np.float64).var(axis=0) * n / (n - 1), rtol=1e-3)


def test_constant_input_gives_finite_output(device):
    y = F.batch_norm(mg.ones(8, 3, device=device) * 5, None, None, training=True)
    assert np.isfinite(y.numpy()).all()
    np.testing.assert_array_equal(y.numpy(), 0)


def test_running_statistics_follow_the_momentum_rule(rng, device):
    C = 3
    rm, rv = mg.zeros(C, dtype="float64", device=device), mg.ones(C, dtype="float64", device=device)
    ref_m, ref_v = np.zeros(C), np.ones(C)
    for _ in range(4):
        x = rng.standard_normal((10, C, 2)) * 3 + 2
        F.batch_norm(mg.tensor(x, device=device), rm, rv, training=True, momentum=0.1)
        n = 20
        ref_m = 0.9 * ref_m + 0.1 * x.mean(axis=(0, 2))
        ref_v = 0.9 * ref_v + 0.1 * x.var(axis=(0, 2)) * n / (n - 1)
    np.testing.assert_allclose(rm.numpy(), ref_m, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), ref_v, rtol=1e-12)


@pytest.mark.parametrize("bad, match", [
    (dict(x=np.ones((1, 3))), "more than 1 value per channel"),
    (dict(x=np.ones((4, 1, 1, 1))[:1]), "more than 1 value per channel"),
    (dict(weight=np.ones(4)), "weight has shape \\(4,\\), but the input has 3 channels"),
    (dict(eps=0.0), "eps must be a number > 0"),
    (dict(eps=0.0, training=False), "eps must be a number > 0"),  # checked before the mode's own checks
    (dict(x=np.ones(3)), "shape \\(N, C\\)"),
    (dict(weight=np.ones(3, np.float32)), "dtype mismatch: input is float64 but weight is float32"),
    (dict(training=False), "needs running_mean and running_var"),
])
def test_bad_input_is_refused_with_a_clear_message(bad, match):
    x = mg.tensor(bad.get("x", np.ones((4, 3))), dtype="float64")
    weight = mg.tensor(bad["weight"]) if "weight" in bad else None
    if "weight" in bad and bad["weight"].dtype == np.float32:
        weight = mg.tensor(bad["weight"], dtype="float32")
    elif weight is not None:
        weight = mg.tensor(bad["weight"], dtype="float64")
    with pytest.raises((ValueError, TypeError), match=match):
        F.batch_norm(x, None, None, weight, None, training=bad.get("training", True), eps=bad.get("eps", 1e-5))


def test_integer_input_is_refused():
    with pytest.raises(TypeError, match="float32 or float64"):
        F.batch_norm(mg.tensor(np.ones((4, 3), dtype=np.int64)), None, None, training=True)


def reference_layer_norm(x, normalized_ndim, weight, bias, eps=1e-5):
    axes = tuple(range(x.ndim - normalized_ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


@pytest.mark.parametrize("shape, normalized_shape", [((6, 5), (5,)), ((3, 4, 7), (7,)), ((2, 3, 4, 5), (4, 5)),
                                                     ((6,), 6)])
def test_forward_matches_reference_and_gradchecks(shape, normalized_shape, rng, device):
    x = rng.standard_normal(shape) * 2 + 1
    affine_shape = shape[-len(np.atleast_1d(normalized_shape)):]
    w, b = rng.uniform(0.5, 1.5, affine_shape), rng.standard_normal(affine_shape)
    tx, tw, tb = (mg.tensor(a, requires_grad=True, device=device) for a in (x, w, b))
    y = F.layer_norm(tx, normalized_shape, tw, tb, eps=1e-3)
    np.testing.assert_allclose(y.detach().numpy(), reference_layer_norm(x, len(affine_shape), w, b, 1e-3), rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda a, g, h: F.layer_norm(a, normalized_shape, g, h), [tx, tw, tb])
    assert mg.gradcheck(lambda a: F.layer_norm(a, normalized_shape), [tx])
    assert mg.gradcheck(lambda a, g: F.layer_norm(a, normalized_shape, weight=g), [tx, tw])
    assert mg.gradcheck(lambda a, h: F.layer_norm(a, normalized_shape, bias=h), [tx, tb])


def test_float32_within_tolerance_of_the_float64_reference(rng, device):
    x = rng.standard_normal((64, 33)) * 5 + 100
    w, b = rng.uniform(0.5, 1.5, 33), rng.standard_normal(33)
    tx, tw, tb = (mg.tensor(a, dtype="float32", requires_grad=True, device=device) for a in (x, w, b))
    y = F.layer_norm(tx, 33, tw, tb)
    assert y.dtype == np.float32
    x32 = x.astype(np.float32).astype(np.float64)  # the float32 input's exact values
    np.testing.assert_allclose(y.detach().numpy(), reference_layer_norm(x32, 1, w.astype(np.float32), b.astype(np.float32)),
                               rtol=1e-5, atol=1e-5)
    y.sum().backward()
    assert tx.grad.dtype == tw.grad.dtype == np.float32
    w32 = w.astype(np.float32).astype(np.float64)
    mean, var = x32.mean(axis=1, keepdims=True), x32.var(axis=1, keepdims=True)
    invstd = 1 / np.sqrt(var + 1e-5)
    xhat = (x32 - mean) * invstd
    expected_gx = invstd * (w32 - w32.mean() - xhat * (w32 * xhat).mean(axis=1, keepdims=True))
    np.testing.assert_allclose(tx.grad.numpy(), expected_gx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(tw.grad.numpy(), xhat.sum(axis=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tb.grad.numpy(), 64)


def test_gradient_only_for_inputs_that_require_it(rng):
    tx = mg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    tw, tb = mg.ones(3, dtype="float64"), mg.zeros(3, dtype="float64", requires_grad=True)
    F.layer_norm(tx, 3, tw, tb).sum().backward()
    assert tw.grad is None and tb.grad is not None and tx.grad is not None


@pytest.mark.parametrize("call, error, match", [
    (lambda x: F.layer_norm(x, (4,)), ValueError, "normalized_shape=\\(4,\\) must equal the input's last 1 dim"),
    (lambda x: F.layer_norm(x, (3, 2)), ValueError, "last 2 dimension"),
    (lambda x: F.layer_norm(x, (0,)), ValueError, "non-empty tuple of positive ints"),
    (lambda x: F.layer_norm(x, ()), ValueError, "non-empty tuple of positive ints"),
    (lambda x: F.layer_norm(x, 3.0), TypeError, "an int or a tuple of ints"),
    (lambda x: F.layer_norm(x, 3, eps=0), ValueError, "eps must be a number > 0"),
    (lambda x: F.layer_norm(x, 3, weight=mg.ones(4, dtype="float64")), ValueError, "weight must have shape"),
    (lambda x: F.layer_norm(x, 3, bias=mg.ones(3)), TypeError, "input is float64 but bias is float32"),
    (lambda x: F.layer_norm(x.numpy(), 3), TypeError, "layer_norm takes a Tensor"),
])
def test_bad_arguments_are_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.tensor(np.ones((2, 3))))


def test_module_parameters_state_and_repr():
    norm = nn.LayerNorm((4, 5))
    assert repr(norm) == "LayerNorm((4, 5), eps=1e-05, elementwise_affine=True, bias=True)"
    assert list(norm.state_dict()) == ["weight", "bias"]
    np.testing.assert_array_equal(norm.weight.detach().numpy(), np.ones((4, 5)))
    np.testing.assert_array_equal(norm.bias.detach().numpy(), np.zeros((4, 5)))
    x = mg.randn(3, 4, 5)
    np.testing.assert_allclose(norm(x).detach().numpy(), reference_layer_norm(x.numpy().astype(np.float64), 2, 1, 0),
                               rtol=1e-5, atol=1e-5)
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]
    bare = nn.LayerNorm(4, elementwise_affine=False)
    assert bare.weight is None and bare.bias is None and list(bare.parameters()) == []
    with pytest.raises(ValueError, match="eps must be a number > 0"):
        nn.LayerNorm(4, eps=-1)
    with pytest.raises(ValueError, match="must equal the input's last"):
        norm(mg.randn(3, 5, 4))


def ref_norm(x, p, dim):
    a = np.abs(x)
    if p == np.inf:
        return a.max(axis=dim, keepdims=True)
    return (a ** p).sum(axis=dim, keepdims=True) ** (1 / p)


@pytest.mark.parametrize("p", [2.0, 1, 3.0, 0.5, float("inf")])
@pytest.mark.parametrize("dim", [1, 0, -1])
def test_normalize_matches_reference_and_gradchecks(p, dim, rng, device):
    x = rng.standard_normal((3, 4, 5))
    t = mg.tensor(x, requires_grad=True, device=device)
    expected = x / np.maximum(ref_norm(x, p, dim), 1e-12)
    np.testing.assert_allclose(F.normalize(t, p, dim).detach().numpy(), expected, rtol=1e-12)
    assert mg.gradcheck(lambda a: F.normalize(a, p, dim) * mg.tensor(np.arange(60.0).reshape(3, 4, 5), device=device),
                        [t])
    y32 = F.normalize(mg.tensor(x, dtype="float32", device=device), p, dim)
    assert y32.dtype == np.float32
    x32 = x.astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(y32.numpy(), x32 / ref_norm(x32, p, dim), rtol=3e-6, atol=1e-7)


def test_normalize_defaults_zero_rows_and_eps(device):
    x = mg.tensor([[3.0, -4.0], [0.0, 0.0], [1e-13, 0.0]], dtype="float64", requires_grad=True, device=device)
    y = F.normalize(x)  # p=2, dim=1, eps=1e-12
    np.testing.assert_allclose(y.detach().numpy(), [[0.6, -0.8], [0.0, 0.0], [0.1, 0.0]], rtol=1e-15)
    y.backward(mg.ones(3, 2, dtype="float64", device=device))
    # 1 / n - x (x . 1) / n^3 for [3, -4]; below eps the denominator is the constant eps (clamp's gradient is 0 there): the gradient is 1 / eps
    np.testing.assert_allclose(x.grad.numpy(), [[0.224, 0.168], [1e12, 1e12], [1e12, 1e12]], rtol=1e-12)
    np.testing.assert_allclose(F.normalize(x, eps=1.0).detach().numpy()[0], [0.6, -0.8], rtol=1e-15)
    np.testing.assert_allclose(F.normalize(x, eps=10.0).detach().numpy()[0], [0.3, -0.4], rtol=1e-15)


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.normalize(mg.tensor([3, 4]), dim=0), TypeError, "normalize needs a float32 or float64 tensor, got int64"),
    (lambda: F.normalize(mg.ones(2)), IndexError, "dim 1 is out of range for a tensor with 1 dimensions"),
    (lambda: F.normalize(mg.ones(2, 3), p=-1), ValueError, "norm's p must be a number >= 0"),
    (lambda: F.normalize(mg.ones(2, 3), eps=None), TypeError, "normalize: eps must be a number, got None"),
])
def test_normalize_refuses_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.gpu
@pytest.mark.parametrize("shape", [(256, 1024), (64, 16, 8, 8), (7, 3)])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_outputs_gradients_and_running_stats_match(shape, dtype, tol, training, rng):
    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    C = shape[1]
    w0 = rng.standard_normal(C)
    results = []
    for device in ("cpu", "cuda"):
        tx = mg.tensor(x, requires_grad=True, device=device)
        w = mg.tensor(w0, dtype=dtype, requires_grad=True, device=device)
        b = mg.tensor(np.linspace(-1, 1, C), dtype=dtype, requires_grad=True, device=device)
        rm = mg.tensor(np.linspace(0, 1, C), dtype=dtype, device=device)
        rv = mg.tensor(np.linspace(1, 2, C), dtype=dtype, device=device)
        y = F.batch_norm(tx, rm, rv, w, b, training=training, momentum=0.1)
        y.backward(mg.tensor(np.cos(np.arange(x.size)).reshape(shape), dtype=dtype, device=device))
        results.append([a.detach().numpy() for a in (y, tx.grad, w.grad, b.grad, w, rm, rv)])
    for name, a, b in zip(["y", "gx", "gw", "gb", "w", "running_mean", "running_var"], *results):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.gpu
@pytest.mark.parametrize("shape, normalized_shape", [((4096, 1024), (1024,)), ((8, 16, 24), (16, 24)), ((7, 3), (3,))])
@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-4)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_outputs_and_gradients_match(shape, normalized_shape, dtype, tol, affine, rng):
    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    w0, b0 = rng.standard_normal(normalized_shape), rng.standard_normal(normalized_shape)
    gy = np.cos(np.arange(x.size)).reshape(shape)
    results = []
    for device in ("cpu", "cuda"):
        tx = mg.tensor(x, requires_grad=True, device=device)
        w = mg.tensor(w0, dtype=dtype, requires_grad=True, device=device) if affine else None
        b = mg.tensor(b0, dtype=dtype, requires_grad=True, device=device) if affine else None
        y = F.layer_norm(tx, normalized_shape, w, b)
        y.backward(mg.tensor(gy, dtype=dtype, device=device))
        results.append([y.detach().numpy(), tx.grad.numpy()] + ([w.grad.numpy(), b.grad.numpy()] if affine else []))
    for name, a, b in zip(["y", "gx", "gw", "gb"], *results):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol * 10, err_msg=name)


def reference_group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """One (sample, group) at a time: mean and biased variance over its channels and spatial values."""
    n, c = x.shape[:2]
    size = c // num_groups
    y = np.empty_like(x)
    for i in range(n):
        for g in range(num_groups):
            block = x[i, g * size:(g + 1) * size]
            mean = block.sum() / block.size
            var = ((block - mean) ** 2).sum() / block.size
            y[i, g * size:(g + 1) * size] = (block - mean) / np.sqrt(var + eps)
    for ch in range(c):
        if weight is not None:
            y[:, ch] *= weight[ch]
        if bias is not None:
            y[:, ch] += bias[ch]
    return y


def reference_instance_stats(x):
    """Per (sample, channel): mean, biased variance and unbiased variance over the spatial values."""
    n, c = x.shape[:2]
    mean, biased, unbiased = (np.empty((n, c)) for _ in range(3))
    for i in range(n):
        for ch in range(c):
            values = x[i, ch].ravel()
            mean[i, ch] = values.sum() / values.size
            squares = ((values - mean[i, ch]) ** 2).sum()
            biased[i, ch], unbiased[i, ch] = squares / values.size, squares / (values.size - 1)
    return mean, biased, unbiased


def reference_instance_norm(x, weight=None, bias=None, eps=1e-5):
    mean, var, _ = reference_instance_stats(x)
    y = np.empty_like(x)
    for i in range(x.shape[0]):
        for ch in range(x.shape[1]):
            y[i, ch] = (x[i, ch] - mean[i, ch]) / np.sqrt(var[i, ch] + eps)
            y[i, ch] = y[i, ch] * (1 if weight is None else weight[ch]) + (0 if bias is None else bias[ch])
    return y


def tensors(device, *arrays, requires_grad=True):
    return [mg.tensor(a, requires_grad=requires_grad, device=device) for a in arrays]


# ---- group_norm --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, num_groups", [((2, 6, 5), 3), ((3, 4, 2, 3), 2), ((2, 4, 3), 1), ((2, 4, 3), 4),
                                               ((4, 6), 2), ((3, 4), 4), ((1, 4, 2, 2, 2), 2)])
def test_group_norm_matches_reference_and_gradchecks(shape, num_groups, rng, device):
    x = rng.standard_normal(shape) * 2 + 1
    w, b = rng.uniform(0.5, 1.5, shape[1]), rng.standard_normal(shape[1])
    tx, tw, tb = tensors(device, x, w, b)
    y = F.group_norm(tx, num_groups, tw, tb, eps=1e-3)
    assert y.shape == shape and y.device == device
    np.testing.assert_allclose(y.detach().numpy(), reference_group_norm(x, num_groups, w, b, 1e-3), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F.group_norm(tx, num_groups).detach().numpy(), reference_group_norm(x, num_groups),
                               rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda a, g, h: F.group_norm(a, num_groups, g, h), [tx, tw, tb])
    assert mg.gradcheck(lambda a: F.group_norm(a, num_groups), [tx])
    assert mg.gradcheck(lambda a, g: F.group_norm(a, num_groups, weight=g), [tx, tw])
    assert mg.gradcheck(lambda a, h: F.group_norm(a, num_groups, bias=h), [tx, tb])


def test_group_norm_known_values():
    # one group of [1, 2, 3, 5]: mean 2.75, biased variance 2.1875 (torch gives the same numbers)
    y = F.group_norm(mg.tensor([[[1.0, 2.0], [3.0, 5.0]]], dtype="float64"), 1, eps=1e-12)
    expected = (np.array([[[1, 2], [3, 5]]]) - 2.75) / np.sqrt(2.1875)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-9)


def test_group_norm_float32_within_tolerance(rng, device):
    x = rng.standard_normal((8, 6, 5, 5)) * 5 + 100
    w, b = rng.uniform(0.5, 1.5, 6), rng.standard_normal(6)
    tx, tw, tb = (mg.tensor(a, dtype="float32", requires_grad=True, device=device) for a in (x, w, b))
    y = F.group_norm(tx, 3, tw, tb)
    assert y.dtype == np.float32
    x32, w32, b32 = (a.astype(np.float32).astype(np.float64) for a in (x, w, b))  # the float32 values exactly
    np.testing.assert_allclose(y.detach().numpy(), reference_group_norm(x32, 3, w32, b32), rtol=1e-5, atol=1e-5)
    gy = rng.standard_normal(x.shape)
    y.backward(mg.tensor(gy, dtype="float32", device=device))
    assert tx.grad.dtype == tw.grad.dtype == tb.grad.dtype == np.float32
    xhat = reference_group_norm(x32, 3)
    np.testing.assert_allclose(tw.grad.numpy(), (gy * xhat).sum(axis=(0, 2, 3)), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(tb.grad.numpy(), gy.sum(axis=(0, 2, 3)), rtol=1e-4, atol=1e-3)
    # the input gradient against float64 on the same values
    t64 = mg.tensor(x32, requires_grad=True, device=device)
    F.group_norm(t64, 3, mg.tensor(w32, device=device), mg.tensor(b32, device=device)).backward(
        mg.tensor(gy, device=device))
    np.testing.assert_allclose(tx.grad.numpy(), t64.grad.numpy(), rtol=1e-3, atol=1e-4)


def test_group_norm_non_contiguous_input_and_parameters(rng, device):
    base = rng.standard_normal((5, 4, 6))
    x = mg.tensor(base, requires_grad=True, device=device)
    view = x.transpose(0, 2)[::-1]  # (6, 4, 5): transposed, then a negative step
    weight = mg.tensor(rng.standard_normal(8)[::2], requires_grad=True, device=device)  # strided
    bias = mg.tensor(rng.standard_normal(4), device=device)
    y = F.group_norm(view, 2, weight, bias)
    dense = np.ascontiguousarray(base.transpose(2, 1, 0)[::-1])
    np.testing.assert_allclose(y.detach().numpy(), reference_group_norm(dense, 2, weight.detach().numpy(), bias.numpy()),
                               rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda a, g: F.group_norm(a.transpose(0, 2)[::-1], 2, g, bias), [x, weight])


def test_group_norm_gradient_only_where_required(rng):
    tx = mg.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    tw, tb = mg.ones(4, dtype="float64"), mg.zeros(4, dtype="float64", requires_grad=True)
    F.group_norm(tx, 2, tw, tb).sum().backward()
    assert tw.grad is None and tb.grad is not None and tx.grad is not None


def test_group_norm_empty_input(device):
    for shape in [(0, 6, 3), (2, 6, 0)]:
        x = mg.zeros(*shape, device=device, requires_grad=True)
        y = F.group_norm(x, 3, mg.ones(6, device=device), mg.zeros(6, device=device))
        assert y.shape == shape
        y.sum().backward()
        assert x.grad.shape == shape


def test_group_norm_refusals(device):
    x = mg.randn(2, 6, 5, device=device)
    with pytest.raises(RuntimeError, match="divisible by num_groups.*num_groups=4"):
        F.group_norm(x, 4)
    with pytest.raises(RuntimeError, match="greater than 0, got 0"):
        F.group_norm(x, 0)
    with pytest.raises(RuntimeError, match="greater than 0, got -2"):
        F.group_norm(x, -2)
    with pytest.raises(TypeError, match="num_groups must be an int"):
        F.group_norm(x, 3.0)
    with pytest.raises(TypeError, match="num_groups must be an int"):
        F.group_norm(x, True)
    with pytest.raises(RuntimeError, match="at least 2 dimensions.*received 1"):
        F.group_norm(mg.randn(6, device=device), 2)
    with pytest.raises(RuntimeError, match=r"weight of shape \(5,\)"):
        F.group_norm(x, 3, mg.ones(5, device=device))
    with pytest.raises(RuntimeError, match=r"bias of shape \(6, 1\)"):
        F.group_norm(x, 3, None, mg.ones(6, 1, device=device))
    with pytest.raises(TypeError, match="dtype mismatch.*weight is float64"):
        F.group_norm(x, 3, mg.ones(6, dtype="float64", device=device))
    with pytest.raises(TypeError, match="float32 or float64, got int64"):
        F.group_norm(mg.ones(2, 6, 5, dtype="int64", device=device), 3)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.group_norm(mg.randn(1, 3, device=device), 3)
    with pytest.raises(ValueError, match="eps must be a number > 0"):
        F.group_norm(x, 3, eps=0)
    with pytest.raises(TypeError, match="takes a Tensor"):
        F.group_norm(np.ones((2, 6)), 3)


# ---- instance_norm -----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 2, 4, 3), (1, 4, 2)])
def test_instance_norm_matches_reference_and_gradchecks(shape, rng, device):
    x = rng.standard_normal(shape) * 3 - 1
    w, b = rng.uniform(0.5, 1.5, shape[1]), rng.standard_normal(shape[1])
    tx, tw, tb = tensors(device, x, w, b)
    y = F.instance_norm(tx, weight=tw, bias=tb, eps=1e-3)
    assert y.shape == shape
    np.testing.assert_allclose(y.detach().numpy(), reference_instance_norm(x, w, b, 1e-3), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F.instance_norm(tx).detach().numpy(), reference_instance_norm(x), rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(lambda a, g, h: F.instance_norm(a, weight=g, bias=h), [tx, tw, tb])
    assert mg.gradcheck(lambda a: F.instance_norm(a), [tx])
    # with running statistics being updated the output and gradients are the same
    rm, rv = tensors(device, np.zeros(shape[1]), np.ones(shape[1]), requires_grad=False)
    assert mg.gradcheck(lambda a, g, h: F.instance_norm(a, rm, rv, g, h), [tx, tw, tb])


def test_instance_norm_with_running_statistics(rng, device):
    c = 3
    x = rng.standard_normal((4, c, 2, 3)) * 2 + 0.5
    rm0, rv0 = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    rm, rv = tensors(device, rm0, rv0, requires_grad=False)
    ids = (id(rm._data), id(rv._data))
    y = F.instance_norm(mg.tensor(x, device=device), rm, rv, momentum=0.3)
    np.testing.assert_allclose(y.numpy(), reference_instance_norm(x), rtol=1e-10, atol=1e-12)
    mean, _, unbiased = reference_instance_stats(x)
    # the batch's mean of per-instance means and of unbiased per-instance variances
    np.testing.assert_allclose(rm.numpy(), 0.7 * rm0 + 0.3 * mean.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.7 * rv0 + 0.3 * unbiased.mean(axis=0), rtol=1e-12)
    assert (id(rm._data), id(rv._data)) == ids  # updated in place


def test_instance_norm_running_statistics_known_values(device):
    # instances [1, 2, 3] and [2, 4, 6]: means 2 and 4, unbiased variances 1 and 4 (torch: 0.3 and 1.15)
    x = mg.tensor([[[1.0, 2.0, 3.0]], [[2.0, 4.0, 6.0]]], dtype="float64", device=device)
    rm, rv = mg.zeros(1, dtype="float64", device=device), mg.ones(1, dtype="float64", device=device)
    F.instance_norm(x, rm, rv)
    np.testing.assert_allclose(rm.numpy(), [0.9 * 0 + 0.1 * 3.0])
    np.testing.assert_allclose(rv.numpy(), [0.9 * 1 + 0.1 * 2.5])


def test_instance_norm_eval_uses_running_statistics(rng, device):
    x = rng.standard_normal((3, 4, 5))
    rm0, rv0, w, b = rng.standard_normal(4), rng.uniform(0.5, 2, 4), rng.uniform(0.5, 1.5, 4), rng.standard_normal(4)
    rm, rv = tensors(device, rm0, rv0, requires_grad=False)
    tx, tw, tb = tensors(device, x, w, b)
    y = F.instance_norm(tx, rm, rv, tw, tb, use_input_stats=False, eps=1e-3)
    expected = np.empty_like(x)
    for ch in range(4):
        expected[:, ch] = (x[:, ch] - rm0[ch]) / np.sqrt(rv0[ch] + 1e-3) * w[ch] + b[ch]
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(rm.numpy(), rm0)  # not updated
    assert mg.gradcheck(lambda a, g, h: F.instance_norm(a, rm, rv, g, h, use_input_stats=False), [tx, tw, tb])
    # one spatial value is fine with the running statistics
    assert F.instance_norm(mg.randn(2, 4, device=device, dtype="float64"), rm, rv, use_input_stats=False).shape == (2, 4)


def test_instance_norm_float32_within_tolerance(rng, device):
    x = rng.standard_normal((4, 3, 6, 6)) * 4 + 50
    w, b = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    tx, tw, tb = (mg.tensor(a, dtype="float32", requires_grad=True, device=device) for a in (x, w, b))
    rm, rv = mg.zeros(3, device=device), mg.ones(3, device=device)
    y = F.instance_norm(tx, rm, rv, tw, tb)
    assert y.dtype == rm.dtype == np.float32
    x32, w32, b32 = (a.astype(np.float32).astype(np.float64) for a in (x, w, b))
    np.testing.assert_allclose(y.detach().numpy(), reference_instance_norm(x32, w32, b32), rtol=1e-5, atol=1e-5)
    mean, _, unbiased = reference_instance_stats(x32)
    np.testing.assert_allclose(rm.numpy(), 0.1 * mean.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * unbiased.mean(axis=0), rtol=1e-5)
    y.sum().backward()
    assert tx.grad.dtype == tw.grad.dtype == np.float32
    np.testing.assert_allclose(tb.grad.numpy(), np.full(3, 4 * 36.0), rtol=1e-6)
    np.testing.assert_allclose(tw.grad.numpy(), 0, atol=1e-3)  # sum of each instance's xhat is 0


def test_instance_norm_non_contiguous_input(rng, device):
    base = rng.standard_normal((5, 3, 4))
    x = mg.tensor(base, requires_grad=True, device=device)
    rm, rv = mg.zeros(4, dtype="float64", device=device), mg.ones(4, dtype="float64", device=device)
    y = F.instance_norm(x.transpose(1, 2)[:, :, ::-1], rm, rv)  # (5, 4, 3) with strides
    dense = np.ascontiguousarray(base.transpose(0, 2, 1)[:, :, ::-1])
    np.testing.assert_allclose(y.detach().numpy(), reference_instance_norm(dense), rtol=1e-10, atol=1e-12)
    mean, _, unbiased = reference_instance_stats(dense)
    np.testing.assert_allclose(rm.numpy(), 0.1 * mean.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.9 + 0.1 * unbiased.mean(axis=0), rtol=1e-12)
    assert mg.gradcheck(lambda a: F.instance_norm(a.transpose(1, 2)[:, :, ::-1]), [x])


def test_instance_norm_empty_input(device):
    rm, rv = mg.zeros(3, device=device), mg.ones(3, device=device)
    assert F.instance_norm(mg.randn(2, 3, 0, device=device), rm, rv).shape == (2, 3, 0)
    np.testing.assert_array_equal(rm.numpy(), np.zeros(3))  # as torch: no values, no change
    assert F.instance_norm(mg.randn(0, 3, 4, device=device), rm, rv, mg.ones(3, device=device)).shape == (0, 3, 4)
    assert np.isnan(rm.numpy()).all() and np.isnan(rv.numpy()).all()  # as torch: the mean of an empty batch


def test_instance_norm_refusals(device):
    x = mg.randn(2, 3, 4, device=device)
    rm, rv = mg.zeros(3, device=device), mg.ones(3, device=device)
    with pytest.raises(ValueError, match=r"more than 1 spatial element when training.*\(2, 3, 1\)"):
        F.instance_norm(mg.randn(2, 3, 1, device=device))
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(mg.randn(2, 3, device=device))
    with pytest.raises(ValueError, match=r"shape \(N, C, \*spatial\), got \(3,\)"):
        F.instance_norm(mg.randn(3, device=device))
    with pytest.raises(ValueError, match="both be None or neither"):
        F.instance_norm(x, rm, None)
    with pytest.raises(RuntimeError, match="running_mean and running_var to be defined when use_input_stats"):
        F.instance_norm(x, use_input_stats=False)
    with pytest.raises(RuntimeError, match=r"running_mean of shape \(4,\)"):
        F.instance_norm(x, mg.zeros(4, device=device), mg.ones(4, device=device))
    with pytest.raises(RuntimeError, match=r"weight of shape \(4,\)"):
        F.instance_norm(x, weight=mg.ones(4, device=device))
    with pytest.raises(RuntimeError, match=r"bias of shape \(3, 1\)"):
        F.instance_norm(x, bias=mg.ones(3, 1, device=device))
    with pytest.raises(TypeError, match="running_var is float64"):
        F.instance_norm(x, rm, mg.ones(3, dtype="float64", device=device))
    with pytest.raises(TypeError, match="float32 or float64, got int64"):
        F.instance_norm(mg.ones(2, 3, 4, dtype="int64", device=device))
    with pytest.raises(ValueError, match=r"momentum( \(or None\))? must be a number in \[0, 1\]"):
        F.instance_norm(x, rm, rv, momentum=2)
    with pytest.raises(ValueError, match="eps must be a number > 0"):
        F.instance_norm(x, eps=0)
    np.testing.assert_array_equal(rm.numpy(), np.zeros(3))  # nothing refused changed the statistics
