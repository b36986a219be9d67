"""What a new user gets wrong with layers and state dicts: each mistake is a clear error with the fix."""
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn


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
