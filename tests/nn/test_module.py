"""nn.Module (nn/module.py): registration of parameters, buffers and children, the walks over them
(named_modules, apply, named_buffers), train/eval, zero_grad, state dicts, dtype moves, repr, and the
clear errors a new user gets (raw data as input, a path given to load_state_dict)."""
import re

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
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())


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
    text = repr(nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.LayerNorm(8), nn.ReLU(), nn.Dropout(0.2)))
    assert text == ("Sequential(\n  (0): Linear(in_features=4, out_features=8, bias=True)\n"  # torch 2.13's
                    "  (1): BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
                    "  (2): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)\n"
                    "  (3): ReLU()\n  (4): Dropout(p=0.2, inplace=False)\n)")
    assert repr(nn.BatchNorm2d(3, affine=False)) == ("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                                                     "track_running_stats=True)")
    assert repr(nn.LayerNorm(4, bias=False)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=False)"


def test_nn_functional_is_the_functional_module():
    import minigrad.functional
    import minigrad.nn.functional as F

    assert F is minigrad.functional and nn.functional is minigrad.functional


def test_add_module_apply_and_named_modules_match_torch_semantics():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    model.add_module("extra", nn.Tanh())
    assert [n for n, _ in model.named_modules()] == ["", "0", "1", "extra"]  # the shared Linear once
    assert [n for n, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1", "2", "extra"]
    assert [n for n, _ in model.named_modules(prefix="net")] == ["net", "net.0", "net.1", "net.extra"]
    memo = {shared}
    assert [n for n, _ in model.named_modules(memo=memo)] == ["", "1", "extra"]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_parameters(prefix="m", remove_duplicate=False)] == \
        ["m.0.weight", "m.0.bias", "m.2.weight", "m.2.bias"]
    assert list(model.parameters(recurse=False)) == []
    visited = []
    assert model.apply(lambda m: visited.append(type(m).__name__)) is model
    assert visited == ["Linear", "ReLU", "Tanh", "Sequential"]  # children first, each once
    with pytest.raises(KeyError, match="without '.'"):
        model.add_module("a.b", nn.ReLU())
    with pytest.raises(TypeError, match="must be a Module or None, got int"):
        model.add_module("x", 1)


def test_named_buffers_with_prefix_and_recurse():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    model.register_buffer("steps", mg.zeros(1))
    assert [n for n, _ in model.named_buffers()] == ["steps", "1.running_mean", "1.running_var",
                                                     "1.num_batches_tracked"]
    assert [n for n, _ in model.named_buffers(recurse=False)] == ["steps"]
    assert [n for n, _ in model.named_buffers(prefix="m")][0] == "m.steps"


def test_requires_grad_and_zero_grad_set_to_none():
    model = nn.Sequential(nn.Linear(3, 2), nn.LayerNorm(2))
    assert model.requires_grad_(False) is model and not any(p.requires_grad for p in model.parameters())
    model[0].requires_grad_()
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["0.weight", "0.bias"]
    model(mg.randn(4, 3)).sum().backward()
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert grads["1.weight"] is None and grads["0.weight"] is not None
    model.zero_grad(set_to_none=False)
    assert model[0].weight.grad is grads["0.weight"]  # the same Tensor, filled with zeros in place
    np.testing.assert_array_equal(model[0].weight.grad.numpy(), 0)
    assert model[1].weight.grad is None
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_repr_nests_like_torch():
    model = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.ModuleList([nn.LayerNorm(8), nn.Dropout(0.1)]))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): GELU(approximate='none')\n"
        "  (2): ModuleList(\n"
        "    (0): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)\n"
        "    (1): Dropout(p=0.1, inplace=False)\n"
        "  )\n"
        ")")


