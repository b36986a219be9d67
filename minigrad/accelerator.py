"""``mg.accelerator``: torch's device-agnostic questions about the accelerator, which for minigrad is
CUDA through CuPy or nothing.

Example::

    device = mg.accelerator.current_accelerator() or mg.device("cpu")
"""
from . import backend, cuda


def is_available():
    """True when a GPU can run minigrad (mg.cuda.is_available())."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``mg.device('cuda')`` when a GPU can run minigrad, else None. ``check_available`` is torch's
    flag; minigrad always checks (a CuPy without a GPU counts as no accelerator)."""
    return backend.device("cuda") if cuda.is_available() else None


def device_count():
    """How many GPUs CuPy sees (0 without one), as mg.cuda.device_count()."""
    return cuda.device_count()
