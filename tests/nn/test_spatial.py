"""Upsample / UpsamplingNearest2d / UpsamplingBilinear2d, the padding layers, Unflatten, AdaptiveMaxPool2d
and PixelShuffle / PixelUnshuffle: torch's arguments, stored attributes and reprs, results against NumPy."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


def test_upsample_nearest_repeats_pixels_and_keeps_torch_attributes(rng, device):
    x = rng.standard_normal((2, 3, 4, 5))
    layer = nn.Upsample(scale_factor=2)
    assert layer.scale_factor == 2.0 and isinstance(layer.scale_factor, float) and layer.mode == "nearest"
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(layer(t).detach().numpy(), x.repeat(2, axis=2).repeat(2, axis=3))
    assert mg.gradcheck(layer, [t])
    assert nn.Upsample(scale_factor=(2, 3)).scale_factor == (2.0, 3.0)


def test_upsample_modes_equal_interpolate(rng, device):
    t = mg.tensor(rng.standard_normal((2, 3, 4, 5)), device=device)
    line = mg.tensor(rng.standard_normal((2, 3, 6)), device=device)
    np.testing.assert_array_equal(nn.Upsample(size=(7, 3), mode="bilinear")(t).numpy(),
                                  F.interpolate(t, (7, 3), mode="bilinear").numpy())
    np.testing.assert_array_equal(nn.Upsample(scale_factor=1.5, mode="linear", align_corners=True)(line).numpy(),
                                  F.interpolate(line, scale_factor=1.5, mode="linear", align_corners=True).numpy())
    np.testing.assert_array_equal(nn.UpsamplingNearest2d(size=(8, 9))(t).numpy(), F.interpolate(t, (8, 9)).numpy())
    np.testing.assert_array_equal(nn.UpsamplingBilinear2d(scale_factor=2)(t).numpy(),
                                  F.interpolate(t, scale_factor=2, mode="bilinear", align_corners=True).numpy())


# torch 2.13's F.interpolate(torch.arange(16.).reshape(1, 1, 4, 4), scale_factor=2, mode="bicubic")[0, 0, :2]
TORCH_BICUBIC_ROWS = [[-0.52734375, -0.23046875, 0.24609375, 0.875, 1.28125, 1.91015625, 2.38671875, 2.68359375],
                      [0.66015625, 0.95703125, 1.43359375, 2.0625, 2.46875, 3.09765625, 3.57421875, 3.87109375]]


def test_upsample_bicubic_is_torchs_cubic_convolution(device):
    layer = nn.Upsample(scale_factor=2, mode="bicubic")
    assert repr(layer) == "Upsample(scale_factor=2.0, mode='bicubic')"
    y = layer(mg.arange(16.0, device=device).reshape(1, 1, 4, 4))
    np.testing.assert_allclose(y.numpy()[0, 0, :2], TORCH_BICUBIC_ROWS, rtol=1e-6)
    assert y.numpy().min() < 0  # A = -0.75 overshoots below the smallest input at the border
    t = mg.tensor(np.random.default_rng(0).standard_normal((1, 2, 3, 4)), requires_grad=True, device=device)
    assert mg.gradcheck(nn.Upsample(size=(5, 7), mode="bicubic", align_corners=True), [t])


def test_upsampling_bilinear2d_aligns_corners(device):
    y = nn.UpsamplingBilinear2d(size=(3, 3))(mg.tensor([[[[0.0, 2.0], [4.0, 6.0]]]], device=device))
    np.testing.assert_allclose(y.numpy()[0, 0], [[0, 1, 2], [2, 3, 4], [4, 5, 6]])


def test_upsample_refusals(device):
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        nn.Upsample()(mg.zeros(1, 1, 2, 2, device=device))
    with pytest.raises(ValueError, match="either size or scale_factor"):  # as torch, scale_factor=0 means none
        nn.Upsample(scale_factor=0)(mg.zeros(1, 1, 2, 2, device=device))
    with pytest.raises(NotImplementedError, match="'bicubic-antialias' is not supported"):
        nn.Upsample(scale_factor=2, mode="bicubic-antialias")(mg.zeros(1, 1, 2, 2, device=device))
    with pytest.raises(NotImplementedError, match="Got 3D input, but bicubic mode needs 4D input"):
        nn.Upsample(scale_factor=2, mode="bicubic")(mg.zeros(1, 2, 2, device=device))
    with pytest.raises(TypeError, match="scale_factor must be a number or a tuple"):
        nn.Upsample(scale_factor=[2, 2])


@pytest.mark.parametrize("layer, widths", [
    (nn.ZeroPad2d(1), [(0, 0), (0, 0), (1, 1), (1, 1)]),
    (nn.ZeroPad2d((1, 2, 0, 3)), [(0, 0), (0, 0), (0, 3), (1, 2)]),
    (nn.ZeroPad2d((-1, 2, 1, -1)), None),  # negative widths crop
    (nn.ZeroPad1d((0, 2)), [(0, 0), (0, 0), (0, 0), (0, 2)]),
    (nn.ZeroPad3d(1), [(0, 0), (1, 1), (1, 1), (1, 1)]),
])
def test_zero_pads_match_numpy_pad(layer, widths, rng, device):
    x = rng.standard_normal((2, 3, 4, 5))
    t = mg.tensor(x, requires_grad=True, device=device)
    expected = np.pad(x, widths) if widths else np.pad(x, [(0, 0), (0, 0), (1, 0), (0, 2)])[:, :, :-1, 1:]
    np.testing.assert_array_equal(layer(t).detach().numpy(), expected)
    assert mg.gradcheck(layer, [t])


@pytest.mark.parametrize("layer, widths", [
    (nn.ConstantPad1d(2, 3.5), [(0, 0), (0, 0), (2, 2)]),
    (nn.ConstantPad1d((0, 1), -1.0), [(0, 0), (0, 0), (0, 1)]),
    (nn.ConstantPad2d((1, 0, 2, 1), 0.5), [(0, 0), (2, 1), (1, 0)]),
    (nn.ConstantPad3d(1, 2.0), [(1, 1), (1, 1), (1, 1)]),
])
def test_constant_pads_match_numpy_pad(layer, widths, rng, device):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    y = layer(mg.tensor(x, device=device))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), np.pad(x, widths, constant_values=layer.value))


def test_pad_layers_keep_torch_attributes_and_refuse_on_forward(device):
    assert nn.ZeroPad2d(1).padding == (1, 1, 1, 1) and nn.ZeroPad2d([1, 2, 3, 4]).padding == (1, 2, 3, 4)
    assert nn.ConstantPad1d(2, 3.5).padding == (2, 2) and nn.ConstantPad3d(1, 0).padding == (1,) * 6
    with pytest.raises(ValueError, match="at most 2 \\* 1"):  # as torch, checked when the layer runs
        nn.ZeroPad2d(1)(mg.zeros(3, device=device))
    with pytest.raises(ValueError, match="even length"):
        nn.ConstantPad1d((1, 2, 3), 1.0)(mg.zeros(2, 3, device=device))


def test_unflatten_splits_one_dim(rng, device):
    x = rng.standard_normal((2, 12, 3))
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(nn.Unflatten(1, (3, 4))(t).detach().numpy(), x.reshape(2, 3, 4, 3))
    np.testing.assert_array_equal(nn.Unflatten(-2, [2, -1, 3])(t).detach().numpy(), x.reshape(2, 2, 2, 3, 3))
    np.testing.assert_array_equal(nn.Unflatten(-1, (3,))(t).detach().numpy(), x)
    assert nn.Unflatten(1, (3, -1))(mg.zeros(2, 0, device=device)).shape == (2, 3, 0)
    assert mg.gradcheck(nn.Unflatten(1, (4, 3)), [t])


@pytest.mark.parametrize("dim, sizes, error, match", [
    (1, (5, 3), RuntimeError, "Provided sizes \\[5, 3\\] don't multiply up to the size of dim 1 \\(12\\)"),
    (1, (-1, 5), RuntimeError, "don't multiply up"),
    (1, (-1, -1), RuntimeError, "only one dimension can be inferred"),
    (1, (), RuntimeError, "sizes must be non-empty"),
    (1, (-2, -6), RuntimeError, "invalid size -6"),
    (3, (2, 6), IndexError, "dim 3 is out of range"),
])
def test_unflatten_refusals_on_forward(dim, sizes, error, match, device):
    with pytest.raises(error, match=match):
        nn.Unflatten(dim, sizes)(mg.zeros(2, 12, device=device))


def test_unflatten_refusals_on_construction():
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 3)
    with pytest.raises(TypeError, match="found element of type float at pos 1"):
        nn.Unflatten(1, (2, 3.0))
    with pytest.raises(TypeError, match="named dims are not supported"):
        nn.Unflatten("features", (("a", 2), ("b", 3)))
    with pytest.raises(RuntimeError, match="cannot infer the -1"):
        nn.Unflatten(1, (0, -1))(mg.zeros(2, 0))


def test_adaptive_max_pool2d_layer(rng, device):
    x = rng.standard_normal((2, 3, 7, 6))
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(nn.AdaptiveMaxPool2d((2, None))(t).detach().numpy(),
                                  np.stack([x[:, :, 0:4].max(axis=2), x[:, :, 3:7].max(axis=2)], axis=2))
    values, indices = nn.AdaptiveMaxPool2d(1, return_indices=True)(t)
    np.testing.assert_array_equal(values.detach().numpy()[..., 0, 0], x.max(axis=(2, 3)))
    np.testing.assert_array_equal(indices.numpy()[..., 0, 0], x.reshape(2, 3, -1).argmax(axis=2))
    assert mg.gradcheck(nn.AdaptiveMaxPool2d(3), [t])


def test_reprs_are_torchs():
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(nn.Upsample(size=3, mode="bilinear")) == "Upsample(size=3, mode='bilinear')"
    assert repr(nn.Upsample(scale_factor=(2, 3))) == "Upsample(scale_factor=(2.0, 3.0), mode='nearest')"
    assert repr(nn.UpsamplingNearest2d(scale_factor=2)) == "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')"
    assert repr(nn.UpsamplingBilinear2d(size=(3, 4))) == "UpsamplingBilinear2d(size=(3, 4), mode='bilinear')"
    assert nn.UpsamplingBilinear2d(size=(3, 4)).align_corners is True
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(nn.ZeroPad1d(1)) == "ZeroPad1d((1, 1))"
    assert repr(nn.ConstantPad1d(2, 3.5)) == "ConstantPad1d(padding=(2, 2), value=3.5)"
    assert repr(nn.ConstantPad2d((1, 2, 3, 4), 0)) == "ConstantPad2d(padding=(1, 2, 3, 4), value=0)"
    assert repr(nn.ConstantPad3d(1, 1)) == "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=1)"
    assert repr(nn.Unflatten(1, (2, 3))) == "Unflatten(dim=1, unflattened_size=(2, 3))"
    assert repr(nn.Unflatten(-1, [2, -1])) == "Unflatten(dim=-1, unflattened_size=[2, -1])"
    assert repr(nn.AdaptiveMaxPool2d((3, None))) == "AdaptiveMaxPool2d(output_size=(3, None))"
    assert repr(nn.AdaptiveMaxPool2d(2, return_indices=True)) == "AdaptiveMaxPool2d(output_size=2)"


@pytest.mark.parametrize("layer, mode, widths", [
    (nn.ReflectionPad1d(2), "reflect", [(0, 0), (0, 0), (2, 2)]),
    (nn.ReflectionPad2d((1, 0, 2, 1)), "reflect", [(0, 0), (2, 1), (1, 0)]),
    (nn.ReflectionPad3d(1), "reflect", [(0, 0), (1, 1), (1, 1), (1, 1)]),
    (nn.ReplicationPad1d((3, 1)), "edge", [(0, 0), (0, 0), (3, 1)]),
    (nn.ReplicationPad2d(2), "edge", [(0, 0), (2, 2), (2, 2)]),
    (nn.ReplicationPad3d((0, 1, 2, 0, 1, 1)), "edge", [(0, 0), (1, 1), (2, 0), (0, 1)]),
    (nn.CircularPad1d(3), "wrap", [(0, 0), (0, 0), (3, 3)]),
    (nn.CircularPad2d((1, 2, 0, 3)), "wrap", [(0, 0), (0, 3), (1, 2)]),
    (nn.CircularPad3d(1), "wrap", [(0, 0), (1, 1), (1, 1), (1, 1)]),
])
def test_copy_pads_match_numpy_pad_and_gradcheck(layer, mode, widths, rng, device):
    x = rng.standard_normal((2, 3, 3, 4)[-len(widths):])  # (N, C, W); (C, H, W); (N, C, D, H, W) or (C, D, H, W)
    t = mg.tensor(x, requires_grad=True, device=device)
    np.testing.assert_array_equal(layer(t).detach().numpy(), np.pad(x, widths, mode=mode))
    assert mg.gradcheck(layer, [t])


def test_copy_pad_gradient_adds_into_the_source_positions(device):
    t = mg.tensor([[1.0, 2.0, 3.0]], requires_grad=True, device=device)
    nn.ReflectionPad1d(2)(t).sum().backward()  # [3, 2, 1, 2, 3, 2, 1]: entry 1 read once, 2 three times, 3 once
    np.testing.assert_array_equal(t.grad.numpy(), [[2.0, 3.0, 2.0]])
    t.grad = None
    nn.ReplicationPad1d((3, 1))(t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [[4.0, 1.0, 2.0]])
    t.grad = None
    nn.CircularPad1d((3, 2))(t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [[3.0, 3.0, 2.0]])


def test_copy_pad_layers_keep_torch_attributes_and_refusals(device):
    assert repr(nn.ReflectionPad2d(2)) == "ReflectionPad2d((2, 2, 2, 2))" and nn.ReflectionPad1d(2).padding == (2, 2)
    assert repr(nn.ReplicationPad3d(1)) == "ReplicationPad3d((1, 1, 1, 1, 1, 1))"
    assert repr(nn.CircularPad1d((1, 2))) == "CircularPad1d((1, 2))"
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        nn.ReflectionPad1d(3)(mg.zeros(1, 3, device=device))
    with pytest.raises(NotImplementedError, match="Padding size 4 is not supported for 2D input tensor"):
        nn.ReflectionPad2d(1)(mg.zeros(2, 3, device=device))
    with pytest.raises(ValueError, match="expected 3D or 4D input \\(got 2D input\\)"):  # as torch's module
        nn.CircularPad2d(1)(mg.zeros(3, 3, device=device))
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        nn.CircularPad1d(4)(mg.zeros(1, 3, device=device))


def test_pad_reflect_keeps_integer_dtypes(device):
    y = F.pad(mg.tensor([[1, 2, 3]], device=device), (1, 1), mode="reflect")
    assert y.dtype == mg.int64 and y.tolist() == [[2, 1, 2, 3, 2]]


def test_pixel_shuffle_layers_round_trip_and_keep_torch_reprs(rng, device):
    x = rng.standard_normal((2, 12, 3, 2))
    t = mg.tensor(x, requires_grad=True, device=device)
    shuffle, unshuffle = nn.PixelShuffle(2), nn.PixelUnshuffle(2)
    assert repr(shuffle) == "PixelShuffle(upscale_factor=2)" and repr(unshuffle) == "PixelUnshuffle(downscale_factor=2)"
    y = shuffle(t)
    assert y.shape == (2, 3, 6, 4)
    # out[n, c, h * r + i, w * r + j] = x[n, c * r^2 + i * r + j, h, w]
    assert y.detach().numpy()[1, 2, 3, 1] == x[1, 2 * 4 + 1 * 2 + 1, 1, 0]
    np.testing.assert_array_equal(unshuffle(y).detach().numpy(), x)
    assert mg.gradcheck(shuffle, [t]) and mg.pixel_shuffle is F.pixel_shuffle
    assert F.pixel_unshuffle(mg.zeros(1, 4, 4, dtype=mg.int64, device=device), 2).dtype == mg.int64
