"""The op table (ops/_table.py): Tensor.<name> and mg.<name> come from the topic files' entries."""
import builtins

import pytest

import minigrad as mg
from minigrad.ops import TENSOR_METHODS, TORCH_FUNCTIONS


def test_every_tensor_method_entry_is_bound_on_tensor():
    for name, function in TENSOR_METHODS.items():
        assert getattr(mg.Tensor, name) is function, name


def test_every_torch_function_entry_is_an_mg_name_and_method_forms_check_their_input():
    for name, function in TORCH_FUNCTIONS.items():
        assert callable(getattr(mg, name)), name
        if TENSOR_METHODS.get(name) is function:
            with pytest.raises(TypeError, match=f"mg.{name} expects a Tensor"):
                getattr(mg, name)([1.0, 2.0])
    assert mg.sum(mg.tensor([1.0, 2.0])).item() == 3.0
    assert mg.cat([mg.zeros(1), mg.ones(2)]).tolist() == [0.0, 1.0, 1.0]


def test_star_import_keeps_python_builtins():
    assert len(mg.__all__) == len(set(mg.__all__))
    assert not [name for name in mg.__all__ if hasattr(builtins, name)]
    assert {"exp", "cat", "where", "clip", "moveaxis", "repeat_interleave"} <= set(mg.__all__)


def test_two_topics_claiming_one_name_is_an_error():
    from minigrad.ops import _table

    table = {}

    def exp(input):
        return input

    _table._add(table, "exp", exp)
    _table._add(table, "exp", exp)  # the same function again (an alias bound twice) is fine
    with pytest.raises(RuntimeError, match="exp is bound twice"):
        _table._add(table, "exp", lambda input: input)
