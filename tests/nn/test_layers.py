"""The layers of nn/layers.py: Linear, the activations, Dropout/Dropout2d, Embedding, BatchNorm, Conv1d/2d,
the pooling layers, Flatten and the containers (Sequential, ModuleList, ModuleDict): attributes,
initialisation, repr, state dicts, results against the functional forms or float64 references, the
arguments and inputs they must refuse, and small models that learn."""
import math
import re
import warnings

import numpy as np
import pytest
from op_db import ref_avg_pool, ref_group_norm, ref_instance_norm, ref_max_pool

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim


def test_linear_default_init_bounds_and_forward():
    layer = nn.Linear(100, 30)
    bound = 1 / np.sqrt(100)
    assert layer.weight.shape == (30, 100) and layer.bias.shape == (30,)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound and np.abs(layer.bias.detach().numpy()).max() <= bound
    assert np.abs(layer.weight.detach().numpy()).max() > 0.9 * bound  # uniform over the whole range
    x = mg.randn(5, 100)
    np.testing.assert_allclose(layer(x).detach().numpy(), x.numpy() @ layer.weight.detach().numpy().T + layer.bias.detach().numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="last dimension must be in_features=100"):
        layer(mg.randn(5, 99))


def test_batchnorm_running_statistics_over_batches_and_eval(rng):
    bn = nn.BatchNorm1d(3).double()
    ref_m, ref_v = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.standard_normal((16, 3)) * 2 + 1
        bn(mg.tensor(x))
        ref_m = 0.9 * ref_m + 0.1 * x.mean(0)
        ref_v = 0.9 * ref_v + 0.1 * x.var(0) * 16 / 15
    np.testing.assert_allclose(bn.running_mean.numpy(), ref_m, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), ref_v, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 3
    bn.eval()
    x = rng.standard_normal((4, 3))
    np.testing.assert_allclose(bn(mg.tensor(x)).detach().numpy(), (x - ref_m) / np.sqrt(ref_v + 1e-5), rtol=1e-10)
    assert bn.num_batches_tracked.item() == 3


def test_batchnorm_momentum_none_is_a_cumulative_average(rng):
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [rng.standard_normal((8, 2)) + i for i in range(4)]
    for x in batches:
        bn(mg.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([x.var(0) * 8 / 7 for x in batches], axis=0), rtol=1e-12)


def test_batchnorm_without_running_stats_uses_batch_statistics_in_eval(rng):
    bn = nn.BatchNorm2d(3, track_running_stats=False, affine=False).double().eval()
    assert bn.running_mean is None and list(bn.parameters()) == []
    x = rng.standard_normal((2, 3, 4, 4))
    mean, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(bn(mg.tensor(x)).numpy(), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-10)
    assert list(bn.state_dict()) == []


def test_batchnorm2d_state_dict_keys():
    assert list(nn.BatchNorm2d(4).state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]


@pytest.mark.parametrize("layer, shape, match", [
    (nn.BatchNorm1d(3), (2, 3, 4, 5), "expected 2D or 3D input \\(got 4D"),
    (nn.BatchNorm2d(3), (2, 3, 4), "expected 4D input \\(got 3D"),
    (nn.BatchNorm1d(3), (5, 4), "BatchNorm1d\\(3\\) got input with 4 channels"),
    (nn.BatchNorm1d(3), (1, 3), "more than 1 value per channel"),
])
def test_batchnorm_modules_refuse_bad_shapes(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer(mg.randn(*shape))
    assert layer.num_batches_tracked.item() == 0


def test_batchnorm_constructor_checks():
    with pytest.raises(ValueError, match="eps must be a number > 0"):
        nn.BatchNorm1d(3, eps=0)
    with pytest.raises(ValueError, match=r"momentum( \(or None\))? must be a number in \[0, 1\]"):
        nn.BatchNorm1d(3, momentum=2)


def test_dropout_module_train_and_eval():
    layer = nn.Dropout(0.5)
    x = mg.ones(1000)
    assert (layer(x).numpy() == 0).any()
    layer.eval()
    assert layer(x) is x
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(1.2)


def test_flatten_sequential_and_losses():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 3))
    assert model(mg.randn(2, 3, 4)).shape == (2, 3)
    assert len(model) == 2 and isinstance(model[1], nn.Linear)
    with pytest.raises(TypeError, match="Sequential takes Modules"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    logits = mg.randn(4, 3)
    assert nn.CrossEntropyLoss()(logits, np.array([0, 1, 2, 0])).shape == ()
    assert nn.MSELoss()(logits, mg.zeros(4, 3)).item() == pytest.approx((logits.numpy() ** 2).mean())


@pytest.mark.parametrize("make", [lambda: nn.ReLU(inplace=True), lambda: nn.LeakyReLU(0.1, inplace=True),
                                  lambda: nn.Dropout(0.3, inplace=True)])
def test_inplace_activations_overwrite_their_input_with_torchs_values_and_gradients(make):
    mg.manual_seed(0)
    w = mg.randn(6, 4, dtype="float64", requires_grad=True)
    x = mg.randn(5, 6, dtype="float64")
    reference = make()
    reference.inplace = False
    mg.manual_seed(1)
    expected = reference(x @ w)
    (expected * expected).sum().backward()
    expected_grad = w.grad.numpy().copy()
    w.grad = None
    mg.manual_seed(1)
    hidden = x @ w
    y = make()(hidden)
    assert y is hidden  # the input itself, overwritten, as torch
    np.testing.assert_array_equal(y.detach().numpy(), expected.detach().numpy())
    (y * y).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), expected_grad, rtol=1e-12)
    leaf = mg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        make()(leaf)
    assert "inplace=True" in repr(make())


