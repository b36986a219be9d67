"""F.interpolate: torch's legacy nearest (3-D and 4-D input), linear (3-D), bilinear and bicubic (4-D) with
align_corners, torch's handling of a given scale_factor, the gradients (repeated sources add up), and
the refusals. References are loops over output positions written from torch's kernels.

F.adaptive_max_pool2d: torch's bins floor(i * H / OH) .. ceil((i + 1) * H / OH), the gradient to
each bin's maximum (the first one; a NaN wins, the last NaN as torch's loop), return_indices, 3-D
input, and the refusals. The reference is a loop over bins and their entries."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F


def nearest_source(j, n_in, n_out, scale, shortcuts):
    """torch's source index for output j: floor(j * s) in float32, s = 1 / scale or n_in / n_out;
    its 2-D kernel copies equal sizes and halves the index of doubled ones."""
    if shortcuts and n_out == n_in:
        return j
    if shortcuts and n_out == 2 * n_in:
        return j // 2
    s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
    return min(int(math.floor(np.float32(j) * s)), n_in - 1)


def linear_source(j, n_in, n_out, align_corners, scale, real=np.float64):
    """(i0, i1, lambda1) of output j for linear interpolation along one dim, as torch."""
    if n_in == n_out:
        return j, j, 0.0
    if align_corners:
        src = real(j) * (real(n_in - 1) / real(n_out - 1) if n_out > 1 else real(0))
    else:
        s = real(1.0 / scale) if scale else real(n_in) / real(n_out)
        src = max(s * (real(j) + real(0.5)) - real(0.5), real(0))
    i0 = min(int(math.floor(src)), n_in - 1)
    return i0, i0 + (1 if i0 < n_in - 1 else 0), min(max(float(src) - i0, 0.0), 1.0)


def reference(x, mode, out_sizes, scales=None, align_corners=False):
    """float64 loops over every output entry."""
    scales = scales or [None] * len(out_sizes)
    y = np.zeros(x.shape[:2] + tuple(out_sizes))
    if x.ndim == 3:
        (n_in,), (n_out,), (scale,) = x.shape[2:], out_sizes, scales
        for j in range(n_out):
            if mode == "nearest":
                y[:, :, j] = x[:, :, nearest_source(j, n_in, n_out, scale, False)]
            else:
                i0, i1, lam = linear_source(j, n_in, n_out, align_corners, scale)
                y[:, :, j] = (1 - lam) * x[:, :, i0] + lam * x[:, :, i1]
        return y
    (h_in, w_in), (h_out, w_out) = x.shape[2:], out_sizes
    for i in range(h_out):
        for j in range(w_out):
            if mode == "nearest":
                y[:, :, i, j] = x[:, :, nearest_source(i, h_in, h_out, scales[0], True),
                                  nearest_source(j, w_in, w_out, scales[1], True)]
            else:
                h0, h1, lh = linear_source(i, h_in, h_out, align_corners, scales[0])
                w0, w1, lw = linear_source(j, w_in, w_out, align_corners, scales[1])
                y[:, :, i, j] = ((1 - lh) * ((1 - lw) * x[:, :, h0, w0] + lw * x[:, :, h0, w1])
                                 + lh * ((1 - lw) * x[:, :, h1, w0] + lw * x[:, :, h1, w1]))
    return y


CASES = [  # (input shape, mode, kwargs, out sizes, scales the kernel uses)
    ((2, 3, 5), "nearest", dict(size=9), [9], None),
    ((2, 3, 7), "nearest", dict(size=3), [3], None),
    ((2, 3, 5), "nearest", dict(scale_factor=1.7), [8], [1.7]),
    ((2, 3, 6), "nearest", dict(scale_factor=1.1), [6], [1.1]),  # 1-D: no copy shortcut
    ((2, 3, 4, 5), "nearest", dict(size=(7, 3)), [7, 3], None),
    ((2, 3, 4, 5), "nearest", dict(scale_factor=(1.1, 2.1)), [4, 10], [1.1, 2.1]),  # 2-D shortcuts
    ((2, 3, 4, 5), "nearest", dict(scale_factor=0.6), [2, 3], [0.6, 0.6]),
    ((2, 3, 5), "linear", dict(size=9), [9], None),
    ((2, 3, 5), "linear", dict(size=9, align_corners=True), [9], None),
    ((2, 3, 8), "linear", dict(size=3), [3], None),
    ((2, 3, 5), "linear", dict(scale_factor=1.7), [8], [1.7]),
    ((2, 3, 5), "linear", dict(scale_factor=1.7, recompute_scale_factor=True), [8], None),
    ((2, 3, 5), "linear", dict(size=1, align_corners=True), [1], None),
    ((2, 3, 4, 5), "bilinear", dict(size=(7, 3)), [7, 3], None),
    ((2, 3, 4, 5), "bilinear", dict(size=(7, 3), align_corners=True), [7, 3], None),
    ((2, 3, 4, 5), "bilinear", dict(scale_factor=(1.5, 0.7)), [6, 3], [1.5, 0.7]),
    ((2, 3, 4, 5), "bilinear", dict(scale_factor=(1.1, 2.5)), [4, 12], [1.1, 2.5]),  # H copied
    ((2, 3, 4, 5), "bilinear", dict(scale_factor=2, align_corners=True), [8, 10], [2.0, 2.0]),
    ((1, 1, 1, 1), "bilinear", dict(size=(3, 2)), [3, 2], None),
]


@pytest.mark.parametrize("shape, mode, kwargs, out_sizes, scales", CASES)
def test_forward_matches_the_loop_reference_and_gradchecks(shape, mode, kwargs, out_sizes, scales, rng, device):
    x = rng.standard_normal(shape)
    t = mg.tensor(x, requires_grad=True, device=device)
    y = F.interpolate(t, mode=mode, **kwargs)
    assert y.shape == tuple(shape[:2]) + tuple(out_sizes) and y.dtype == np.float64
    np.testing.assert_allclose(y.detach().numpy(), reference(x, mode, out_sizes, scales, kwargs.get("align_corners", False)),
                               rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(lambda a: F.interpolate(a, mode=mode, **kwargs), [t])


@pytest.mark.parametrize("shape, mode, kwargs, out_sizes, scales", CASES)
def test_float32_within_1e_5_of_the_float64_reference(shape, mode, kwargs, out_sizes, scales, rng, device):
    x = rng.standard_normal(shape).astype(np.float32)
    t = mg.tensor(x, requires_grad=True, device=device)
    y = F.interpolate(t, mode=mode, **kwargs)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.detach().numpy(), reference(x.astype(np.float64), mode, out_sizes, scales,
                                                    kwargs.get("align_corners", False)), rtol=1e-5, atol=1e-5)
    y.sum().backward()
    assert t.grad.dtype == np.float32


def test_values_torch_gives(device):
    """Values printed by torch 2.x for these calls (the scale factor's step, the clamp at 0, the
    copied and halved 2-D nearest dims)."""
    line = mg.arange(8.0, device=device).reshape(1, 1, 8)
    np.testing.assert_allclose(F.interpolate(line, scale_factor=1.2, mode="linear").numpy().ravel(),
                               [0.0, 0.75, 1.583333, 2.416666, 3.25, 4.083333, 4.916666, 5.75, 6.583333], atol=1e-5)
    np.testing.assert_allclose(F.interpolate(line, size=5, mode="linear", align_corners=True).numpy().ravel(),
                               [0.0, 1.75, 3.5, 5.25, 7.0])
    np.testing.assert_array_equal(F.interpolate(line, scale_factor=1.1).numpy().ravel(), [0, 0, 1, 2, 3, 4, 5, 6])
    image = mg.arange(12.0, device=device).reshape(1, 1, 3, 4)
    np.testing.assert_array_equal(F.interpolate(image, scale_factor=(1.1, 2.1)).numpy()[0, 0],
                                  np.arange(12.0).reshape(3, 4).repeat(2, axis=1))
    np.testing.assert_allclose(F.interpolate(image, size=(2, 3), mode="bilinear").numpy()[0, 0],
                               [[1.166667, 2.5, 3.833334], [7.166666, 8.5, 9.833333]], atol=1e-5)


def test_nearest_gradient_adds_the_gradients_of_repeated_sources(device):
    t = mg.tensor(np.zeros((1, 1, 2, 3)), requires_grad=True, device=device)
    F.interpolate(t, scale_factor=2).backward(mg.tensor(np.arange(24.0).reshape(1, 1, 4, 6), device=device))
    g = np.arange(24.0).reshape(2, 2, 3, 2).sum(axis=(1, 3))  # each source's 2x2 block
    np.testing.assert_array_equal(t.grad.numpy()[0, 0], g)


def test_bilinear_gradient_scatters_the_four_weights(device):
    """Every output's weights sum to 1, so the input gradient of a sum is the output count
    spread over the sources: its total is the number of outputs."""
    t = mg.tensor(np.zeros((1, 1, 3, 3)), requires_grad=True, device=device)
    F.interpolate(t, size=(5, 7), mode="bilinear", align_corners=True).sum().backward()
    grad = t.grad.numpy()[0, 0]
    assert grad.sum() == pytest.approx(35.0)
    x = np.zeros((1, 1, 3, 3))
    for i in range(3):  # the gradient of y.sum() is the sum of each input's weights: a loop over outputs
        for j in range(3):
            x[...] = 0
            x[0, 0, i, j] = 1
            assert grad[i, j] == pytest.approx(reference(x, "bilinear", [5, 7], None, True).sum())


def test_batch_of_zero_and_strided_input(rng, device):
    empty = F.interpolate(mg.zeros(0, 2, 3, 3, device=device), scale_factor=2, mode="bilinear")
    assert empty.shape == (0, 2, 6, 6)
    x = rng.standard_normal((2, 3, 6, 5))
    t = mg.tensor(x, device=device).transpose(2, 3)[:, ::-1]
    np.testing.assert_allclose(F.interpolate(t, size=(4, 9), mode="bilinear").numpy(),
                               reference(x.transpose(0, 1, 3, 2)[:, ::-1], "bilinear", [4, 9]), rtol=1e-12)


@pytest.mark.parametrize("shape, kwargs, error, match", [
    ((1, 1, 4), dict(size=3, mode="bicubic"), NotImplementedError, "Got 3D input, but bicubic mode needs 4D"),
    ((1, 1, 4, 4), dict(size=3, mode="bicubic", antialias=True), NotImplementedError, "antialias"),
    ((1, 1, 4, 4), dict(size=3, mode="area"), NotImplementedError, "'area' is not supported"),
    ((1, 1, 4, 4), dict(size=3, mode="nearest-exact"), NotImplementedError, "'nearest-exact' is not supported"),
    ((1, 1, 4, 4, 4), dict(size=3, mode="trilinear"), NotImplementedError, "'trilinear' is not supported"),
    ((1, 1, 4, 4, 4), dict(size=3), NotImplementedError, "only 3-D .* and 4-D .*got 5-D"),
    ((4, 4), dict(size=3), NotImplementedError, "got 2-D"),
    ((1, 1, 4, 4), dict(size=3, mode="linear"), NotImplementedError, "Got 4D input, but linear mode needs 3D input"),
    ((1, 1, 4), dict(size=3, mode="bilinear"), NotImplementedError, "Got 3D input, but bilinear mode needs 4D"),
    ((1, 1, 4, 4), dict(size=3, scale_factor=2), ValueError, "only one of size or scale_factor"),
    ((1, 1, 4, 4), dict(), ValueError, "either size or scale_factor should be defined"),
    ((1, 1, 4, 4), dict(size=(3,)), ValueError, "spatial dimensions of \\[4, 4\\] and output size of \\(3,\\)"),
    ((1, 1, 4, 4), dict(scale_factor=(2, 2, 2)), ValueError, "scale_factor of shape \\(2, 2, 2\\)"),
    ((1, 1, 4, 4), dict(size=3, align_corners=True), ValueError, "align_corners option can only be set"),
    ((1, 1, 4, 4), dict(size=3, recompute_scale_factor=True), ValueError, "not meaningful with an explicit size"),
    ((1, 1, 4, 4), dict(size=3, mode="bilinear", antialias=True), NotImplementedError, "antialias"),
    ((1, 1, 4, 4), dict(size=0), RuntimeError, "output \\(H: 0, W: 0\\)"),
    ((1, 1, 4, 4), dict(scale_factor=0.1), RuntimeError, "greater than 0.*output \\(H: 0, W: 0\\)"),
    ((1, 1, 4), dict(scale_factor=-1, mode="linear"), RuntimeError, "input \\(W: 4\\) output \\(W: -4\\)"),
    ((1, 1, 0, 4), dict(size=3), RuntimeError, "input \\(H: 0, W: 4\\)"),
    ((1, 1, 4, 4), dict(size=2.5), TypeError, "size must be an int"),
    ((1, 1, 4, 4), dict(scale_factor="2"), TypeError, "scale_factor must be a number"),
    ((1, 1, 4, 4), dict(size=3, mode="bilinear", align_corners=1), TypeError, "align_corners must be a bool"),
])
def test_refusals(shape, kwargs, error, match, device):
    with pytest.raises(error, match=match):
        F.interpolate(mg.zeros(*shape, device=device), **kwargs)


def test_refuses_integer_input_and_non_tensors(device):
    with pytest.raises(NotImplementedError, match="not implemented for int64 input"):
        F.interpolate(mg.zeros(1, 1, 4, 4, dtype=mg.int64, device=device), size=3)
    with pytest.raises(TypeError, match="interpolate takes a Tensor, got ndarray"):
        F.interpolate(np.zeros((1, 1, 4, 4)), size=3)


def reference_adaptive_max_pool(x, out_h, out_w):
    """(values, flat indices) of x (N, C, H, W), scanning each bin row by row as torch's kernel."""
    n, c, h, w = x.shape
    values, indices = np.zeros((n, c, out_h, out_w)), np.zeros((n, c, out_h, out_w), dtype=np.int64)
    for p in np.ndindex(n, c):
        for i in range(out_h):
            for j in range(out_w):
                best, where = -np.inf, (i * h // out_h) * w + (j * w // out_w)
                for r in range(i * h // out_h, math.ceil((i + 1) * h / out_h)):
                    for s in range(j * w // out_w, math.ceil((j + 1) * w / out_w)):
                        if x[p + (r, s)] > best or np.isnan(x[p + (r, s)]):
                            best, where = x[p + (r, s)], r * w + s
                values[p + (i, j)], indices[p + (i, j)] = best, where
    return values, indices


@pytest.mark.parametrize("shape, output_size, expected", [
    ((2, 3, 7, 5), (3, 2), (3, 2)),
    ((2, 3, 5, 5), 5, (5, 5)),
    ((1, 2, 4, 6), (8, None), (8, 6)),   # bins smaller than a pixel repeat it
    ((1, 2, 9, 4), 1, (1, 1)),
    ((3, 6, 5), (2, 4), (2, 4)),         # (C, H, W)
])
def test_adaptive_max_pool2d_values_indices_and_gradient_match_the_loop_reference(shape, output_size, expected, rng, device):
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64)  # distinct: gradcheck is exact
    t = mg.tensor(x, requires_grad=True, device=device)
    values, indices = F.adaptive_max_pool2d(t, output_size, return_indices=True)
    image = x if x.ndim == 4 else x[None]
    ref_values, ref_indices = (r if x.ndim == 4 else r[0] for r in reference_adaptive_max_pool(image, *expected))
    np.testing.assert_array_equal(values.detach().numpy(), ref_values)
    np.testing.assert_array_equal(indices.numpy(), ref_indices)
    assert indices.dtype == np.int64 and not indices.requires_grad and values.dtype == np.float64
    gy = rng.standard_normal(values.shape)
    values.backward(mg.tensor(gy, device=device))
    grad = np.zeros(image.shape[:2] + (image.shape[2] * image.shape[3],))
    for p in np.ndindex(*grad.shape[:2]):  # overlapping bins can pick one entry twice: gradients add
        for k, index in enumerate(ref_indices.reshape(grad.shape[:2] + (-1,))[p]):
            grad[p + (index,)] += gy.reshape(grad.shape[:2] + (-1,))[p + (k,)]
    np.testing.assert_allclose(t.grad.numpy(), grad.reshape(x.shape), rtol=1e-12)
    assert mg.gradcheck(lambda a: F.adaptive_max_pool2d(a, output_size), [mg.tensor(x, requires_grad=True,
                                                                                    device=device)])


def test_adaptive_max_pool2d_ties_take_the_first_maximum_and_nan_wins_at_its_last_position(device):
    x = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]],
                   [[np.nan, 1.0, np.nan], [5.0, 9.0, 0.0]],
                   [[-np.inf, -np.inf, -np.inf], [-np.inf, -np.inf, -np.inf]]]])
    t = mg.tensor(x, requires_grad=True, device=device)
    values, indices = F.adaptive_max_pool2d(t, 1, return_indices=True)
    np.testing.assert_array_equal(values.detach().numpy().ravel(), [3.0, np.nan, -np.inf])
    np.testing.assert_array_equal(indices.numpy().ravel(), [1, 2, 0])
    np.testing.assert_array_equal(values.detach().numpy().ravel(), reference_adaptive_max_pool(x, 1, 1)[0].ravel())
    values.sum().backward()
    assert t.grad.numpy()[0, 0, 0, 1] == 1 and t.grad.numpy()[0, 1, 0, 2] == 1 and t.grad.numpy().sum() == 3


