"""minigrad.nn.modules: torch's module paths name minigrad's own layer classes."""
import importlib

import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad.nn.modules import TORCH_FILES


@pytest.mark.parametrize("file", sorted(TORCH_FILES))
def test_each_torch_file_is_importable_and_holds_nn_classes(file):
    submodule = importlib.import_module(f"minigrad.nn.modules.{file}")
    for name in TORCH_FILES[file]:
        assert getattr(submodule, name) is getattr(nn, name)


def test_from_import_and_torch_internal_linear_subclass():
    from minigrad.nn.modules.conv import Conv2d
    from minigrad.nn.modules.linear import NonDynamicallyQuantizableLinear

    assert Conv2d is nn.Conv2d and NonDynamicallyQuantizableLinear is nn.Linear
    assert nn.modules.rnn.LSTM is nn.LSTM and nn.modules.Sequential is nn.Sequential


def test_a_layer_missing_from_minigrad_is_an_attribute_error():
    with pytest.raises(AttributeError):
        nn.modules.conv.Conv3d


def test_safe_globals_by_torch_paths_loads_a_whole_model(tmp_path):
    # the allow-list of pytorch/examples' super_resolve.py, spelled by torch's paths
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.PixelShuffle(2))
    mg.save(model, tmp_path / "model.pt")
    with mg.serialization.safe_globals([nn.modules.activation.ReLU, nn.modules.conv.Conv2d,
                                        nn.modules.pixelshuffle.PixelShuffle]):
        loaded = mg.load(tmp_path / "model.pt")
    x = mg.randn(1, 1, 5, 5)
    assert (loaded(x) == model(x)).all().item()