@pytest.mark.gpu
def test_a_lenet_batchnorm_step_matches(rng, same_state):
    def lenet():
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(4, 8, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))
    mg.manual_seed(0)
    cpu_model, gpu_model = lenet(), lenet()
    gpu_model.load_state_dict(cpu_model.state_dict())
    gpu_model.to("cuda")
    x, y = rng.standard_normal((16, 1, 8, 8)).astype(np.float32), rng.integers(0, 3, 16)
    for model, device in ((cpu_model, "cpu"), (gpu_model, "cuda")):
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(2):
            loss = F.cross_entropy(model(mg.tensor(x, device=device)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    same_state(cpu_model, gpu_model)


def test_sequential_slicing_gives_a_sequential_sharing_the_modules():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Tanh())
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert head[0] is model[0] and model[-1] is model[3]
    assert [type(m).__name__ for m in model[::2]] == ["Linear", "Linear"]
    x = mg.randn(5, 3)
    np.testing.assert_array_equal(model[2:](head(x)).detach().numpy(), model(x).detach().numpy())
    with pytest.raises(IndexError, match="index 4 is out of range for 4 modules"):
        model[4]
    with pytest.raises(TypeError, match="index must be an int or a slice, got str"):
        model["0"]


def test_module_list_registers_appends_and_indexes():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    layers.append(nn.ReLU()).extend([nn.Tanh()])
    layers.insert(1, nn.Sigmoid())
    assert [type(m).__name__ for m in layers] == ["Linear", "Sigmoid", "Linear", "ReLU", "Tanh"]
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    layers[-1] = nn.Identity()
    assert isinstance(layers[4], nn.Identity) and isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    with pytest.raises(TypeError, match="ModuleList holds Modules, got int"):
        layers.append(3)
    with pytest.raises(NotImplementedError, match="iterate over it"):
        layers(mg.randn(1, 2))


def test_module_dict_keeps_order_and_registers():
    heads = nn.ModuleDict({"b": nn.Linear(2, 3), "a": nn.Linear(2, 1)})
    heads["c"] = nn.ReLU()
    assert list(heads) == ["b", "a", "c"] and list(heads.keys()) == ["b", "a", "c"] and "a" in heads
    assert [n for n, _ in heads.named_parameters()] == ["b.weight", "b.bias", "a.weight", "a.bias"]
    assert isinstance(heads.pop("c"), nn.ReLU) and len(heads) == 2 and "c" not in heads
    assert [k for k, _ in heads.items()] == ["b", "a"]
    with pytest.raises(TypeError, match="ModuleDict holds Modules, got str for key 'd'"):
        heads["d"] = "relu"


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Linear(3.5, 2), (TypeError, "Linear: in_features must be a positive int, got float 3.5")),
    (lambda: nn.Linear(3, "2"), (TypeError, "Linear: out_features must be a positive int, got str '2'")),
    (lambda: nn.Linear(True, 2), (TypeError, "Linear: in_features must be a positive int, got bool True")),
    (lambda: nn.Linear(0, 2), (ValueError, "Linear: in_features must be a positive int, got 0")),
    (lambda: nn.BatchNorm1d(2.5), (TypeError, "BatchNorm1d: num_features must be a positive int, got float 2.5")),
    (lambda: nn.BatchNorm2d(-1), (ValueError, "BatchNorm2d: num_features must be a positive int, got -1")),
])
def test_layer_sizes_must_be_positive_ints(make, message):
    error, text = message
    with pytest.raises(error, match=re.escape(text)):
        make()


