"""The kernel front: one set of checks for both devices, the CPU and GPU loop modules in step, any
strides for every argument (results equal those on contiguous copies, in-place updates written
back), and non-finite values propagating as in torch."""
import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

from minigrad import _kernels
from minigrad._kernels import cpu, cpu_loops, cuda_launch
from minigrad._kernels.front.recurrent import SEQUENCE_LOOPS


def _strided_views(rng, shape, dtype):
    """The same values as contiguous, transposed-back (Fortran), negative-step and sliced arrays."""
    base = rng.standard_normal(shape).astype(dtype)
    fortran = np.asfortranarray(base)
    reversed_twice = base[::-1].copy()[::-1]
    sliced = np.zeros((shape[0] * 2,) + shape[1:], dtype)[::2]
    sliced[...] = base
    return base, {"fortran": fortran, "negative steps": reversed_twice, "sliced": sliced}


def test_cpu_and_cuda_loop_modules_export_the_same_functions_with_the_same_parameters():
    # a CUDA loop is written in cuda_loops.py or launches the kernel of its name, whose parameters
    # (less sizes and presence flags) cuda_launch reads off the .cu source; the sequence loops are the CPU's only
    tree = ast.parse(Path(_kernels.__file__).with_name("cuda_loops.py").read_text())
    by_hand = {node.name: [a.arg for a in node.args.args] for node in tree.body
               if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}
    assert set(by_hand) <= set(cpu_loops.__all__) - set(SEQUENCE_LOOPS), "cuda_loops defines loops that cpu_loops lacks"
    assert set(SEQUENCE_LOOPS) <= set(cpu_loops.__all__)
    for name in sorted(set(cpu_loops.__all__) - set(SEQUENCE_LOOPS)):
        cpu_params = list(inspect.signature(getattr(cpu_loops, name)).parameters)
        cuda_params = by_hand[name] if name in by_hand else list(cuda_launch.binding(name).loop_params)
        assert cuda_params == cpu_params, name


def test_every_cuda_kernel_binds_with_known_argument_types_and_sizes():
    kernels = cuda_launch.kernels()
    assert set(cuda_launch.LAUNCHES) <= set(kernels)
    for name, signature in kernels.items():
        binding = cuda_launch.binding(name)
        assert len(binding.sources) == len(signature.params), name
        assert signature.typed == bool(binding.typed_arguments), name
    assert kernels["adam_step"].params[-1] == ("flag", "decoupled_weight_decay")
    assert [p for _, p in kernels["im2col"].params][2:6] == ["n", "C", "H", "W"]  # macro parameters expanded


