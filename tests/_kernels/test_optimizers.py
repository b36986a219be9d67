"""The optimizer kernels called directly: the parallel path, state arrays of any strides written
back, and the arguments they refuse. (The update rules themselves are checked against references in
tests/optim/test_optimizers.py.)"""
import numpy as np
import pytest

from minigrad._kernels import cpu


def _adam_args(param, grad, m, v, v_max=None, amsgrad=False, step=1):
    return (param, grad, m, v, v_max, 1e-2, 0.9, 0.999, 1e-8, 0.0, step, amsgrad, False, False)


def test_adam_above_the_parallel_threshold_equals_the_numpy_rule(rng):
    n = 600_000  # above PARALLEL_MIN: the prange path
    param, grad = rng.standard_normal(n), rng.standard_normal(n)
    m, v = rng.standard_normal(n), rng.random(n)
    expected_m = m + 0.1 * (grad - m)
    expected_v = v * 0.999 + 0.001 * grad * grad
    step_size, bc2 = 1e-2 / (1 - 0.9 ** 3), np.sqrt(1 - 0.999 ** 3)
    expected = param - step_size * (expected_m / (np.sqrt(expected_v) / bc2 + 1e-8))
    cpu.adam_step(*_adam_args(param, grad, m, v, step=3))
    # the compiler may fuse a multiply-add (one rounding fewer): equal to rounding, not bitwise
    np.testing.assert_allclose(m, expected_m, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(v, expected_v, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(param, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("kernel, make_args", [
    (cpu.adam_step, lambda p, g, s: (p, g, s[0], s[1], s[2], 1e-2, 0.9, 0.99, 1e-8, 0.1, 2, True, False, True)),
    (cpu.rmsprop_step, lambda p, g, s: (p, g, s[0], s[1], s[2], 1e-2, 0.9, 1e-8, 0.1, 0.9, True, False)),
    (cpu.adagrad_step, lambda p, g, s: (p, g, s[0], 0.1, 0.01, 0.1, 1e-10, 3, True)),
    (cpu.adadelta_step, lambda p, g, s: (p, g, s[0], s[1], 1.0, 0.9, 1e-6, 0.1, False)),
    (cpu.adamax_step, lambda p, g, s: (p, g, s[0], s[1], 1e-2, 0.9, 0.99, 1e-8, 0.1, 3, True)),
    (cpu.nadam_step, lambda p, g, s: (p, g, s[0], s[1], 1e-2, 0.9, 0.99, 1e-8, 0.1, 0.45, 0.46, 0.1, 3, True, True)),
    (cpu.radam_step, lambda p, g, s: (p, g, s[0], s[1], 1e-2, 0.9, 0.5, 1e-8, 0.1, 3, True, False)),
    (cpu.asgd_step, lambda p, g, s: (p, g, s[0], 1e-4, 0.01, 0.5, 0.1, True)),
])
def test_state_and_parameters_of_any_strides_give_the_contiguous_result(kernel, make_args, rng):
    param, grad = rng.standard_normal((5, 7)), rng.standard_normal((5, 7))
    states = [rng.random((5, 7)) for _ in range(3)]
    contiguous = [a.copy() for a in [param, *states]]
    kernel(*make_args(contiguous[0], grad, contiguous[1:]))
    # the same values, held as transposed and negatively strided views of other buffers
    views = [np.asfortranarray(param), *[a.T.copy().T[::-1][::-1] for a in states]]
    views[2] = np.ascontiguousarray(states[1][:, ::-1])[:, ::-1]
    kernel(*make_args(views[0], np.asfortranarray(grad), views[1:]))
    for view, result in zip(views, contiguous):
        np.testing.assert_array_equal(view, result)


def test_adam_refuses_wrong_input():
    p = np.ones(3)
    with pytest.raises(ValueError, match=r"exp_avg has shape \(2,\), expected \(3,\)"):
        cpu.adam_step(*_adam_args(p, np.ones(3), np.zeros(2), np.zeros(3)))
    with pytest.raises(TypeError, match="exp_avg_sq has dtype float32, but param has float64"):
        cpu.adam_step(*_adam_args(p, np.ones(3), np.zeros(3), np.zeros(3, np.float32)))
    with pytest.raises(ValueError, match="max_exp_avg_sq is required by this configuration"):
        cpu.adam_step(*_adam_args(p, np.ones(3), np.zeros(3), np.zeros(3), amsgrad=True))
    with pytest.raises(ValueError, match="step must be an int >= 1"):
        cpu.adam_step(*_adam_args(p, np.ones(3), np.zeros(3), np.zeros(3), step=0))
    with pytest.raises(TypeError, match="param must be float32 or float64, got int64"):
        cpu.adam_step(*_adam_args(np.ones(3, np.int64), np.ones(3), np.zeros(3), np.zeros(3)))
    with pytest.raises(TypeError, match="grad must be an array, got list"):
        cpu.adam_step(*_adam_args(p, [1.0, 1.0, 1.0], np.zeros(3), np.zeros(3)))


def test_rmsprop_adagrad_adadelta_refuse_missing_or_mismatched_state():
    p, g = np.ones(3), np.ones(3)
    with pytest.raises(ValueError, match="grad_avg is required"):
        cpu.rmsprop_step(p, g, np.zeros(3), None, None, 1e-2, 0.99, 1e-8, 0, 0, True, False)
    with pytest.raises(ValueError, match="momentum_buffer is required"):
        cpu.rmsprop_step(p, g, np.zeros(3), None, None, 1e-2, 0.99, 1e-8, 0, 0.9, False, False)
    with pytest.raises(ValueError, match=r"state_sum has shape \(3, 1\)"):
        cpu.adagrad_step(p, g, np.zeros((3, 1)), 1e-2, 0, 0, 1e-10, 1, False)
    with pytest.raises(ValueError, match="acc_delta is required"):
        cpu.adadelta_step(p, g, np.zeros(3), None, 1.0, 0.9, 1e-6, 0, False)


def test_adamax_nadam_radam_asgd_refuse_missing_or_mismatched_state():
    p, g = np.ones(3), np.ones(3)
    with pytest.raises(ValueError, match="exp_inf is required"):
        cpu.adamax_step(p, g, np.zeros(3), None, 1e-2, 0.9, 0.999, 1e-8, 0, 1, False)
    with pytest.raises(ValueError, match="step must be an int >= 1"):
        cpu.nadam_step(p, g, np.zeros(3), np.zeros(3), 1e-2, 0.9, 0.999, 1e-8, 0, 0.4, 0.4, 0.4, 0, False, False)
    with pytest.raises(TypeError, match="exp_avg_sq has dtype float32, but param has float64"):
        cpu.radam_step(p, g, np.zeros(3), np.zeros(3, np.float32), 1e-3, 0.9, 0.999, 1e-8, 0, 1, False, False)
    with pytest.raises(ValueError, match=r"ax has shape \(2,\), expected \(3,\)"):
        cpu.asgd_step(p, g, np.zeros(2), 1e-4, 0.01, 1.0, 0, False)


@pytest.mark.gpu
def test_optimizer_kernels_refuse_bad_input_like_the_cpu_kernels():
    import cupy

    from minigrad._kernels import cuda

    for module, xp in ((cpu, np), (cuda, cupy)):
        with pytest.raises(ValueError, match="max_exp_avg_sq is required"):
            module.adam_step(xp.ones(3), xp.ones(3), xp.zeros(3), xp.zeros(3), None, 1e-3, 0.9, 0.999, 1e-8, 0, 1,
                             True, False, False)
        with pytest.raises(TypeError, match="different devices"):
            module.adagrad_step(xp.ones(3), np.ones(3) if xp is cupy else cupy.ones(3), xp.zeros(3), 0.1, 0, 0,
                                1e-10, 1, False)
        with pytest.raises(ValueError, match="ax is required"):
            module.asgd_step(xp.ones(3), xp.ones(3), None, 1e-4, 0.01, 1.0, 0, False)
