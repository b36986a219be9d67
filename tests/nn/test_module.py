import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.norm = nn.BatchNorm1d(8)
        self.out = nn.Linear(8, 2, bias=False)
        self.scale = nn.Parameter(mg.ones(1))

    def forward(self, x):
        return self.out(F.relu(self.norm(self.hidden(x)))) * self.scale


def test_attributes_register_parameters_buffers_and_children():
    model = TwoLayer()
    names = [n for n, _ in model.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "norm.weight", "norm.bias", "out.weight"]
    assert [n for n, _ in model.named_buffers()] == ["norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert [type(c).__name__ for c in model.children()] == ["Linear", "BatchNorm1d", "Linear"]
    assert all(p.requires_grad for p in model.parameters())


def test_train_eval_is_recursive_and_zero_grad_clears():
    model = TwoLayer()
    model.eval()
    assert not model.training and not model.norm.training
    model.train()
    assert model.norm.training
    model(mg.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_keys_and_load_state_dict_round_trip():
    a, b = TwoLayer(), TwoLayer()
    keys = list(a.state_dict())
    assert "norm.num_batches_tracked" in keys and "out.bias" not in keys
    b.load_state_dict(a.state_dict())
    x = mg.randn(6, 4)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_loading_into_a_weight_that_a_graph_saved_makes_backward_refuse():
    layer = nn.Linear(3, 2)
    x = mg.randn(4, 3, requires_grad=True)
    loss = layer(x).sum()
    layer.load_state_dict({"weight": mg.zeros(2, 3), "bias": mg.zeros(2)})
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()


def test_load_state_dict_reports_missing_unexpected_and_mismatched_keys():
    model = TwoLayer()
    state = model.state_dict()
    del state["hidden.bias"]
    state["extra"] = mg.zeros(1)
    with pytest.raises(RuntimeError, match="missing keys: hidden.bias.*unexpected keys: extra"):
        model.load_state_dict(state)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["hidden.bias"] and result.unexpected_keys == ["extra"]
    state = model.state_dict()
    state["hidden.weight"] = mg.zeros(3, 3)
    with pytest.raises(RuntimeError, match="size mismatch for hidden.weight: checkpoint \\(3, 3\\), model \\(8, 4\\)"):
        model.load_state_dict(state, strict=False)


def test_to_dtype_converts_parameters_and_buffers_in_place():
    model = TwoLayer()
    weight = model.hidden.weight
    model.double()
    assert model.hidden.weight is weight and weight.dtype == np.float64
    assert model.norm.running_mean.dtype == np.float64
    assert model.norm.num_batches_tracked.dtype == np.int64
    assert model(mg.randn(3, 4, dtype="float64")).dtype == np.float64
    with pytest.raises(TypeError, match="device or a float dtype"):
        model.to("int64")


def test_assignment_errors_and_missing_super_init():
    model = TwoLayer()
    with pytest.raises(TypeError, match="cannot assign ndarray to 'scale'"):
        model.scale = np.ones(1)

    class Forgot(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Forgot()


def test_repr_is_readable():
    text = repr(nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2)))
    assert text == ("Sequential(\n  (0): Linear(in_features=4, out_features=8, bias=True)\n"
                    "  (1): BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n"
                    "  (2): ReLU()\n  (3): Dropout(p=0.2, inplace=False)\n)")


def test_nn_functional_is_the_functional_module():
    import minigrad.functional
    import minigrad.nn.functional as F

    assert F is minigrad.functional and nn.functional is minigrad.functional
