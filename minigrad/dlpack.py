"""mg.from_dlpack: a Tensor sharing memory with any DLPack producer (NumPy, PyTorch, CuPy, JAX)."""
from . import backend
from .tensor import Tensor

_CPU_DEVICES = (1, 3)  # kDLCPU, kDLCUDAHost (pinned host memory, readable from the CPU)
_CUDA_DEVICES = (2, 13)  # kDLCUDA, kDLCUDAManaged
_SUPPORTED_KINDS = "fiub"


def from_dlpack(obj):
    """A Tensor that shares memory with ``obj``, an array of any library implementing
    ``__dlpack__`` / ``__dlpack_device__``: CPU data becomes a NumPy-backed tensor, CUDA data a CuPy one.
    Writes through either side are seen by the other. The tensor does not require grad.

    Example::

        a = np.arange(6.0).reshape(2, 3)
        t = mg.from_dlpack(a)          # shape (2, 3), float64, shares a's memory
        t.data[0, 0] = 7.0             # a[0, 0] is now 7.0
    """
    if not hasattr(obj, "__dlpack__") or not hasattr(obj, "__dlpack_device__"):
        raise TypeError(f"from_dlpack takes an object with __dlpack__ and __dlpack_device__ (a NumPy, PyTorch, "
                        f"CuPy or JAX array), got {type(obj).__name__}")
    device_type, device_id = obj.__dlpack_device__()
    if device_type in _CPU_DEVICES:
        import numpy as xp
    elif device_type in _CUDA_DEVICES:
        xp = backend.require_cuda()
    else:
        raise RuntimeError(f"from_dlpack: DLPack device type {device_type} is neither the CPU nor CUDA; "
                           "minigrad keeps tensors on 'cpu' or 'cuda'")
    try:
        array = xp.from_dlpack(obj)
    except (BufferError, RuntimeError, TypeError) as error:  # e.g. a dtype NumPy has no type for (bfloat16)
        raise TypeError(f"from_dlpack: cannot share this {type(obj).__name__}: {error}; minigrad takes float32, "
                        "float64, integer and bool arrays") from error
    if array.dtype.kind not in _SUPPORTED_KINDS or array.dtype.itemsize > 8:
        raise TypeError(f"from_dlpack: minigrad has no {array.dtype} tensors; convert on the other side first "
                        "(e.g. to float32)")
    if array.dtype.kind == "f" and array.dtype not in backend.FLOAT_DTYPES:
        raise TypeError(f"from_dlpack: minigrad computes in float32 or float64, got {array.dtype}; convert on "
                        "the other side first (e.g. .float())")
    return Tensor._wrap(array, False)