def test_for_array_and_for_xp_pick_the_cpu_kernels():
    assert _kernels.for_array(np.ones(2)) is cpu
    assert _kernels.for_xp(np) is cpu


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_strided_argument_gives_the_contiguous_result(dtype, rng):
    x, views = _strided_views(rng, (12, 5), dtype)
    w, b = rng.uniform(0.5, 2, 5).astype(dtype), rng.standard_normal(5).astype(dtype)
    w_views = {"reversed": w[::-1].copy()[::-1], "sliced": np.repeat(w, 2)[::2]}
    gy = rng.standard_normal(x.shape).astype(dtype)
    rm0, rv0 = np.full(5, 0.5, dtype), np.full(5, 2.0, dtype)
    ref_y, ref_mean, ref_invstd = cpu.batch_norm_forward_train(x, w, b, rm0.copy(), rv0.copy(), 0.1, 1e-5)
    ref_rm, ref_rv = rm0.copy(), rv0.copy()
    cpu.batch_norm_forward_train(x, w, b, ref_rm, ref_rv, 0.1, 1e-5)
    ref_grads = cpu.batch_norm_backward(gy, x, ref_mean, ref_invstd, w, True)
    for name, xv in views.items():
        wv = w_views["sliced" if name == "sliced" else "reversed"]
        rm, rv = np.repeat(rm0, 2)[::2], np.repeat(rv0, 2)[1::2]  # running statistics that are views
        y, mean, invstd = cpu.batch_norm_forward_train(xv, wv, b[::-1].copy()[::-1], rm, rv, 0.1, 1e-5)
        np.testing.assert_array_equal(y, ref_y, err_msg=name)
        np.testing.assert_array_equal(rm, ref_rm, err_msg=name)
        np.testing.assert_array_equal(rv, ref_rv, err_msg=name)
        grads = cpu.batch_norm_backward(np.asfortranarray(gy), xv, mean[::-1].copy()[::-1], invstd, wv, True)
        for got, want in zip(grads, ref_grads):
            np.testing.assert_array_equal(got, want, err_msg=name)
        np.testing.assert_array_equal(cpu.batch_norm_forward_eval(xv, rm, rv, wv, b, 1e-5),
                                      cpu.batch_norm_forward_eval(x, ref_rm, ref_rv, w, b, 1e-5), err_msg=name)
        np.testing.assert_array_equal(cpu.relu_forward(xv), cpu.relu_forward(x), err_msg=name)
        np.testing.assert_array_equal(cpu.relu_backward(np.asfortranarray(gy), xv), cpu.relu_backward(gy, x))
        np.testing.assert_array_equal(cpu.dropout_forward(xv, 0.5, 1, 2)[0], cpu.dropout_forward(x, 0.5, 1, 2)[0])
    weight = rng.standard_normal((3, 5)).astype(dtype)
    for wv in (np.asfortranarray(weight), weight[::-1].copy()[::-1], np.repeat(weight, 2, axis=1)[:, ::2]):
        np.testing.assert_allclose(cpu.linear_forward(views["fortran"], wv, np.repeat(b[:3], 2)[::2]),
                                   x @ weight.T + b[:3], rtol=1e-5)
        gx, gw, gb = cpu.linear_backward(np.asfortranarray(gy[:, :3]), views["sliced"], wv, True, True, True)
        np.testing.assert_allclose(gb, gy[:, :3].astype(np.float64).sum(0), rtol=1e-5)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_updates_parameters_and_buffers_of_any_strides_in_place(momentum, rng):
    p0, g = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    ref_p, ref_buf = p0.copy(), np.zeros_like(p0) if momentum else None
    cpu.sgd_step(ref_p, g, ref_buf, 0.1, momentum, 0, 0.01, False, False, True)
    holder = np.zeros((4, 12))
    p = holder[:, ::2].T  # a transposed, strided view: the update must land in holder
    p[...] = p0
    buf = np.zeros((6, 8))[:, ::2] if momentum else None
    cpu.sgd_step(p, np.asfortranarray(g), buf, 0.1, momentum, 0, 0.01, False, False, True)
    np.testing.assert_array_equal(holder[:, ::2].T, ref_p)
    if momentum:
        np.testing.assert_array_equal(buf, ref_buf)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_value_makes_its_batch_norm_channel_and_statistics_nan(dtype, bad, rng):
    x = rng.standard_normal((8, 3, 4)).astype(dtype)
    x[5, 1, 2] = bad
    rm, rv = np.zeros(3, dtype), np.ones(3, dtype)
    y, mean, invstd = cpu.batch_norm_forward_train(x, None, None, rm, rv, 0.1, 1e-5)
    assert np.isnan(y[:, 1]).all() and np.isfinite(y[:, [0, 2]]).all()
    assert np.isnan(rv[1]) and not np.isfinite(rm[1]) and np.isfinite(rv[[0, 2]]).all()
    gx, _, _ = cpu.batch_norm_backward(np.ones_like(x), x, mean, invstd, None, True)
    assert np.isnan(gx[:, 1]).all() and np.isfinite(gx[:, [0, 2]]).all()
    y_eval = cpu.batch_norm_forward_eval(np.ones((2, 3), dtype), rm, rv, None, None, 1e-5)
    assert np.isnan(y_eval[:, 1]).all() and np.isfinite(y_eval[:, [0, 2]]).all()


