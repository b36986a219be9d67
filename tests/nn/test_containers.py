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
