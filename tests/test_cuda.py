"""mg.cuda (minigrad/cuda.py): device_count, current_device, synchronize; as torch without CUDA:
device_count is 0 and current_device and synchronize raise."""
import pytest

import minigrad as mg
from conftest import needs_gpu


def test_without_a_gpu_device_count_is_zero_and_the_rest_raise(monkeypatch):
    monkeypatch.setattr(mg.backend, "cupy_or_none", lambda: None)
    assert not mg.cuda.is_available() and mg.cuda.device_count() == 0
    for call in (mg.cuda.current_device, mg.cuda.synchronize):
        with pytest.raises(RuntimeError, match="needs CuPy, which is not installed"):
            call()


@pytest.mark.parametrize("_", [pytest.param(None, marks=needs_gpu)])
def test_with_a_gpu(_):
    assert mg.cuda.device_count() >= 1
    assert mg.cuda.current_device() == 0
    x = mg.ones(1000, device="cuda") * 2
    assert mg.cuda.synchronize() is None
    assert x.sum().item() == 2000 and x.is_cuda and not x.cpu().is_cuda
    assert not isinstance(x, mg.FloatTensor) and isinstance(x.cpu(), mg.FloatTensor)  # torch.cuda.FloatTensor's
