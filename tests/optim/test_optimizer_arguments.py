"""Optimizers given the wrong thing say what to pass instead."""
import pytest

import minigrad.nn as nn
import minigrad.optim as optim


def test_an_optimizer_given_a_module_says_to_pass_its_parameters():
    with pytest.raises(TypeError, match=r"SGD takes the parameters to optimize, got the module Sequential itself; "
                                        r"pass model.parameters\(\)"):
        optim.SGD(nn.Sequential(nn.Linear(3, 2)), lr=0.1)


def test_an_optimizer_given_something_not_iterable_names_its_type():
    with pytest.raises(TypeError, match=r"params must be an iterable of Tensors or dicts .* got float"):
        optim.SGD(0.1, lr=0.1)


def test_an_optimizer_given_a_module_s_parameters_works():
    model = nn.Linear(3, 2)
    assert optim.SGD(model.parameters(), lr=0.1).param_groups[0]["params"] == list(model.parameters())
