"""mg.save / mg.load in torch's format: what round-trips, the weights-only allow-list (a crafted file
never runs code), map_location, PyTorch's own files (fixtures made by tests/fixtures/
make_torch_checkpoints.py; no torch needed here) and safetensors."""
import collections
import io
import os
import pickle
import re
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad import serialization

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "torch"


class Point:
    """A class of the user's: weights-only loading refuses it until it is allowed."""

    def __init__(self, x):
        self.x = x


@pytest.fixture(autouse=True)
def _no_safe_globals_left():
    yield
    serialization.clear_safe_globals()


def _round_trip(obj, **load_args):
    buffer = io.BytesIO()
    mg.save(obj, buffer)
    buffer.seek(0)
    return mg.load(buffer, **load_args)


def test_everything_torch_s_weights_only_set_holds_round_trips(tmp_path):
    base = mg.arange(24, dtype=mg.float32).reshape(4, 6)
    obj = collections.OrderedDict(
        tensors={"base": base, "transposed": base.T, "sliced": base[1:, ::2], "row": base[2]},
        dtypes=[mg.tensor(np.arange(-3, 3).astype(dtype)) for dtype in
                (np.float64, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_)],
        grad=mg.ones(2, requires_grad=True), parameter=nn.Parameter(mg.zeros(3)), array=np.arange(4.0),
        plain=(1, 2.5, "text", None, True, b"raw", {1: [2, (3,)]}), shape=(2, 3), dtype=mg.float16,
        device=mg.device("cpu"), numpy_scalar=np.float32(1.5))
    path = tmp_path / "everything.pt"
    mg.save(obj, path)
    for loaded in (mg.load(path), _round_trip(obj)):
        assert type(loaded) is collections.OrderedDict and list(loaded) == list(obj)
        for name, tensor in obj["tensors"].items():
            assert type(loaded["tensors"][name]) is mg.Tensor
            np.testing.assert_array_equal(loaded["tensors"][name].numpy(), tensor.numpy())
        for got, want in zip(loaded["dtypes"], obj["dtypes"]):
            assert got.dtype == want.dtype and got.numpy().tolist() == want.numpy().tolist()
        assert loaded["grad"].requires_grad and not loaded["tensors"]["base"].requires_grad
        assert type(loaded["parameter"]) is nn.Parameter and loaded["parameter"].requires_grad
        assert type(loaded["array"]) is np.ndarray and loaded["array"].tolist() == [0, 1, 2, 3]
        assert loaded["plain"] == obj["plain"] and loaded["shape"] == (2, 3)
        assert loaded["dtype"] == mg.float16 and loaded["device"] == "cpu" and type(loaded["device"]) is mg.device
        assert loaded["numpy_scalar"] == 1.5
        # one storage for the four views, as in the file: they stay views of each other
        views = loaded["tensors"]
        assert all(np.shares_memory(views["base"]._data, views[name]._data) for name in ("transposed", "sliced", "row"))
    assert [name for name in zipfile.ZipFile(path).namelist() if name.startswith("archive/data/")] == \
        [f"archive/data/{key}" for key in range(12)]  # base's storage once, each dtype, grad, parameter, array


def test_a_whole_module_and_its_optimizer_round_trip(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)
    x = mg.randn(4, 1, 6, 6)
    model(x).square().mean().backward()
    opt.step()
    mg.save({"model": model, "opt": opt}, tmp_path / "run.pt")
    loaded = mg.load(tmp_path / "run.pt")
    fresh, fresh_opt = loaded["model"], loaded["opt"]
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())
    assert fresh_opt.param_groups[0]["params"][0] is fresh[0].weight  # the optimizer steps the loaded model
    for copy in (model, fresh):
        copy.train()
    for run, step in ((model, opt), (fresh, fresh_opt)):
        step.zero_grad()
        run(x).square().mean().backward()
        step.step()
    np.testing.assert_array_equal(fresh[4].weight.detach().numpy(), model[4].weight.detach().numpy())


