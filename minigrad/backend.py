"""Which array library holds an array, and moving arrays between devices.

This is the one module (with ``_kernels/cuda.py``) that imports CuPy, and only when a CUDA array or
device is actually asked for: ``import minigrad`` never needs CuPy.
"""
import sys

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_cupy = None  # the cupy module once imported, False when it cannot be imported


def cupy_or_none():
    """The cupy module, or None when it is not installed (or fails to import)."""
    global _cupy
    if _cupy is None:
        try:
            import cupy
        except Exception:  # a broken CUDA install raises more than ImportError
            _cupy = False
        else:
            _cupy = cupy
    return _cupy or None


def nccl_or_none():
    """CuPy's NCCL bindings (``cupy.cuda.nccl``) for multi-GPU collectives, or None without them."""
    cp = cupy_or_none()
    if cp is None:
        return None
    try:
        from cupy.cuda import nccl
    except ImportError:
        return None
    return nccl if getattr(nccl, "available", True) else None


def current_stream_pointer():
    """The raw pointer of CuPy's current CUDA stream (what NCCL calls take)."""
    return require_cuda().cuda.get_current_stream().ptr


def cuda_is_available():
    cp = cupy_or_none()
    if cp is None:
        return False
    try:
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def require_cuda():
    """The cupy module, or a RuntimeError that says what is missing and how to get it."""
    cp = cupy_or_none()
    if cp is None:
        raise RuntimeError(
            "device 'cuda' needs CuPy, which is not installed. Install it with "
            "`pip install 'minigrad[gpu]'` or the cupy wheel for your CUDA version "
            "(for example `pip install cupy-cuda12x`)."
        )
    if not cuda_is_available():
        raise RuntimeError("device 'cuda' was asked for, but CuPy sees no NVIDIA GPU on this machine.")
    return cp


def normalize_device(device):
    """'cpu' or 'cuda' from a device name ('cuda:0' is accepted as 'cuda')."""
    name = str(device)
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name == "cuda:0":
        return "cuda"
    raise ValueError(f"unknown device {device!r}: expected 'cpu', 'cuda' or 'cuda:0'")


class device(str):
    """A device, as torch.device: ``mg.device("cuda:0")``. It is its name ('cpu' or 'cuda') as a
    string, so ``t.device == "cpu"`` and dictionaries keyed by device names keep working.

    Example: ``mg.device("cuda:0").type`` -> 'cuda'
    """

    def __new__(cls, name):
        return str.__new__(cls, normalize_device(name))

    @property
    def type(self):
        return str(self)

    @property
    def index(self):
        return None if self == "cpu" else 0

    def __repr__(self):
        return f"device(type='{self}')"


CPU, CUDA = device("cpu"), device("cuda")


def array_module(array):
    """numpy or cupy, whichever holds ``array``."""
    if isinstance(array, np.ndarray):
        return np
    cp = cupy_or_none()
    if cp is not None and isinstance(array, cp.ndarray):
        return cp
    raise TypeError(f"expected a numpy or cupy array, got {type(array).__name__}")


def is_array(obj):
    """Whether ``obj`` is a numpy or a cupy array (a NumPy scalar or a Python number is not).
    Never imports CuPy: a cupy array exists only once cupy has been imported."""
    if isinstance(obj, np.ndarray):
        return True
    cp = sys.modules.get("cupy")
    return cp is not None and isinstance(obj, getattr(cp, "ndarray", ()))


def common_array_module(arrays, what="op"):
    """The array module shared by all ``arrays``; a clear error when they sit on different devices."""
    modules = {array_module(a) for a in arrays}
    if len(modules) > 1:
        raise RuntimeError(
            f"{what}: expected all tensors on the same device, got tensors on cpu and cuda; "
            "move them with .to(device) first"
        )
    return modules.pop() if modules else np


def device_of(array):
    return CPU if isinstance(array, np.ndarray) else CUDA


def to_device(array, device):
    """``array`` on ``device`` ('cpu' or 'cuda'); the same object when it is already there."""
    device = normalize_device(device)
    if device == "cpu":
        return array if isinstance(array, np.ndarray) else array.get()
    cp = require_cuda()
    return array if isinstance(array, cp.ndarray) else cp.asarray(array)


def scatter_add(target, index, values):
    """target[index] += values, adding repeated indices once each (np.add.at semantics)."""
    if isinstance(target, np.ndarray):
        np.add.at(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)