def test_adaptive_max_pool2d_float32_equals_the_reference_exactly(rng, device):
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    values = F.adaptive_max_pool2d(mg.tensor(x, device=device), (4, 3))
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values.numpy(), reference_adaptive_max_pool(x.astype(np.float64), 4, 3)[0].astype(np.float32))


def test_adaptive_max_pool2d_zero_output_size_and_zero_batch(device):
    assert F.adaptive_max_pool2d(mg.zeros(1, 2, 4, 4, device=device), (0, 3)).shape == (1, 2, 0, 3)
    assert F.adaptive_max_pool2d(mg.zeros(0, 2, 4, 4, device=device), 2).shape == (0, 2, 2, 2)


@pytest.mark.parametrize("shape, output_size, error, match", [
    ((4, 4), 2, RuntimeError, "expected a 3-D \\(C, H, W\\) or 4-D .* got 2-D"),
    ((1, 1, 1, 4, 4), 2, RuntimeError, "got 5-D"),
    ((1, 1, 0, 3), 2, RuntimeError, "non-batch dims must not be empty"),
    ((1, 1, 4, 4), (2, 2, 2), RuntimeError, "an int or 2 sizes"),
    ((1, 1, 4, 4), -1, RuntimeError, "must be >= 0"),
    ((1, 1, 4, 4), 2.0, TypeError, "must be an int or \\(OH, OW\\), got 2.0"),
    ((1, 1, 4, 4), (2, 1.5), TypeError, "must hold ints"),
])
def test_adaptive_max_pool2d_refusals(shape, output_size, error, match, device):
    with pytest.raises(error, match=match):
        F.adaptive_max_pool2d(mg.zeros(*shape, device=device), output_size)


def test_adaptive_max_pool2d_refuses_integer_input(device):
    with pytest.raises(NotImplementedError, match="not implemented for int64 input"):
        F.adaptive_max_pool2d(mg.zeros(1, 1, 4, 4, dtype=mg.int64, device=device), 2)
