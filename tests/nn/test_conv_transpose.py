"""nn.ConvTranspose1d/2d and nn.Fold/Unfold: torch's attributes, parameter shapes, default
initialisation, repr, state dicts laid out as torch's, output_size, and the refusals (the functions
themselves are in the op table, tests/op_db.py)."""
import math

import numpy as np
import pytest
from op_db import ref_conv_transpose, ref_fold, ref_unfold

import minigrad as mg
import minigrad.nn as nn


def test_conv_transpose2d_attributes_shapes_and_default_initialisation():
    conv = nn.ConvTranspose2d(8, 32, (5, 3), stride=2, padding=1, output_padding=1, groups=4)
    assert conv.weight.shape == (8, 8, 5, 3) and conv.bias.shape == (32,)  # (in, out // groups, KH, KW)
    assert (conv.kernel_size, conv.stride, conv.padding, conv.output_padding, conv.dilation, conv.groups) == (
        (5, 3), (2, 2), (1, 1), (1, 1), (1, 1), 4)
    assert conv.padding_mode == "zeros" and conv.transposed
    # torch's fan_in of the weight (in, out // groups, KH, KW) is out // groups * KH * KW
    bound = 1 / math.sqrt(8 * 5 * 3)
    for p, nearly in ((conv.weight, 0.99), (conv.bias, 0.75)):  # 960 and 32 draws from uniform(-bound, bound)
        largest = np.abs(p.detach().numpy()).max()
        assert nearly * bound < largest <= bound
    assert abs(conv.weight.detach().numpy().std() - bound / math.sqrt(3)) < 0.1 * bound
    assert conv(mg.randn(2, 8, 4, 5)).shape == (2, 32, 10, 10)
    assert nn.ConvTranspose1d(1, 2, 3, bias=False, dtype="float64").bias is None
    assert nn.ConvTranspose1d(4, 6, 3, groups=2).weight.shape == (4, 3, 3)


def test_conv_transpose_reprs_follow_torch():
    assert repr(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2)) == (
        "ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
        "output_padding=(1, 1), groups=2)")
    assert repr(nn.ConvTranspose1d(4, 6, 3, bias=False)) == (
        "ConvTranspose1d(4, 6, kernel_size=(3,), stride=(1,), bias=False)")
    assert repr(nn.Unfold(2)) == "Unfold(kernel_size=2, dilation=1, padding=0, stride=1)"
    assert repr(nn.Fold((4, 5), 2)) == "Fold(output_size=(4, 5), kernel_size=2, dilation=1, padding=0, stride=1)"


def test_conv_transpose2d_loads_a_state_dict_laid_out_as_torchs(rng):
    # torch.nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2).state_dict(): weight (4, 3, 3, 3), bias (6,)
    state = {"weight": rng.standard_normal((4, 3, 3, 3)), "bias": rng.standard_normal(6)}
    conv = nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2, dtype="float64")
    conv.load_state_dict({k: mg.tensor(v) for k, v in state.items()})
    assert list(conv.state_dict()) == ["weight", "bias"]
    x = rng.standard_normal((2, 4, 3, 2))
    np.testing.assert_allclose(conv(mg.tensor(x)).detach().numpy(),
                               ref_conv_transpose(x, state["weight"], state["bias"], stride=2, groups=2), rtol=1e-12)
    with pytest.raises((ValueError, RuntimeError), match="weight"):
        conv.load_state_dict({"weight": mg.zeros(6, 2, 3, 3, dtype=mg.float64), "bias": mg.zeros(6, dtype=mg.float64)})


