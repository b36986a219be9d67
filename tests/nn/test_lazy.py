"""Lazy modules (nn/lazy.py): parameters uninitialized until the first call infers their shapes, then the
module is its ordinary class; optimizers built before that call, state dicts before and after, dtype moves."""
import copy

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim


def test_lazy_linear_infers_in_features_and_becomes_linear(device):
    layer = nn.LazyLinear(3, device=device)
    assert repr(layer) == "LazyLinear(in_features=0, out_features=3, bias=True)" and layer.has_uninitialized_params()
    assert type(layer.weight) is nn.UninitializedParameter and repr(layer.weight) == "<UninitializedParameter>"
    x = mg.randn(2, 5, device=device)
    y = layer(x)
    assert type(layer) is nn.Linear and type(layer.weight) is nn.Parameter and layer.in_features == 5
    assert y.shape == (2, 3) and not hasattr(layer, "has_uninitialized_params")  # a plain Linear now
    np.testing.assert_allclose(y.detach().numpy(), x.numpy() @ layer.weight.detach().numpy().T
                               + layer.bias.detach().numpy(), rtol=1e-5)
    bound = 1 / np.sqrt(5)  # torch's reset_parameters for in_features = 5
    assert np.abs(layer.weight.detach().numpy()).max() <= bound and np.abs(layer.weight.detach().numpy()).max() > 0


def test_uninitialized_parameters_refuse_use_as_torch(device):
    weight = nn.LazyLinear(3, device=device).weight
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        weight.shape
    with pytest.raises(ValueError, match="Attempted to use an uninitialized parameter"):
        weight + 1
    assert weight.dtype == mg.float32 and weight.device == device and weight.requires_grad


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam])
def test_an_optimizer_built_before_the_first_call_updates_the_materialized_parameters(make, device):
    layer = nn.LazyLinear(2, device=device)
    optimizer = make(layer.parameters(), lr=0.1)  # torch accepts this: materialize keeps the same objects
    layer(mg.ones(4, 3, device=device)).sum().backward()
    before = layer.weight.detach().numpy().copy()
    optimizer.step()
    assert optimizer.param_groups[0]["params"][0] is layer.weight
    assert not np.allclose(layer.weight.detach().numpy(), before)


def test_lazy_conv_infers_channels_batched_and_unbatched(device):
    conv = nn.LazyConv2d(4, 3, padding=1, groups=2, device=device)
    assert repr(conv) == "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=2)"
    assert conv(mg.randn(1, 6, 5, 5, device=device)).shape == (1, 4, 5, 5)
    assert type(conv) is nn.Conv2d and conv.in_channels == 6 and conv.weight.shape == (4, 3, 3, 3)
    conv1d = nn.LazyConv1d(2, 3, bias=False, device=device)
    assert conv1d(mg.randn(4, 7, device=device)).shape == (2, 5)  # unbatched (C, L): in_channels = 4
    assert repr(conv1d) == "Conv1d(4, 2, kernel_size=(3,), stride=(1,), bias=False)"
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to LazyConv2d"):
        nn.LazyConv2d(4, 3, device=device)(mg.randn(5, 5, device=device))
    with pytest.raises(ValueError, match="in_channels=3 .* divisible by groups=2"):
        nn.LazyConv2d(4, 3, groups=2, device=device)(mg.randn(1, 3, 5, 5, device=device))


def test_lazy_batch_norm_infers_num_features_and_starts_from_torchs_state(device):
    bn = nn.LazyBatchNorm2d(momentum=0.5, device=device)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert repr(bn.state_dict()["running_mean"]) == "<UninitializedBuffer>"
    x = mg.randn(4, 3, 2, 2, device=device)
    y = bn(x)
    assert type(bn) is nn.BatchNorm2d and bn.num_features == 3
    np.testing.assert_allclose(y.detach().numpy(), nn.BatchNorm2d(3, momentum=0.5, device=device)(x).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.5 * x.numpy().mean(axis=(0, 2, 3)), rtol=1e-5, atol=1e-7)
    assert int(bn.num_batches_tracked.item()) == 1
    plain = nn.LazyBatchNorm1d(affine=False, device=device)
    plain(mg.randn(5, 4, device=device))
    assert plain.weight is None and plain.running_var.shape == (4,)
    assert nn.LazyBatchNorm1d(track_running_stats=False).running_mean is None


def test_load_state_dict_materializes_a_lazy_module_with_the_loaded_shapes(device):
    source = nn.Linear(5, 3, device=device)
    lazy = nn.LazyLinear(3, device=device)
    lazy.load_state_dict(source.state_dict())
    assert type(lazy) is nn.LazyLinear and lazy.weight.shape == (3, 5)  # as torch: still lazy until called
    x = mg.randn(2, 5, device=device)
    np.testing.assert_array_equal(lazy(x).detach().numpy(), source(x).detach().numpy())
    assert type(lazy) is nn.Linear and lazy.in_features == 5


def test_dtype_moves_and_deepcopy_before_initialization():
    layer = nn.LazyLinear(2).double()
    clone = copy.deepcopy(layer)
    assert clone.weight is not layer.weight and type(clone.weight) is nn.UninitializedParameter
    assert layer(mg.ones(3, 4, dtype=mg.float64)).dtype == mg.float64 and layer.weight.dtype == mg.float64
    assert clone.weight.dtype == mg.float64


def test_lazy_layers_in_a_sequential_match_their_eager_twin():
    mg.manual_seed(0)
    lazy = nn.Sequential(nn.LazyConv2d(2, 3), nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(4))
    x = mg.randn(2, 1, 5, 5)
    lazy(x)
    eager = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(18, 4))
    eager.load_state_dict(lazy.state_dict())
    assert [type(m) for m in lazy] == [type(m) for m in eager]
    np.testing.assert_array_equal(lazy(x).detach().numpy(), eager(x).detach().numpy())
