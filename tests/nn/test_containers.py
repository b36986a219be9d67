"""Containers (Sequential slicing, ModuleList, ModuleDict) and the Module methods that walk them:
add_module, apply, named_modules (prefix, memo, duplicates), named_buffers, requires_grad_,
zero_grad(set_to_none), repr."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


def test_sequential_slicing_gives_a_sequential_sharing_the_modules():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Tanh())
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert head[0] is model[0] and model[-1] is model[3]
    assert [type(m).__name__ for m in model[::2]] == ["Linear", "Linear"]
    x = mg.randn(5, 3)
    np.testing.assert_array_equal(model[2:](head(x)).numpy(), model(x).numpy())
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
        "    (0): LayerNorm((8,), eps=1e-05, elementwise_affine=True)\n"
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
