"""Argument checks for the public kernel functions: wrong input raises here, never reaching a typed
loop. Shared by the CPU (Cython) and GPU (CuPy) kernel modules."""

FLOAT_NAMES = ("float32", "float64")


def check_float_array(array, name, ndim=None, contiguous=True):
    """Raise unless ``array`` is a float32/float64 array (of ``ndim`` dims, C-contiguous)."""
    if not hasattr(array, "dtype") or not hasattr(array, "flags"):
        raise TypeError(f"{name} must be an array, got {type(array).__name__}")
    if array.dtype.name not in FLOAT_NAMES:
        raise TypeError(f"{name} must be float32 or float64, got {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")
    if contiguous and not array.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use ascontiguousarray)")


def check_like(array, name, reference, reference_name, shape=None, contiguous=True):
    """Raise unless ``array`` has the dtype of ``reference`` and the given shape."""
    check_float_array(array, name, contiguous=contiguous)
    if array.dtype != reference.dtype:
        raise TypeError(f"{name} has dtype {array.dtype}, but {reference_name} has {reference.dtype}")
    expected = reference.shape if shape is None else shape
    if array.shape != tuple(expected):
        raise ValueError(f"{name} has shape {array.shape}, expected {tuple(expected)}")
    if type(array) is not type(reference):
        raise TypeError(f"{name} and {reference_name} are on different devices")


def check_probability(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
