"""mg.save / mg.load against torch.save / torch.load: files torch writes now load into minigrad models
to torch's outputs, every dtype and strided/shared storage comes through (also in torch's legacy
format), files minigrad writes load in torch with weights_only=True, and a pickled module is refused."""
import collections
import pickle

import numpy as np
import pytest

from oracle import HINT

torch = pytest.importorskip("torch", reason=HINT)

import minigrad as mg  # noqa: E402
import minigrad.nn as nn  # noqa: E402

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16,
          torch.int8, torch.uint8, torch.bool]


def _twins():
    """(torch model, minigrad model with the same parameter names, input shape)."""
    return [
        (torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                             torch.nn.Linear(16, 3)),
         nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3)), (5, 6)),
        (torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                             torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 2)),
         nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                       nn.Linear(4 * 4 * 4, 2)), (2, 3, 8, 8)),
    ]


@pytest.mark.parametrize("index", range(len(_twins())))
def test_a_state_dict_torch_saves_loads_into_the_minigrad_twin(tmp_path, index):
    torch.manual_seed(index)
    reference, model, shape = _twins()[index]
    reference.train()
    for _ in range(2):
        reference(torch.randn(*shape))  # move the running statistics
    reference.eval()
    torch.save(reference.state_dict(), tmp_path / "model.pt")
    model.load_state_dict(mg.load(tmp_path / "model.pt"))
    model.eval()
    x = torch.randn(*shape)
    with torch.no_grad():
        want = reference(x).numpy()
    np.testing.assert_allclose(model(mg.tensor(x.numpy())).detach().numpy(), want, rtol=1e-5, atol=1e-6)


def _tensors():
    base = torch.randn(5, 7)
    tensors = {"base": base, "t": base.t(), "slice": base[1:4, ::3], "row": base[4], "scalar": torch.tensor(2.5),
               "empty": torch.zeros(0, 3)}
    for dtype in DTYPES:
        tensors[str(dtype)] = (torch.arange(-20, 20) * 7).to(dtype).reshape(5, 8)[:, 1::2]
    return tensors


def test_every_dtype_and_strided_shared_storage_torch_saves_loads(tmp_path):
    tensors = _tensors()
    torch.save(tensors, tmp_path / "tensors.pt")
    loaded = mg.load(tmp_path / "tensors.pt")
    for name, tensor in tensors.items():
        want = tensor.float() if tensor.dtype == torch.bfloat16 else tensor  # bfloat16 widens to float32 exactly
        assert loaded[name].dtype == want.numpy().dtype, name
        np.testing.assert_array_equal(loaded[name].numpy(), want.numpy())
    assert all(np.shares_memory(loaded["base"]._data, loaded[name]._data) for name in ("t", "slice", "row"))
    parameters = {"float": torch.nn.Parameter(torch.ones(2)), "half": torch.nn.Parameter(torch.ones(2).half())}
    torch.save(parameters, tmp_path / "parameters.pt")
    loaded = mg.load(tmp_path / "parameters.pt")
    assert all(type(p) is nn.Parameter for p in loaded.values())
    assert loaded["float"].requires_grad and not loaded["half"].requires_grad  # float16 is storage only here


def test_torch_loads_what_minigrad_saves_with_weights_only(tmp_path):
    base = mg.randn(4, 6)
    obj = collections.OrderedDict(
        base=base, t=base.T, slice=base[1:, ::2], parameter=nn.Parameter(mg.ones(3)),
        grad=mg.ones(2, requires_grad=True),
        half=mg.ones(2, dtype=mg.float16), flags=mg.tensor([True, False]), small=mg.tensor(np.int8([1, -2])),
        nested=[1, (2.5, "x"), None, {"k": mg.arange(3)}], dtype=mg.float64, device=mg.device("cpu"))
    mg.save(obj, tmp_path / "mine.pt")
    loaded = torch.load(tmp_path / "mine.pt", weights_only=True)
    assert list(loaded) == list(obj)
    for name in ("base", "t", "slice", "half", "flags", "small"):
        np.testing.assert_array_equal(loaded[name].numpy(), obj[name].numpy())
    assert loaded["t"].untyped_storage().data_ptr() == loaded["base"].untyped_storage().data_ptr()
    assert isinstance(loaded["parameter"], torch.nn.Parameter) and loaded["grad"].requires_grad
    assert loaded["nested"][3]["k"].tolist() == [0, 1, 2] and loaded["nested"][1] == (2.5, "x")
    assert loaded["dtype"] is torch.float64 and loaded["device"] == torch.device("cpu")
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    mg.save(model.state_dict(), tmp_path / "state.pt")
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    reference.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=True))
    np.testing.assert_array_equal(reference[0].weight.detach().numpy(), model[0].weight.detach().numpy())


def test_a_pickled_torch_module_is_refused(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(pickle.UnpicklingError, match="refused the global torch.nn.modules.linear.Linear"):
        mg.load(tmp_path / "module.pt")



def test_torch_s_legacy_format_loads(tmp_path):
    tensors = _tensors()
    torch.save(tensors, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    loaded = mg.load(tmp_path / "legacy.pt")
    for name, tensor in tensors.items():
        want = tensor.float() if tensor.dtype == torch.bfloat16 else tensor
        assert loaded[name].dtype == want.numpy().dtype, name
        np.testing.assert_array_equal(loaded[name].numpy(), want.numpy())
    assert all(np.shares_memory(loaded["base"]._data, loaded[name]._data) for name in ("t", "slice", "row"))


def test_safetensors_files_cross_between_the_libraries(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    tensors = {"w": torch.randn(3, 4), "n": torch.arange(5), "h": torch.ones(2, dtype=torch.float16)}
    safetensors_torch.save_file(tensors, tmp_path / "torch.safetensors", metadata={"source": "torch"})
    loaded = mg.load(tmp_path / "torch.safetensors")
    assert loaded.metadata == {"source": "torch"}
    for name, tensor in tensors.items():
        np.testing.assert_array_equal(loaded[name].numpy(), tensor.numpy())
    mg.save(loaded, tmp_path / "mine.safetensors")
    for name, tensor in safetensors_torch.load_file(tmp_path / "mine.safetensors").items():
        np.testing.assert_array_equal(tensor.numpy(), tensors[name].numpy())