def test_layer_sizes_accept_numpy_integers():
    assert nn.Linear(np.int64(3), 2).weight.shape == (2, 3)
    assert nn.BatchNorm1d(np.int32(4)).num_features == 4


@pytest.mark.parametrize("layer", [nn.Linear(3, 3), nn.BatchNorm1d(3)], ids=lambda layer: type(layer).__name__)
def test_float64_input_to_a_float32_layer_says_how_to_fix_it(layer):
    with pytest.raises(TypeError, match=re.escape("input is float64 but weight is float32; convert the input "
                                                  "with x.float(), or the model with model.double()")):
        layer(mg.tensor(np.ones((2, 3))))
    layer.double()
    with pytest.raises(TypeError, match=re.escape("input is float32 but weight is float64; convert the input "
                                                  "with x.double(), or the model with model.float()")):
        layer(mg.tensor(np.ones((2, 3), dtype=np.float32)))
    assert layer(mg.tensor(np.ones((2, 3)))).dtype == np.float64  # the fix it names works


def test_integer_input_to_a_layer_says_to_convert_it():
    with pytest.raises(TypeError, match=re.escape("must be float32 or float64, got int64; convert it with .float()")):
        nn.Linear(3, 2)(mg.tensor(np.ones((2, 3), dtype=np.int64)))


def test_conv2d_attributes_shapes_and_default_initialisation():
    conv = nn.Conv2d(8, 32, (5, 3), stride=2, padding=1, groups=4)
    assert conv.weight.shape == (32, 2, 5, 3) and conv.bias.shape == (32,)
    assert (conv.kernel_size, conv.stride, conv.padding, conv.dilation, conv.groups) == ((5, 3), (2, 2), (1, 1), (1, 1), 4)
    bound = 1 / math.sqrt(2 * 5 * 3)  # kaiming_uniform(a=sqrt(5)) over fan_in = in_channels // groups * KH * KW
    for p, nearly in ((conv.weight, 0.99), (conv.bias, 0.75)):  # 960 and 32 draws from uniform(-bound, bound)
        largest = np.abs(p.detach().numpy()).max()
        assert nearly * bound < largest <= bound
    assert abs(conv.weight.detach().numpy().std() - bound / math.sqrt(3)) < 0.1 * bound  # uniform's std
    assert conv(mg.randn(2, 8, 11, 9)).shape == (2, 32, 5, 5)
    assert nn.Conv2d(1, 2, 3, bias=False, dtype="float64").bias is None


def test_conv1d_matches_conv2d_on_height_one_images(rng):
    conv1 = nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2)
    assert conv1.weight.shape == (6, 2, 3) and conv1.kernel_size == (3,)
    x = mg.tensor(rng.standard_normal((2, 4, 15)).astype(np.float32))
    y = conv1(x)
    y2 = F.conv2d(x.reshape(2, 4, 1, 15), conv1.weight.reshape(6, 2, 1, 3), conv1.bias, stride=(1, 2),
                  padding=(0, 1), dilation=(1, 2), groups=2)
    np.testing.assert_allclose(y.detach().numpy(), y2.detach().numpy().reshape(y.shape), rtol=1e-6)


def test_conv_and_pool_reprs_follow_torch():
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
    ((8, 8), r"Conv2d: expected 4-D input \(N, C, H, W\) or 3-D unbatched input, got 2-D input of shape \(8, 8\)"),
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
    np.testing.assert_array_equal(restored(mg.tensor(images)).detach().numpy(), model(mg.tensor(images)).detach().numpy())


