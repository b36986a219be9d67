"""Every loop that a training step calls on small arrays has two branches (see _types.pxd): a plain
loop at or below PARALLEL_MIN elements and a prange above it. Each test runs a kernel on 2 threads
over an array just above the threshold (the prange branch) and over pieces of it below the threshold
(the plain branch): every element is computed by the same expression, so the results are bitwise
equal. A wrong range, a skipped block or a racing write in either branch shows here."""
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import _build
from minigrad._kernels import cpu, cpu_loops

PARALLEL_MIN = int(re.search(r"PARALLEL_MIN = (\d+)", (_build.KERNELS_DIR / "_types.pxd").read_text()).group(1))
N = PARALLEL_MIN + 1001  # odd, so that blocks and vector lanes do not divide it
HALF = N // 2  # each half is at or below the threshold: the plain branch


@pytest.fixture(autouse=True)
def two_threads():
    threads = mg.get_num_threads()
    mg.set_num_threads(2)
    yield
    mg.set_num_threads(threads)


def check(kernel, arrays):
    """kernel(*arrays) over the whole arrays (in place on copies) equals it over each half."""
    whole = [a.copy() for a in arrays]
    kernel(*whole)
    first, second = ([a[:HALF].copy() for a in arrays], [a[HALF:].copy() for a in arrays])
    kernel(*first)
    kernel(*second)
    for w, a, b in zip(whole, first, second):
        np.testing.assert_array_equal(w, np.concatenate([a, b]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu(dtype, rng):
    x, gy = rng.standard_normal(N).astype(dtype), rng.standard_normal(N).astype(dtype)
    x[::7] = np.nan
    check(lambda x, y: cpu_loops.relu_forward(x, y), [x, np.empty_like(x)])
    check(lambda gy, y, gx: cpu_loops.relu_backward(gy, y, gx), [gy, x, np.empty_like(x)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid(dtype, rng):
    x, gy = 30 * rng.standard_normal(N).astype(dtype), rng.standard_normal(N).astype(dtype)
    x[::7] = np.nan
    check(lambda x, y: cpu_loops.sigmoid_forward(x, y), [x, np.empty_like(x)])
    check(lambda gy, y, gx: cpu_loops.sigmoid_backward(gy, y, gx), [gy, x, np.empty_like(x)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_masks_depend_on_the_position_only(dtype, rng):
    x = rng.standard_normal(N).astype(dtype)
    y, mask = cpu.dropout_forward(x, 0.3, 7, 11)
    y_small, mask_small = cpu.dropout_forward(x[:HALF], 0.3, 7, 11)
    np.testing.assert_array_equal(mask[:HALF], mask_small)
    np.testing.assert_array_equal(y[:HALF], y_small)
    np.testing.assert_array_equal(y, x * mask * dtype(1 / 0.7))
    gy = rng.standard_normal(N).astype(dtype)
    check(lambda gy, mask, gx: cpu_loops.dropout_backward(gy, mask, gx, 1 / 0.7), [gy, mask, np.empty_like(gy)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("tanh", [False, True])
def test_gelu(tanh, dtype, rng):
    x, gy = (rng.standard_normal(N) * 4).astype(dtype), rng.standard_normal(N).astype(dtype)
    check(lambda x, y: cpu_loops.gelu_forward(x, y, tanh), [x, np.empty_like(x)])
    check(lambda gy, x, gx: cpu_loops.gelu_backward(gy, x, gx, tanh), [gy, x, np.empty_like(x)])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf(dtype, rng):
    x = (rng.standard_normal(N) * 3).astype(dtype)
    check(lambda x, y: cpu_loops.erf_forward(x, y), [x, np.empty_like(x)])


def test_add_bias_splits_rows(rng):
    y, bias = rng.standard_normal((N // 64 + 1, 64)), rng.standard_normal(64)
    whole = y.copy()
    cpu_loops.add_bias(whole, bias)
    top, bottom = y[: len(y) // 2].copy(), y[len(y) // 2:].copy()
    cpu_loops.add_bias(top, bias)
    cpu_loops.add_bias(bottom, bias)
    np.testing.assert_array_equal(whole, np.concatenate([top, bottom]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(N // 256 + 1, 256, 1), (64, 16, N // 1024 + 1)])
def test_batch_norm_passes_split_channels(shape, dtype, rng):
    # channels are independent: half of them at a time is the plain branch
    x, g = (rng.standard_normal(shape) + 3).astype(dtype), rng.standard_normal(shape).astype(dtype)
    C = shape[1]
    m, k1, k2, k3 = rng.standard_normal(C), rng.standard_normal(C), rng.standard_normal(C), rng.standard_normal(C)
    results = {}
    for name, channels in (("whole", slice(None)), ("first", slice(None, C // 2)), ("second", slice(C // 2, None))):
        a, b = np.ascontiguousarray(g[:, channels]), np.ascontiguousarray(x[:, channels])
        count = b.shape[1]
        s1, s2 = np.zeros(count), np.zeros(count)
        cpu_loops.channel_sums(a, b, m[channels].copy(), s1, s2)
        out, out_no_g = np.empty_like(b), np.empty_like(b)
        cpu_loops.channel_affine(a, b, out, k1[channels].copy(), k2[channels].copy(), k3[channels].copy())
        cpu_loops.channel_affine(None, b, out_no_g, None, k2[channels].copy(), k3[channels].copy())
        results[name] = (s1, s2, out, out_no_g)
    for whole, first, second in zip(results["whole"], results["first"], results["second"]):
        np.testing.assert_array_equal(whole, np.concatenate([first, second], axis=0 if whole.ndim == 1 else 1))


def _optimizer_cases():
    return {
        "sgd": (lambda p, g, s: cpu_loops.sgd_step(p, g, s[0], 1e-2, 0.9, 0.1, 0.01, False, False, False), 1),
        "sgd nesterov first": (lambda p, g, s: cpu_loops.sgd_step(p, g, s[0], 1e-2, 0.9, 0.0, 0.0, True, True, True), 1),
        "adam": (lambda p, g, s: cpu_loops.adam_step(p, g, s[0], s[1], s[2], 1e-2, 0.9, 0.99, 1e-8, 0.1, 0.05, 0.3,
                                                     False, False, True), 3),
        "adam amsgrad": (lambda p, g, s: cpu_loops.adam_step(p, g, s[0], s[1], s[2], 1e-2, 0.9, 0.99, 1e-8, 0.1, 0.05,
                                                             0.3, True, True, False), 3),
        **{f"rmsprop centered={c} momentum={mo}": (
            lambda p, g, s, c=c, mo=mo: cpu_loops.rmsprop_step(p, g, s[0], s[1], s[2], 1e-2, 0.9, 1e-8, 0.1, mo, c,
                                                               False), 3)
           for c in (False, True) for mo in (0.0, 0.9)},
        "adagrad": (lambda p, g, s: cpu_loops.adagrad_step(p, g, s[0], 1e-2, 1e-10, 0.1, True), 1),
        "adadelta": (lambda p, g, s: cpu_loops.adadelta_step(p, g, s[0], s[1], 1.0, 0.9, 1e-6, 0.1, False), 2),
        "adamax": (lambda p, g, s: cpu_loops.adamax_step(p, g, s[0], s[1], 1e-2, 0.9, 0.99, 1e-8, 0.1, True), 2),
        "nadam": (lambda p, g, s: cpu_loops.nadam_step(p, g, s[0], s[1], 1e-2, 0.9, 0.99, 1e-8, 0.1, 0.05, 0.45,
                                                       0.46, 0.2, False, True), 2),
        "radam": (lambda p, g, s: cpu_loops.radam_step(p, g, s[0], s[1], 1e-2, 0.9, 0.5, 1e-8, 0.1, 0.3, 0.8, 0.9,
                                                       True, True, False), 2),
        "asgd": (lambda p, g, s: cpu_loops.asgd_step(p, g, s[0], 1e-4, 0.01, 0.5, 0.1, False), 1),
    }


@pytest.mark.parametrize("name", list(_optimizer_cases()))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_optimizer_steps(name, dtype, rng):
    kernel, states = _optimizer_cases()[name]
    param, grad = rng.standard_normal(N).astype(dtype), rng.standard_normal(N).astype(dtype)
    state = [rng.random(N).astype(dtype) for _ in range(states)]
    check(lambda p, g, *s: kernel(p, g, s), [param, grad, *state])