def test_non_persistent_buffers_move_but_stay_out_of_the_state_dict():
    model = nn.Sequential(nn.Linear(2, 2))
    model.register_buffer("scratch", mg.zeros(3), persistent=False)
    model.register_buffer("kept", mg.ones(1))
    assert "scratch" not in model.state_dict() and "kept" in model.state_dict()
    assert [n for n, _ in model.named_buffers()] == ["scratch", "kept"]
    model.double()
    assert model.scratch.dtype == np.float64
    model.register_buffer("scratch", mg.zeros(3))  # registering again makes it persistent
    assert "scratch" in model.state_dict()
    with pytest.raises(KeyError, match="already exists as a parameter or module"):
        model.register_buffer("0", mg.zeros(1))
    with pytest.raises(KeyError, match="without '.'"):
        model.register_buffer("a.b", mg.zeros(1))


def test_zero_grad_without_none_leaves_arrays_shared_with_the_gradient_alone():
    layer = nn.Linear(2, 2)
    y = layer.bias + mg.zeros(2)
    gradient = mg.ones(2)
    y.backward(gradient)  # the bias's first gradient may be this very array
    layer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(gradient.numpy(), 1)
    np.testing.assert_array_equal(layer.bias.grad.numpy(), 0)


@pytest.mark.parametrize("make_path", [str, lambda p: p], ids=["str", "Path"])
def test_load_state_dict_given_a_path_says_to_call_mg_load(tmp_path, make_path):
    model = nn.Linear(3, 2)
    path = tmp_path / "good.npz"
    mg.save(model.state_dict(), path)
    with pytest.raises(TypeError, match=re.escape(f"model.load_state_dict(mg.load({str(path)!r}))")):
        model.load_state_dict(make_path(path))


def test_load_state_dict_refuses_what_is_not_a_mapping():
    with pytest.raises(TypeError, match="takes a state dict .* got list"):
        nn.Linear(3, 2).load_state_dict([("weight", mg.zeros(2, 3))])


def test_load_state_dict_shape_mismatch_is_a_runtime_error_and_changes_nothing():
    model = nn.Linear(3, 2)
    before = model.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError, match=re.escape("size mismatch for weight: checkpoint (2, 4), model (2, 3)")):
        model.load_state_dict({"weight": mg.zeros(2, 4), "bias": mg.zeros(2)})
    np.testing.assert_array_equal(model.weight.detach().numpy(), before)


@pytest.mark.parametrize("layer", [
    nn.Linear(3, 2), nn.BatchNorm1d(3), nn.ReLU(), nn.Dropout(0.5), nn.Sequential(nn.Linear(3, 2), nn.ReLU()),
], ids=lambda layer: type(layer).__name__)
@pytest.mark.parametrize("data, kind", [
    ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "list"),
    (np.ones((2, 3), dtype=np.float32), "numpy.ndarray"),
    (2.0, "float"),
])
def test_a_layer_given_raw_data_says_to_make_a_tensor(layer, data, kind):
    expected = rf"takes a Tensor as its input, got a {re.escape(kind)}; make one with mg.tensor\(data\)"
    with pytest.raises(TypeError, match=expected):
        layer(data)


def test_a_module_that_takes_a_list_of_tensors_keeps_working_and_keeps_its_own_errors():
    class Concat(nn.Module):
        def forward(self, parts):
            return parts[0] + parts[1]

    assert Concat()([mg.ones(2), mg.ones(2)]).numpy().tolist() == [2, 2]
    with pytest.raises(IndexError):
        Concat()([mg.ones(2)])

    class Broken(nn.Module):
        def forward(self, x):
            return x.no_such_method()

    with pytest.raises(AttributeError, match="no_such_method"):  # a Tensor input: the user's own error
        Broken()(mg.ones(2))


def test_a_sliced_sequential_keeps_its_modules_names():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    tail = model[1:]
    assert list(tail._modules) == ["1", "2"]  # torch's OrderedDict of the selected items
    assert list(tail.state_dict()) == ["2.weight", "2.bias"]
    assert tail[1] is model[2] and list(model[::2]._modules) == ["0", "2"]