def test_a_class_of_the_user_s_is_refused_naming_it_until_allowed(tmp_path):
    path = tmp_path / "point.pt"
    mg.save({"p": Point(mg.ones(2))}, path)
    name = f"{__name__}.Point"
    with pytest.raises(pickle.UnpicklingError, match=re.escape(f"{path}: weights-only loading refused the global "
                                                               f"{name}") + ".*add_safe_globals.*weights_only=False"):
        mg.load(path)
    with serialization.safe_globals([Point]):
        assert serialization.get_safe_globals() == [Point]
        assert mg.load(path)["p"].x.numpy().tolist() == [1, 1]
    assert serialization.get_safe_globals() == []
    with pytest.raises(pickle.UnpicklingError, match=name):
        mg.load(path)
    assert type(mg.load(path, weights_only=False)["p"]) is Point
    serialization.add_safe_globals([(Point, name)])
    assert type(mg.load(path)["p"]) is Point
    serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []
    with pytest.raises(TypeError, match="add_safe_globals takes classes and functions"):
        serialization.add_safe_globals([3])


class _System:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class _Open:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def _torch_zip(path, data):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data)
        archive.writestr("archive/version", "3\n")


def _legacy(path, data):
    header = [0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}]  # magic number, protocol, system info
    path.write_bytes(b"".join(pickle.dumps(part, protocol=2) for part in header) + data
                     + pickle.dumps([], protocol=2))  # the object, then its (no) storage keys


@pytest.mark.parametrize("container", [_torch_zip, _legacy])
@pytest.mark.parametrize("payload", [_System, _Open])
def test_a_crafted_file_never_runs_its_payload(tmp_path, payload, container):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    container(path, pickle.dumps({"weight": [1.0], "x": payload(marker)}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=re.escape(str(path)) + ": weights-only loading refused the global "
                       + ("posix.system" if payload is _System else "io.open")):
        mg.load(path)
    assert not marker.exists()
    mg.load(path, weights_only=False)  # the payload is real: the opt-in runs it
    assert marker.exists()


def _global(module, name):
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


@pytest.mark.parametrize("data, problem", [
    # an allowed class called as a constructor (REDUCE) instead of created without __init__ (NEWOBJ)
    (_global(nn.Linear.__module__, "Linear") + pickle.MARK + pickle.BININT1 + b"\x02" + pickle.BININT1 + b"\x02"
     + pickle.TUPLE + pickle.REDUCE + pickle.STOP, f"a call to {nn.Linear.__module__}.Linear"),
    # BUILD on a class: it would set the class's attributes for the whole process
    (_global(nn.Linear.__module__, "Linear") + pickle.EMPTY_DICT + pickle.BUILD + pickle.STOP,
     "setting the state of a builtins.type"),
    # an allowed value (a storage class) that is not callable
    (_global("torch", "FloatStorage") + pickle.EMPTY_TUPLE + pickle.REDUCE + pickle.STOP,
     "a call to torch.FloatStorage"),
])
def test_weights_only_loading_refuses_calls_and_state_outside_the_allow_list(tmp_path, data, problem):
    path = tmp_path / "crafted.pt"
    _torch_zip(path, pickle.PROTO + b"\x02" + data)
    with pytest.raises(pickle.UnpicklingError, match=re.escape(f"weights-only loading refused {problem}")):
        mg.load(path)


def _text(value):
    return pickle.BINUNICODE + len(value.encode()).to_bytes(4, "little") + value.encode()


def _int(value):
    return pickle.BININT + value.to_bytes(4, "little", signed=True)


def _tuple(*items):
    return pickle.MARK + b"".join(items) + pickle.TUPLE


def _storage_pickle(offset, size, stride, numel=4, key="0", location="cpu"):
    """A pickled tensor as torch writes one: _rebuild_tensor_v2 on a FloatStorage of ``numel`` elements."""
    storage = _tuple(_text("storage"), _global("torch", "FloatStorage"), _text(key), _text(location),
                     _int(numel)) + pickle.BINPERSID
    return (pickle.PROTO + b"\x02" + _global("torch._utils", "_rebuild_tensor_v2")
            + _tuple(storage, _int(offset), _tuple(*map(_int, size)), _tuple(*map(_int, stride)), pickle.NEWFALSE,
                     pickle.NONE) + pickle.REDUCE + pickle.STOP)


@pytest.mark.parametrize("data, storage, problem", [
    (_storage_pickle(0, (2, 2), (2, 1)), np.arange(4, dtype="<f4").tobytes(), None),
    (_storage_pickle(1, (2, 2), (2, 1)), np.arange(4, dtype="<f4").tobytes(),
     r"a tensor of size \(2, 2\), stride \(2, 1\) at offset 1 reaches past its storage of 4 elements"),
    (_storage_pickle(0, (2,), (1000000,)), np.arange(4, dtype="<f4").tobytes(), "reaches past its storage"),
    (_storage_pickle(0, (2, 2), (2, 1)), np.arange(3, dtype="<f4").tobytes(),
     "member 'archive/data/0' holds 12 bytes, but its storage of 4 float32 elements needs 16"),
    (_storage_pickle(0, (2, 2), (2, 1), key="7"), np.arange(4, dtype="<f4").tobytes(),
     "it has no member 'archive/data/7' for a storage its data.pkl uses"),
    (_storage_pickle(0, (2, 2), (2, 1))[:40], b"", r"\(error: unpack requires a buffer of 4 bytes\)"),
])
def test_a_tensor_must_lie_inside_its_storage(tmp_path, data, storage, problem):
    path = tmp_path / "crafted.pt"
    _write_checkpoint(path, data, storage)
    if problem is None:
        assert mg.load(path).numpy().tolist() == [[0, 1], [2, 3]]
        return
    with pytest.raises(ValueError, match=re.escape(str(path)) + " is a damaged.* PyTorch checkpoint .*" + problem):
        mg.load(path)


def _write_checkpoint(path, data, storage, byteorder=None):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data)
        archive.writestr("archive/data/0", storage)
        if byteorder:
            archive.writestr("archive/byteorder", byteorder)