def test_output_size_picks_the_output_padding_as_torch():
    conv = nn.ConvTranspose2d(2, 3, 3, stride=3, padding=1, dtype="float64")
    x = mg.randn(1, 2, 3, 3, dtype=mg.float64)
    for size in ([7, 7], [8, 9], (1, 3, 9, 8)):  # (3 - 1) * 3 - 2 + 2 + 1 = 7, up to 7 + stride - 1 = 9
        y = conv(x, output_size=size)
        assert y.shape[-2:] == tuple(size[-2:])
        extra = tuple(s - 7 for s in size[-2:])
        np.testing.assert_allclose(y.detach().numpy(), ref_conv_transpose(
            x.numpy(), conv.weight.detach().numpy(), conv.bias.detach().numpy(), 3, 1, extra), rtol=1e-12)
    with pytest.raises(ValueError, match=r"requested an output size of \[10, 7\], but valid sizes range from "
                                         r"\[7, 7\] to \[9, 9\] \(for an input of \(3, 3\)\)"):
        conv(x, output_size=(10, 7))
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements, got 3"):
        conv(x, output_size=(3, 7, 7))
    assert nn.ConvTranspose1d(2, 1, 2, stride=2)(mg.randn(2, 5), output_size=[11]).shape == (1, 11)  # unbatched


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.ConvTranspose2d(3, 6, 3, groups=2), ValueError, "in_channels=3 must be divisible by groups=2"),
    (lambda: nn.ConvTranspose2d(4, 6, 3, groups=4), ValueError, "out_channels=6 must be divisible by groups=4"),
    (lambda: nn.ConvTranspose2d(3, 6, 3, padding_mode="reflect"), ValueError,
     'Only "zeros" padding mode is supported for ConvTranspose2d'),
    (lambda: nn.ConvTranspose2d(3, 6, 3, padding="same"), TypeError, "padding must be an int or a tuple of ints"),
    (lambda: nn.ConvTranspose1d(3, 6, 3, output_padding=-1), ValueError, "output_padding must be an int >= 0"),
    (lambda: nn.Unfold(0), ValueError, "Unfold: kernel_size must be an int >= 1"),
    (lambda: nn.Fold((0, 3), 2), ValueError, "Fold: output_size must be an int >= 1"),
])
def test_layers_refuse_bad_hyperparameters_at_construction(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_output_padding_at_the_stride_is_refused_at_the_call():
    conv = nn.ConvTranspose2d(2, 2, 3, stride=2, output_padding=2)  # torch checks it at the call too
    with pytest.raises(ValueError, match=r"ConvTranspose2d: output_padding \(2, 2\) must be smaller than either "
                                         r"stride \(2, 2\) or dilation \(1, 1\)"):
        conv(mg.randn(1, 2, 3, 3))


def test_dcgan_generator_shapes_and_gradients():
    generator = nn.Sequential(nn.ConvTranspose2d(100, 32, 4, 1, 0, bias=False), nn.ConvTranspose2d(32, 16, 4, 2, 1),
                              nn.ConvTranspose2d(16, 3, 4, 2, 1, bias=False))
    z = mg.randn(2, 100, 1, 1, requires_grad=True)
    image = generator(z)
    assert image.shape == (2, 3, 16, 16)
    image.sum().backward()
    assert z.grad.shape == z.shape and all(p.grad is not None for p in generator.parameters())


def test_unfold_and_fold_modules_match_the_references(rng):
    x = rng.standard_normal((2, 3, 5, 6))
    blocks = nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1))(mg.tensor(x))
    np.testing.assert_allclose(blocks.numpy(), ref_unfold(x, (2, 3), (1, 2), 1, (2, 1)))
    folded = nn.Fold((5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))(blocks)
    np.testing.assert_allclose(folded.numpy(), ref_fold(blocks.numpy(), (5, 6), (2, 3), (1, 2), 1, (2, 1)))
    # fold(unfold(x)) is x times how many blocks cover each position
    counts = ref_fold(ref_unfold(np.ones_like(x), (2, 3), (1, 2), 1, (2, 1)), (5, 6), (2, 3), (1, 2), 1, (2, 1))
    np.testing.assert_allclose(folded.numpy(), x * counts, rtol=1e-12)
