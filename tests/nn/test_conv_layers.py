"""Conv1d, Conv2d and the pooling layers: attributes, initialisation, repr, the inputs they must
refuse, and a small LeNet-BatchNorm that learns."""
import math

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim


def test_conv2d_attributes_shapes_and_default_initialisation():
    conv = nn.Conv2d(8, 32, (5, 3), stride=2, padding=1, groups=4)
    assert conv.weight.shape == (32, 2, 5, 3) and conv.bias.shape == (32,)
    assert (conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups) == ((5, 3), (2, 2), (1, 1), (1, 1), 4)
    bound = 1 / math.sqrt(2 * 5 * 3)  # kaiming_uniform(a=sqrt(5)) over fan_in = in_channels // groups * KH * KW
    for p, nearly in ((conv.weight, 0.99), (conv.bias, 0.75)):  # 960 and 32 draws from uniform(-bound, bound)
        largest = np.abs(p.numpy()).max()
        assert nearly * bound < largest <= bound
    assert abs(conv.weight.numpy().std() - bound / math.sqrt(3)) < 0.1 * bound  # uniform's std
    assert conv(mg.randn(2, 8, 11, 9)).shape == (2, 32, 5, 5)
    assert nn.Conv2d(1, 2, 3, bias=False, dtype="float64").bias is None


def test_conv1d_matches_conv2d_on_height_one_images(rng):
    conv1 = nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2)
    assert conv1.weight.shape == (6, 2, 3) and conv1.kernel_size == (3,)
    x = mg.tensor(rng.standard_normal((2, 4, 15)).astype(np.float32))
    y = conv1(x)
    y2 = F.conv2d(x.reshape(2, 4, 1, 15), conv1.weight.reshape(6, 2, 1, 3), conv1.bias, stride=(1, 2),
                  padding=(0, 1), dilation=(1, 2), groups=2)
    np.testing.assert_allclose(y.numpy(), y2.numpy().reshape(y.shape), rtol=1e-6)


def test_reprs_follow_torch():
    assert repr(nn.Conv2d(1, 6, 5)) == "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"
    assert repr(nn.Conv2d(6, 16, 3, padding="same", dilation=2, groups=2, bias=False)) == (
        "Conv2d(6, 16, kernel_size=(3, 3), stride=(1, 1), padding='same', dilation=(2, 2), groups=2, bias=False)")
    assert repr(nn.Conv1d(3, 4, 3, stride=2, padding=1)) == "Conv1d(3, 4, kernel_size=(3,), stride=(2,), padding=(1,))"
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AvgPool2d(3, 1, 1)) == "AvgPool2d(kernel_size=3, stride=1, padding=1)"
    assert repr(nn.AdaptiveAvgPool2d((1, 1))) == "AdaptiveAvgPool2d(output_size=(1, 1))"


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv2d(3, 6, 3, groups=2), "Conv2d: in_channels=3 must be divisible by groups=2"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), "Conv2d: out_channels=6 must be divisible by groups=4"),
    (lambda: nn.Conv2d(3, 6, 3, padding=-1), "Conv2d: padding must be an int >= 0"),
    (lambda: nn.Conv2d(3, 6, 3, stride=0), "Conv2d: stride must be an int >= 1"),
    (lambda: nn.Conv2d(3, 6, 3, stride=2, padding="same"), "Conv2d: padding='same' needs stride 1"),
    (lambda: nn.Conv2d(3, 6, 0), "Conv2d: kernel_size must be an int >= 1"),
    (lambda: nn.Conv1d(0, 6, 3), "Conv1d: in_channels must be an int >= 1"),
    (lambda: nn.MaxPool2d(2, padding=2), r"MaxPool2d: padding \(2, 2\) must be at most half of kernel_size \(2, 2\)"),
    (lambda: nn.AvgPool2d(2, stride=0), "AvgPool2d: stride must be an int >= 1"),
])
def test_layers_refuse_bad_hyperparameters_at_construction(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("x_shape, message", [
    ((2, 4, 8, 8), r"Conv2d: input of shape \(2, 4, 8, 8\) has 4 channels, but weight of shape \(6, 3, 3, 3\)"),
    ((3, 8, 8), r"Conv2d: expected 4-D input \(N, C, H, W\), got 3-D input of shape \(3, 8, 8\)"),
    ((2, 3, 2, 8), r"Conv2d: kernel size 3 \(dilation 1\) spans 3, larger than the padded input: size 2"),
])
def test_conv2d_refuses_inputs_that_do_not_fit_naming_the_layer(x_shape, message):
    with pytest.raises(ValueError, match=message):
        nn.Conv2d(3, 6, 3)(mg.ones(*x_shape))


def test_pooling_layers_refuse_windows_larger_than_the_input():
    with pytest.raises(ValueError, match=r"max_pool2d: pooling window \(3, 3\) is larger than the padded input"):
        nn.MaxPool2d(3)(mg.ones(1, 1, 2, 5))


def lenet(batch_norm):
    def block(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 3, padding=1)] + ([nn.BatchNorm2d(c_out)] if batch_norm else []) + [
            nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*block(1, 4), *block(4, 8), nn.Flatten(), nn.Linear(32, 16), nn.BatchNorm1d(16), nn.ReLU(),
                         nn.Linear(16, 3))


def test_a_small_lenet_with_batchnorm_learns_and_survives_a_state_dict_round_trip(rng, tmp_path):
    # three classes told apart by where a bright square sits
    labels = rng.integers(0, 3, 96)
    images = rng.standard_normal((96, 1, 8, 8)).astype(np.float32) * 0.3
    for i, label in enumerate(labels):
        images[i, 0, 2 * label:2 * label + 3, 2 * label:2 * label + 3] += 2
    model = lenet(batch_norm=True)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(30):
        loss = F.cross_entropy(model(mg.tensor(images)), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    model.eval()
    mg.save(model.state_dict(), tmp_path / "lenet.npz")
    restored = lenet(batch_norm=True)
    restored.load_state_dict(mg.load(tmp_path / "lenet.npz"))
    restored.eval()
    np.testing.assert_array_equal(restored(mg.tensor(images)).numpy(), model(mg.tensor(images)).numpy())
