import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim


def test_linear_default_init_bounds_and_forward():
    layer = nn.Linear(100, 30)
    bound = 1 / np.sqrt(100)
    assert layer.weight.shape == (30, 100) and layer.bias.shape == (30,)
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 0.9 * bound  # uniform over the whole range
    x = mg.randn(5, 100)
    np.testing.assert_allclose(layer(x).numpy(), x.numpy() @ layer.weight.numpy().T + layer.bias.numpy(), rtol=1e-5)
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
    np.testing.assert_allclose(bn(mg.tensor(x)).numpy(), (x - ref_m) / np.sqrt(ref_v + 1e-5), rtol=1e-10)
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
    np.testing.assert_array_equal(y.numpy(), expected.numpy())
    (y * y).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), expected_grad, rtol=1e-12)
    leaf = mg.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        make()(leaf)
    assert "inplace=True" in repr(make())


@pytest.mark.gpu
def test_a_lenet_batchnorm_step_matches(rng):
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
    for (name, a), (_, b) in zip(cpu_model.state_dict().items(), gpu_model.state_dict().items()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