@pytest.mark.parametrize("call, error, match", [
    (lambda w: nn.Embedding(5, 3, max_norm=1.0), NotImplementedError, "max_norm .* is not supported"),
    (lambda w: nn.Embedding(5, 3, sparse=True), NotImplementedError, "sparse=True are not supported"),
    (lambda w: nn.Embedding(0, 3), ValueError, "Embedding: num_embeddings must be a positive int, got 0"),
    (lambda w: nn.Embedding(5, 2.5), TypeError, "Embedding: embedding_dim must be a positive int"),
    (lambda w: nn.Embedding(5, 3, padding_idx=7), ValueError, "Embedding: padding_idx must be within"),
    (lambda w: nn.Embedding.from_pretrained(mg.randn(5)), ValueError, "embeddings must be 2-D"),
    (lambda w: nn.Embedding.from_pretrained(mg.ones(2, 2, dtype=mg.int64)), TypeError, "float32 or float64"),
])
def test_embedding_refuses_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call(mg.randn(5, 3))


def test_embedding_initialises_as_torch_from_the_seeded_generator(device):
    mg.manual_seed(7)
    layer = nn.Embedding(10, 4, padding_idx=-3, device=device)
    expected = np.random.default_rng(7).normal(0.0, 1.0, (10, 4))  # N(0, 1) from mg.manual_seed's generator
    expected[7] = 0.0  # the padding row, -3 counted from the end
    assert layer.padding_idx == 7 and layer.weight.dtype == np.float32 and layer.weight.requires_grad
    np.testing.assert_allclose(layer.weight.detach().numpy(), expected, rtol=1e-6)
    big = nn.Embedding(1000, 64).weight.detach().numpy()
    assert abs(big.mean()) < 0.02 and abs(big.std() - 1) < 0.02
    assert nn.Embedding(3, 2, dtype=mg.float64).weight.dtype == np.float64


def test_embedding_forward_repr_and_state_dict(device):
    layer = nn.Embedding(6, 3, padding_idx=0, device=device)
    x = mg.tensor([[0, 5], [2, 2]], device=device)
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer.weight.detach().numpy()[[[0, 5], [2, 2]]])
    assert repr(layer) == "Embedding(6, 3, padding_idx=0)" and repr(nn.Embedding(4, 2)) == "Embedding(4, 2)"
    assert list(layer.state_dict()) == ["weight"]


def test_embedding_from_pretrained_freezes_and_keeps_the_given_rows(device):
    vectors = mg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device)
    frozen = nn.Embedding.from_pretrained(vectors)
    assert not frozen.weight.requires_grad and (frozen.num_embeddings, frozen.embedding_dim) == (3, 2)
    np.testing.assert_array_equal(frozen(mg.tensor([2, 0], device=device)).numpy(), [[5, 6], [1, 2]])
    trainable = nn.Embedding.from_pretrained(vectors, freeze=False, padding_idx=1)
    np.testing.assert_array_equal(trainable.weight.detach().numpy()[1], [3, 4])  # the padding row is not zeroed
    trainable(mg.tensor([1, 1, 2], device=device)).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy(), [[0, 0], [0, 0], [1, 1]])


def test_an_embedding_bag_of_words_classifier_learns_and_the_padding_row_stays_zero(rng):
    # class = whether token 1 appears in the sequence; token 0 pads
    tokens = rng.integers(1, 8, size=(64, 6))
    tokens[rng.random((64, 6)) < 0.3] = 0
    labels = (tokens == 1).any(axis=1).astype(np.int64)
    model_embed, head = nn.Embedding(8, 8, padding_idx=0), nn.Linear(8, 2)
    opt = optim.Adam(list(model_embed.parameters()) + list(head.parameters()), lr=0.05)
    x, t = mg.tensor(tokens), mg.tensor(labels)
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(head(model_embed(x).sum(1)), t)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    np.testing.assert_array_equal(model_embed.weight.detach().numpy()[0], 0)


