"""``mg.cuda``: whether the GPU backend can run here, and why not."""
from . import backend


def is_available():
    """True when CuPy imports and sees at least one NVIDIA GPU."""
    return backend.cuda_is_available()


def unavailable_reason():
    """None when the GPU backend can run; otherwise what is missing and how to get it."""
    if backend.cupy_or_none() is None:
        return "CuPy is not installed (pip install 'minigrad[gpu]', or the cupy wheel for your CUDA version)"
    if not backend.cuda_is_available():
        return "CuPy is installed but sees no NVIDIA GPU"
    return None


def device_count():
    """How many GPUs CuPy sees: 0 without CuPy or a GPU, as torch.cuda.device_count() without CUDA.
    minigrad computes on one of them per process ('cuda' is 'cuda:0', the current device)."""
    if not is_available():
        return 0
    return backend.require_cuda().cuda.runtime.getDeviceCount()


def current_device():
    """The index of the GPU minigrad computes on (CuPy's current device). Without a usable GPU it
    raises RuntimeError saying why (torch raises AssertionError: "not compiled with CUDA")."""
    return backend.require_cuda().cuda.Device().id


def synchronize():
    """Wait until every kernel queued on the current GPU has finished (CuPy's device synchronize), for
    timing. Without a usable GPU it raises RuntimeError saying why, as torch raises."""
    backend.require_cuda().cuda.Device().synchronize()
