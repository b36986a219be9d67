"""What a new user gets wrong with layers and state dicts: each mistake is a clear error with the fix."""
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


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
    before = model.weight.numpy().copy()
    with pytest.raises(RuntimeError, match=re.escape("size mismatch for weight: checkpoint (2, 4), model (2, 3)")):
        model.load_state_dict({"weight": mg.zeros(2, 4), "bias": mg.zeros(2)})
    np.testing.assert_array_equal(model.weight.numpy(), before)


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