def test_pool1d_modules_follow_torchs_attributes_repr_and_results(rng):
    maxpool, avgpool = nn.MaxPool1d(3, padding=1), nn.AvgPool1d(3, stride=1, padding=1, count_include_pad=False)
    assert (maxpool.kernel_size, maxpool.stride, maxpool.padding) == (3, 3, 1)
    assert (avgpool.kernel_size, avgpool.stride, avgpool.padding) == ((3,), (1,), (1,))
    assert repr(maxpool) == "MaxPool1d(kernel_size=3, stride=3, padding=1, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool1d(2)) == "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    x = rng.standard_normal((2, 4, 10))
    np.testing.assert_allclose(maxpool(mg.tensor(x)).numpy(), ref_max_pool(x, 3, 3, 1))
    np.testing.assert_allclose(avgpool(mg.tensor(x)).numpy(),
                               ref_avg_pool(x, 3, 1, 1, count_include_pad=False), rtol=1e-12)
    assert list(maxpool.parameters()) == [] and list(avgpool.state_dict()) == []


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.MaxPool1d(2, padding=2), ValueError, "MaxPool1d: padding 2 must be at most half"),
    (lambda: nn.AvgPool1d(0), ValueError, "AvgPool1d: kernel_size must be an int >= 1"),
    (lambda: nn.MaxPool1d(2, dilation=3), NotImplementedError, "MaxPool1d: dilation=3"),
])
def test_pool1d_modules_refuse_bad_arguments_naming_the_rule(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_dropout2d_drops_channels_in_training_and_is_the_identity_in_eval(device, kept_channels):
    layer = nn.Dropout2d(0.25)
    assert repr(layer) == "Dropout2d(p=0.25, inplace=False)"
    x = mg.ones(16, 32, 3, 3, device=device)
    kept = kept_channels(x.numpy(), layer(x).numpy(), 0.25)
    assert kept.any() and not kept.all()
    layer.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert layer(x) is x


def test_dropout2d_refuses_a_probability_that_is_not_a_number():
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout2d("0.5")


def test_group_norm_module(rng, device):
    layer = nn.GroupNorm(2, 4, device=device, dtype="float64")
    assert repr(layer) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.ones(4))
    np.testing.assert_array_equal(layer.bias.detach().numpy(), np.zeros(4))
    assert layer.weight.dtype == np.float64 and layer.weight.device == device
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.weight.data[...] = mg.tensor(rng.uniform(0.5, 1.5, 4), device=device).data
    x = rng.standard_normal((3, 4, 5))
    y = layer(mg.tensor(x, device=device))
    np.testing.assert_allclose(y.detach().numpy(), ref_group_norm(x, 2, layer.weight.detach().numpy(), layer.bias.detach().numpy()),
                               rtol=1e-10, atol=1e-12)
    y.sum().backward()
    assert layer.weight.grad.shape == layer.bias.grad.shape == (4,)

    plain = nn.GroupNorm(2, 4, affine=False)
    assert plain.weight is None and plain.bias is None and list(plain.parameters()) == []
    assert repr(plain) == "GroupNorm(2, 4, eps=1e-05, affine=False, bias=False)"
    no_bias = nn.GroupNorm(1, 4, eps=1e-3, bias=False)
    assert no_bias.bias is None and repr(no_bias) == "GroupNorm(1, 4, eps=0.001, affine=True, bias=False)"
    assert nn.GroupNorm(2, 4).weight.dtype == np.float32


def test_group_norm_module_refusals():
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="num_groups must be a positive int, got 0"):
        nn.GroupNorm(0, 6)
    with pytest.raises(TypeError, match="num_channels must be a positive int"):
        nn.GroupNorm(2, 6.0)
    with pytest.raises(ValueError, match="eps must be a number > 0"):
        nn.GroupNorm(2, 6, eps=-1)
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        nn.GroupNorm(3, 6)(mg.randn(2, 4, 3))
    with pytest.raises(RuntimeError, match="weight to be a vector of size equal to the number of channels"):
        nn.GroupNorm(2, 6)(mg.randn(2, 4, 3))


def test_instance_norm_module_defaults(rng, device):
    layer = nn.InstanceNorm2d(3).to(device)
    assert repr(layer) == "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)"
    assert list(layer.parameters()) == [] and list(layer.buffers()) == [] and layer.state_dict() == {}
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    for mode in (layer.train, layer.eval):  # instance statistics in both modes
        mode()
        np.testing.assert_allclose(layer(mg.tensor(x, device=device)).numpy(), ref_instance_norm(x),
                                   rtol=1e-5, atol=1e-5)
    unbatched = layer(mg.tensor(x[1], device=device))
    assert unbatched.shape == (3, 4, 5)
    np.testing.assert_allclose(unbatched.numpy(), ref_instance_norm(x[1:])[0], rtol=1e-5, atol=1e-5)