def test_a_big_endian_checkpoint_loads_in_native_order(tmp_path):
    path = tmp_path / "big.pt"
    _write_checkpoint(path, _storage_pickle(0, (4,), (1,)), np.arange(4, dtype=">f4").tobytes(), byteorder="big")
    loaded = mg.load(path)
    assert loaded.dtype == np.float32 and loaded.dtype.isnative and loaded.numpy().tolist() == [0, 1, 2, 3]


def test_a_damaged_storage_fails_its_crc(tmp_path):
    path = tmp_path / "w.pt"
    mg.save({"w": mg.arange(1000, dtype=mg.float32)}, path)
    data = bytearray(path.read_bytes())
    data[data.index(np.arange(1000, dtype=np.float32)[500:502].tobytes())] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=re.escape(str(path)) + r" is a damaged or truncated PyTorch checkpoint .*CRC"):
        mg.load(path)


def test_map_location_and_device(tmp_path):
    path = tmp_path / "w.pt"
    mg.save({"w": mg.ones(2)}, path)
    for kwargs in ({}, {"map_location": "cpu"}, {"map_location": {"cuda:0": "cpu"}}, {"device": "cpu"},
                   {"map_location": mg.device("cpu")}):
        assert mg.load(path, **kwargs)["w"].device == "cpu"
    with pytest.raises(TypeError, match="map_location or device"):
        mg.load(path, map_location="cpu", device="cpu")
    with pytest.raises(TypeError, match="map_location must be None, a device name or a dict"):
        mg.load(path, map_location=lambda storage, location: storage)
    with pytest.raises(ValueError, match="unknown device 'mps'"):
        mg.load(path, map_location="mps")


