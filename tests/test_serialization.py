import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim

ROOT = str(Path(__file__).resolve().parents[1])


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
    np.testing.assert_array_equal(model(x).numpy(), fresh(x).numpy())
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


def test_a_save_cut_off_mid_write_keeps_the_previous_file(tmp_path):
    # The new save runs out of file size (RLIMIT_FSIZE) after 64 KiB, in a child process: a save that
    # wrote over the old file in place would leave it truncated.
    resource = pytest.importorskip("resource")
    path = tmp_path / "model.npz"
    mg.save({"w": mg.ones(3)}, path)
    script = f"""
import resource, signal, sys
import numpy as np
import minigrad as mg
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 16, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    mg.save({{"w": mg.tensor(np.zeros(1 << 18))}}, {str(path)!r})
except OSError as error:
    sys.exit(f"refused: {{error}}")
"""
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])))
    assert child.returncode == 1 and "refused" in child.stderr, child.stderr
    np.testing.assert_array_equal(mg.load(path)["w"].numpy(), [1, 1, 1])
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary left behind


def test_a_second_save_to_a_path_replaces_the_first(tmp_path):
    path = tmp_path / "model.npz"
    mg.save({"w": mg.ones(2)}, path)
    mg.save({"w": mg.zeros(3), "step": 7}, path)
    loaded = mg.load(path)
    np.testing.assert_array_equal(loaded["w"].numpy(), [0, 0, 0])
    assert loaded["step"] == 7 and os.listdir(tmp_path) == ["model.npz"]