def test_dropout_keeps_nan_even_where_it_drops_as_torch():
    x = np.full(4096, np.nan)
    y, mask = cpu.dropout_forward(x, 0.5, 0, 0)
    assert 0 < mask.sum() < x.size and np.isnan(y).all()
    assert np.isnan(cpu.dropout_backward(x, mask, 0.5)).all()
    assert np.isnan(cpu.dropout_forward(x, 1.0, 0, 0)[0]).all()
    np.testing.assert_array_equal(cpu.dropout_forward(np.ones(8), 1.0, 0, 0)[0], 0)


@pytest.mark.gpu
def test_cuda_kernels_refuse_bad_input_like_the_cpu_kernels():
    import cupy

    for module, xp in ((cpu, np), (_kernels.cuda, cupy)):
        with pytest.raises(TypeError, match="float32 or float64"):
            module.relu_forward(xp.arange(3))
        with pytest.raises(ValueError, match="more than 1 value per channel"):
            module.batch_norm_forward_train(xp.ones((1, 3)), None, None, None, None, 0.1, 1e-5)


@pytest.mark.parametrize("kernel_size, padding", [((2, 2), (2, 2)), ((3, 3), (2, 1)), ((3, 2), (1, 2))])
def test_pooling_padding_over_half_a_window_is_refused(kernel_size, padding):
    # a window over padding alone would hold only -inf (max) or only zeros (average)
    x = np.zeros((1, 1, 6, 6))
    for pool in (cpu.max_pool2d_forward, cpu.avg_pool2d_forward):
        with pytest.raises(ValueError, match="must be at most half of kernel_size"):
            pool(x, kernel_size, (1, 1), padding)


def test_pooling_padding_of_exactly_half_a_window_is_accepted():
    y, _ = cpu.max_pool2d_forward(np.arange(16.0).reshape(1, 1, 4, 4), (2, 2), (2, 2), (1, 1))
    np.testing.assert_array_equal(y[0, 0], [[0, 2, 3], [8, 10, 11], [12, 14, 15]])
    # a window as large as the input plus its padding on both sides fits: 1 + 2 * 1 = 3
    one = np.full((1, 1, 1, 1), 5.0)
    assert cpu.max_pool2d_forward(one, (3, 3), (1, 1), (1, 1))[0].shape == (1, 1, 1, 1)
    np.testing.assert_array_equal(cpu.avg_pool2d_forward(one, (3, 3), (1, 1), (1, 1)), [[[[5 / 9]]]])



@pytest.mark.parametrize("kernel_size, stride, padding, match", [
    ((0, 2), (1, 1), (0, 0), r"kernel_size must be two ints >= 1"),
    ((2, 2), (0, 1), (0, 0), r"stride must be two ints >= 1"),
    ((2, 2), (1, 1), (-1, 0), r"padding must be two ints >= 0"),
    ((5, 5), (1, 1), (1, 1), r"pooling window \(5, 5\) is larger than the padded input \(2, 2\)"),
])
def test_pooling_geometry_is_checked_by_the_front(kernel_size, stride, padding, match):
    x = np.zeros((1, 1, 2, 2))
    for pool in (cpu.max_pool2d_forward, cpu.avg_pool2d_forward):
        with pytest.raises(ValueError, match=match):
            pool(x, kernel_size, stride, padding)


def test_conv_groups_must_divide_the_output_channels_at_the_front():
    x, weight = np.zeros((1, 4, 3, 3)), np.zeros((3, 2, 1, 1))  # 3 output channels in 2 groups
    with pytest.raises(ValueError, match="groups must be an int >= 1 dividing the 3 output channels, got 2"):
        cpu.conv2d_forward(x, weight, None, (1, 1), ((0, 0), (0, 0)), (1, 1), 2)