@pytest.mark.skipif(mg.cuda.is_available(), reason="checks the CPU-only machine's message")
def test_a_checkpoint_saved_on_the_gpu_names_map_location_on_a_machine_without_one(tmp_path):
    path = tmp_path / "gpu.pt"
    _write_checkpoint(path, _storage_pickle(0, (4,), (1,), location="cuda:0"), np.arange(4, dtype="<f4").tobytes())
    with pytest.raises(RuntimeError, match=re.escape(str(path)) + " holds tensors saved on cuda:0, but no CUDA device "
                                                                  "is available here: load with map_location='cpu'"):
        mg.load(path)
    assert mg.load(path, map_location="cpu").numpy().tolist() == [0, 1, 2, 3]
    assert mg.load(path, map_location={"cuda:0": "cpu"}).numpy().tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="unknown device 'cuda:1'"):
        mg.load(path, map_location={"cpu": "cuda:1"})


@pytest.mark.gpu
def test_gpu_tensors_are_saved_from_the_host_and_load_back_on_the_gpu(tmp_path):
    path = tmp_path / "gpu.pt"
    mg.save({"w": mg.arange(4, dtype=mg.float32).to("cuda")}, path)
    assert mg.load(path)["w"].device == "cuda"
    assert mg.load(path, map_location="cpu")["w"].numpy().tolist() == [0, 1, 2, 3]


def test_save_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'pickle'"):
        mg.save({}, tmp_path / "x.pt", format="pickle")
    with pytest.raises(ValueError, match="metadata= is stored by the safetensors format only"):
        mg.save({}, tmp_path / "x.pt", metadata={"a": "b"})
    with pytest.raises(TypeError, match="mg.save writes to a path or a binary file object, not a int"):
        mg.save({}, 3)
    with pytest.raises(TypeError, match="mg.load reads a path or a binary file object, not a int"):
        mg.load(3)
    with pytest.raises(TypeError, match="cannot store an array of dtype complex128"):
        mg.save({"z": np.zeros(2, complex)}, tmp_path / "x.pt")
    assert not os.listdir(tmp_path)
    mg.save({"w": mg.ones(2)}, tmp_path / "x.pt", format="npz")
    assert np.load(tmp_path / "x.pt")["a0"].tolist() == [1, 1]  # the .npz format, whatever the suffix


# ---- files written by PyTorch (tests/fixtures/make_torch_checkpoints.py) ------------------------------
EXPECTED = np.load(FIXTURES / "expected.npz")


def test_a_pytorch_state_dict_loads_into_a_minigrad_model_with_torch_s_names():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    state = mg.load(FIXTURES / "mlp_bn.pt")
    assert type(state) is collections.OrderedDict
    for name, value in state.items():
        np.testing.assert_array_equal(value.numpy(), EXPECTED[f"mlp.{name}"])
    model.load_state_dict(state)
    model.eval()
    np.testing.assert_allclose(model(mg.tensor(EXPECTED["mlp_x"])).detach().numpy(), EXPECTED["mlp_y"],
                               rtol=1e-6, atol=1e-6)
    assert model[1].num_batches_tracked.item() == 3


def test_pytorch_s_tensors_dtypes_and_shared_storages_load():
    loaded = mg.load(FIXTURES / "tensors.pt")
    assert type(loaded) is collections.OrderedDict
    tensors = loaded["tensors"]
    for name, value in tensors.items():
        want = EXPECTED[f"tensors.{name}"]
        assert value.dtype == want.dtype, name  # bfloat16 comes back as float32 (exactly)
        np.testing.assert_array_equal(value.detach().numpy(), want)
    assert tensors["bfloat16"].dtype == np.float32 and tensors["float16"].dtype == np.float16
    assert all(np.shares_memory(tensors["base"]._data, tensors[name]._data) for name in ("transposed", "sliced", "row"))
    assert type(tensors["parameter"]) is nn.Parameter and tensors["parameter"].requires_grad
    assert loaded["size"] == (2, 3) and loaded["dtype"] == mg.float16 and loaded["device"] == "cpu"
    assert loaded["nested"] == [(1, 2.5, "text", None, True), {"k": [3]}]


