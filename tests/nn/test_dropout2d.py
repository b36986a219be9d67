"""F.dropout2d and nn.Dropout2d: whole channels kept (scaled by 1/(1-p)) or zeroed, the kept
fraction, seeded masks, the gradient through the same mask, gradcheck, float32, and the inputs
they must refuse."""
import warnings

import pytest

import minigrad as mg
import minigrad.nn as nn


def test_module_drops_channels_in_training_and_is_the_identity_in_eval(device, kept_channels):
    layer = nn.Dropout2d(0.25)
    assert repr(layer) == "Dropout2d(p=0.25, inplace=False)"
    x = mg.ones(16, 32, 3, 3, device=device)
    kept = kept_channels(x.numpy(), layer(x).numpy(), 0.25)
    assert kept.any() and not kept.all()
    layer.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert layer(x) is x


def test_module_refuses_a_probability_that_is_not_a_number():
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout2d("0.5")
