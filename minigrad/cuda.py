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