def test_a_pickled_pytorch_module_is_refused_naming_its_class():
    with pytest.raises(pickle.UnpicklingError, match="weights-only loading refused the global "
                                                     "torch.nn.modules.linear.Linear"):
        mg.load(FIXTURES / "module.pt")


def test_pytorch_s_legacy_format_loads_on_the_cpu(tmp_path):
    loaded = mg.load(FIXTURES / "legacy.pt")
    for name, value in loaded["state"].items():
        np.testing.assert_array_equal(value.numpy(), EXPECTED[f"mlp.{name}"])
    np.testing.assert_array_equal(loaded["transposed"].numpy(), EXPECTED["tensors.base"].T)
    assert loaded["bfloat16"].dtype == np.float32 and loaded["bfloat16"].numpy().tolist() == [1.5, -2.25]
    with pytest.raises(ValueError, match="legacy.pt is in torch's legacy format, whose tensors mg.load reads onto "
                                         "the CPU only .*map_location='cpu'"):
        mg.load(FIXTURES / "legacy.pt", map_location={"cpu": "cuda"})
    data = (FIXTURES / "legacy.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[:-5])
    with pytest.raises(ValueError, match=r"cut.pt is a damaged or truncated PyTorch checkpoint \(torch's legacy "
                                         r"format\) \(EOFError: storage \d+ ends after"):
        mg.load(tmp_path / "cut.pt")


# ---- safetensors ---------------------------------------------------------------------------------------
def test_safetensors_round_trip_with_metadata(tmp_path):
    pytest.importorskip("safetensors")
    state = {"w": mg.arange(6, dtype=mg.float32).reshape(2, 3).T, "n": mg.tensor([1, 2]),
             "h": mg.ones(2, dtype=mg.float16), "b": np.array([True, False])}
    mg.save(state, tmp_path / "model.safetensors", metadata={"format": "pt", "epoch": "3"})
    buffer = io.BytesIO()
    mg.save(state, buffer, format="safetensors")
    buffer.seek(0)
    for loaded in (mg.load(tmp_path / "model.safetensors"), mg.load(buffer)):
        assert set(loaded) == set(state)
        for name, value in state.items():
            want = value.numpy() if isinstance(value, mg.Tensor) else value
            assert loaded[name].dtype == want.dtype and loaded[name].numpy().tolist() == want.tolist()
    assert mg.load(tmp_path / "model.safetensors").metadata == {"format": "pt", "epoch": "3"}
    buffer.seek(0)
    assert mg.load(buffer).metadata == {}
    with pytest.raises(TypeError, match="the safetensors format holds tensors only; 'step' is a int"):
        mg.save({"step": 3}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="metadata must be a dict of str -> str"):
        mg.save(state, tmp_path / "x.safetensors", metadata={"epoch": 3})
    (tmp_path / "bad.safetensors").write_bytes((20).to_bytes(8, "little") + b'{"w": 1}' + b" " * 12)
    with pytest.raises(ValueError, match="bad.safetensors is a damaged or unsupported .safetensors file"):
        mg.load(tmp_path / "bad.safetensors")


def test_safetensors_without_the_package_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=re.escape("pip install 'minigrad[safetensors]'")):
        mg.save({"w": mg.ones(2)}, tmp_path / "x.safetensors")
    (tmp_path / "y.safetensors").write_bytes((2).to_bytes(8, "little") + b"{}")
    with pytest.raises(ImportError, match="the safetensors format needs the safetensors package"):
        mg.load(tmp_path / "y.safetensors")
