import os

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim


def _model():
    return nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def test_state_dict_round_trip_gives_identical_predictions(tmp_path):
    model = _model()
    for _ in range(3):
        model(mg.randn(16, 5))  # move the running statistics
    path = tmp_path / "model.npz"
    mg.save(model.state_dict(), path)
    fresh = _model()
    fresh.load_state_dict(mg.load(path))
    model.eval(), fresh.eval()
    x = mg.randn(4, 5)
    np.testing.assert_array_equal(model(x).detach().numpy(), fresh(x).detach().numpy())
    assert fresh[1].num_batches_tracked.item() == 3


def test_nested_optimizer_state_round_trips(tmp_path):
    p = mg.randn(3, requires_grad=True)
    p.grad = mg.ones(3)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    opt.step()
    mg.save(opt.state_dict(), tmp_path / "opt.npz")
    loaded = mg.load(tmp_path / "opt.npz")
    assert loaded["param_groups"][0]["nesterov"] is True and loaded["param_groups"][0]["params"] == [0]
    np.testing.assert_array_equal(loaded["state"][0]["momentum_buffer"], opt.state[p]["momentum_buffer"])



def test_dict_keys_are_str_or_int(tmp_path):
    mg.save({"a": 1, 2: "b", np.int64(3): "c"}, tmp_path / "keys.npz")
    loaded = mg.load(tmp_path / "keys.npz")
    assert loaded == {"a": 1, 2: "b", 3: "c"} and all(type(k) in (str, int) for k in loaded)
    for bad in (1.5, True, None):
        with pytest.raises(TypeError, match=f"mg.save needs str or int dict keys, got {type(bad).__name__}"):
            mg.save({bad: 0}, tmp_path / "bad.npz")

def test_a_failed_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / "model.npz"
    mg.save({"w": mg.ones(2)}, path)
    with pytest.raises(TypeError, match="not object"):
        mg.save({"w": mg.zeros(2), "bad": object()}, path)
    np.testing.assert_array_equal(mg.load(path)["w"].numpy(), [1, 1])
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary left behind


def test_loading_never_unpickles(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, payload=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickled Python objects; minigrad never unpickles"):
        mg.load(path)
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(ValueError):
        mg.load(tmp_path / "text.npz")


def test_plain_npz_loads_as_tensors(tmp_path):
    np.savez(tmp_path / "plain.npz", w=np.arange(3.0))
    loaded = mg.load(tmp_path / "plain.npz")
    assert isinstance(loaded["w"], mg.Tensor) and loaded["w"].dtype == np.float64
