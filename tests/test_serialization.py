import os
import stat
import subprocess
import sys
import threading
import time
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


@pytest.fixture
def umask():
    """Sets the process's umask for one test: ``umask(0o027)``."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_umask_s_mode_and_an_overwrite_keeps_the_old_mode(tmp_path, umask):
    for mask, mode in [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)]:
        umask(mask)
        path = tmp_path / f"new_{mask:o}.npz"
        mg.save({"w": mg.ones(2)}, path)
        assert _mode(path) == mode
    umask(0o022)
    path = tmp_path / "shared.npz"
    mg.save({"w": mg.ones(2)}, path)
    path.chmod(0o640)
    mg.save({"w": mg.zeros(2)}, path)
    assert _mode(path) == 0o640 and mg.load(path)["w"].numpy().tolist() == [0, 0]


def _write_half_then(failure):
    """A stand-in for np.savez's array writer that writes half of the array's bytes, then fails."""
    def write_array(fid, array, **kwargs):
        fid.write(array.tobytes()[:array.nbytes // 2])
        failure()
    return write_array


def _disk_full():
    raise OSError(28, "No space left on device")


def test_a_save_that_fails_mid_write_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    mg.save({"w": mg.arange(1000)}, path)
    before = path.read_bytes()
    monkeypatch.setattr(np.lib.format, "write_array", _write_half_then(_disk_full))
    with pytest.raises(OSError, match="No space left on device"):
        mg.save({"w": mg.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and mg.load(path)["w"].numpy().tolist() == list(range(1000))
    assert os.listdir(tmp_path) == ["model.npz"]


_KILLED_SAVE = """
import os, sys
import numpy as np
import minigrad as mg

def write_half_then_die(fid, array, **kwargs):
    fid.write(array.tobytes()[:array.nbytes // 2])
    fid.flush()
    os._exit(9)  # no cleanup runs, as after SIGKILL

np.lib.format.write_array = write_half_then_die
mg.save({"w": mg.ones(1000)}, sys.argv[1])
"""


def _killed_save(path):
    """The temporary files a save of ``path`` killed mid-write left behind, made an hour old."""
    before = set(os.listdir(path.parent))
    assert subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(path)]).returncode == 9
    left = set(os.listdir(path.parent)) - before
    assert left and all(name.startswith(".minigrad-") and name.endswith(".tmp") for name in left)
    for name in left:
        os.utime(path.parent / name, (time.time() - 3600,) * 2)
    return left


def test_the_next_save_of_a_target_removes_what_a_killed_save_of_it_left(tmp_path):
    path, other = tmp_path / "model.npz", tmp_path / "other.npz"
    mg.save({"w": mg.arange(3)}, path)
    _killed_save(path)
    others = _killed_save(other)
    np.testing.assert_array_equal(mg.load(path)["w"].numpy(), [0, 1, 2])  # the killed save lost nothing
    mg.save({"w": mg.ones(3)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["model.npz", *others])  # another target's temp stays


def test_a_save_never_removes_the_temporary_file_of_a_concurrent_live_save(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    writing, release = threading.Event(), threading.Event()
    real_write = np.lib.format.write_array

    def slow_write(fid, array, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            writing.set()
            release.wait(timeout=30)
        real_write(fid, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", slow_write)
    errors = []
    slow = threading.Thread(target=lambda: _record(errors, mg.save, {"w": mg.zeros(3)}, path))
    slow.start()
    try:
        assert writing.wait(timeout=30)
        (live,) = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
        os.utime(tmp_path / live, (time.time() - 3600,) * 2)  # old, but in use
        mg.save({"w": mg.ones(3)}, path)
        assert live in os.listdir(tmp_path)
    finally:
        release.set()
        slow.join(timeout=30)
    assert not errors and os.listdir(tmp_path) == ["model.npz"]
    np.testing.assert_array_equal(mg.load(path)["w"].numpy(), [0, 0, 0])  # the slow save renamed last


def _record(errors, function, *args):
    try:
        function(*args)
    except Exception as error:  # noqa: BLE001 - reported by the test's thread
        errors.append(error)


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
