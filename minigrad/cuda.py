"""``mg.cuda``: whether the GPU backend can run here."""
from . import backend


def is_available():
    """True when CuPy imports and sees at least one NVIDIA GPU."""
    return backend.cuda_is_available()