def test_instance_norm_module_tracks_running_statistics(rng, device):
    layer = nn.InstanceNorm1d(3, affine=True, track_running_stats=True, momentum=0.2, device=device,
                              dtype="float64")
    assert repr(layer) == "InstanceNorm1d(3, eps=1e-05, momentum=0.2, affine=True, bias=True, track_running_stats=True)"
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.ones(3))
    np.testing.assert_array_equal(layer.bias.detach().numpy(), np.zeros(3))
    batches = [rng.standard_normal((4, 3, 6)) * (i + 1) for i in range(2)] + [rng.standard_normal((3, 6))]
    expected_mean, expected_var = np.zeros(3), np.ones(3)
    for x in batches:
        y = layer(mg.tensor(x, device=device))
        assert y.shape == x.shape
        batch = x if x.ndim == 3 else x[None]
        np.testing.assert_allclose(y.detach().numpy().reshape(batch.shape), ref_instance_norm(batch), rtol=1e-10,
                                   atol=1e-12)
        mean, unbiased = batch.mean(axis=2), batch.var(axis=2, ddof=1)  # per (sample, channel)
        expected_mean = 0.8 * expected_mean + 0.2 * mean.mean(axis=0)
        expected_var = 0.8 * expected_var + 0.2 * unbiased.mean(axis=0)
    np.testing.assert_allclose(layer.running_mean.numpy(), expected_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.numpy(), expected_var, rtol=1e-12)
    assert layer.num_batches_tracked.item() == 0  # as torch: InstanceNorm does not count batches
    layer.eval()
    x = rng.standard_normal((2, 3, 6))
    expected = (x - expected_mean[:, None]) / np.sqrt(expected_var[:, None] + 1e-5)
    np.testing.assert_allclose(layer(mg.tensor(x, device=device)).detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.running_mean.numpy(), expected_mean, rtol=1e-12)  # eval leaves them


def test_instance_norm_module_momentum_none_leaves_running_statistics(rng):
    # torch passes momentum 0.0 for momentum=None: the running statistics never move
    layer = nn.InstanceNorm1d(2, track_running_stats=True, momentum=None)
    layer(mg.tensor(rng.standard_normal((3, 2, 5)), dtype="float32"))
    np.testing.assert_array_equal(layer.running_mean.numpy(), np.zeros(2))
    np.testing.assert_array_equal(layer.running_var.numpy(), np.ones(2))


def test_instance_norm_module_refusals():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 1D input"):
        nn.InstanceNorm1d(3)(mg.randn(4))
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input"):
        nn.InstanceNorm2d(3)(mg.randn(3, 5))
    with pytest.raises(ValueError, match=r"size at dim=1 to match num_features \(3\), but got: 4"):
        nn.InstanceNorm1d(3, affine=True)(mg.randn(2, 4, 5))
    with pytest.raises(ValueError, match=r"size at dim=0 to match num_features \(3\), but got: 4"):
        nn.InstanceNorm2d(3, affine=True)(mg.randn(4, 5, 5))
    with pytest.warns(UserWarning, match="num_features is not used because affine=False"):
        assert nn.InstanceNorm1d(3)(mg.randn(2, 4, 5)).shape == (2, 4, 5)
    with pytest.raises(ValueError, match="num_features must be a positive int, got 0"):
        nn.InstanceNorm2d(0)
    with pytest.raises(ValueError, match=r"momentum( \(or None\))? must be a number in \[0, 1\]"):
        nn.InstanceNorm2d(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps must be a number > 0"):
        nn.InstanceNorm1d(3, eps=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matching channels: no warning
        nn.InstanceNorm1d(3)(mg.randn(2, 3, 5))


def test_hardtanh_module_checks_its_bounds_at_construction_and_prints_like_torch():
    layer = nn.Hardtanh(-2, 2)
    assert repr(layer) == "Hardtanh(min_val=-2.0, max_val=2.0)" and repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    x = mg.tensor([-3.0, -1.5, 0.5, 2.5])
    np.testing.assert_array_equal(layer(x).numpy(), [-2.0, -1.5, 0.5, 2.0])
    y = mg.tensor([-3.0, 0.5], requires_grad=False)
    assert nn.Hardtanh(inplace=True)(y) is y and y.tolist() == [-1.0, 0.5]
    with pytest.raises(ValueError, match=r"Hardtanh: min_val \(1.0\) cannot be greater than max_val \(0.0\)"):
        nn.Hardtanh(1.0, 0.0)
    with pytest.raises(TypeError, match="Hardtanh: max_val must be a number, got str"):
        nn.Hardtanh(0.0, "1")


def test_softsign_module_is_the_function():
    x = mg.randn(5, dtype=mg.float64)
    np.testing.assert_array_equal(nn.Softsign()(x).numpy(), mg.nn.functional.softsign(x).numpy())
    assert repr(nn.Softsign()) == "Softsign()"
