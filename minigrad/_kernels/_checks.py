"""Argument checks for the kernel front (``front.py``): wrong input raises here, never reaching a
typed loop. They serve both devices (CuPy arrays carry NumPy dtypes). Strides are never refused: the
front copies what a loop needs contiguous."""
import numpy as np

# dtype equality is a C comparison; dtype.name is computed in Python and costs microseconds
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
UINT8, FLOAT64 = np.dtype(np.uint8), np.dtype(np.float64)


def check_float_array(array, name, ndim=None):
    """Raise unless ``array`` is a float32/float64 array (of ``ndim`` dims)."""
    if not hasattr(array, "dtype") or not hasattr(array, "flags"):
        raise TypeError(f"{name} must be an array, got {type(array).__name__}")
    if array.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")


def check_like(array, name, reference, reference_name, shape=None):
    """Raise unless ``array`` has the dtype and device of ``reference`` and the given shape."""
    check_float_array(array, name)
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


def check_mask(mask, shape):
    if not hasattr(mask, "dtype") or mask.dtype != UINT8 or mask.shape != shape:
        raise ValueError(f"mask must be uint8 of shape {shape}, got {getattr(mask, 'dtype', type(mask))} "
                         f"{getattr(mask, 'shape', '')}")


def check_channels(x, name):
    """(N, C, S) for x of shape (N, C) or (N, C, *spatial); S = prod(spatial)."""
    check_float_array(x, name)
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (N, C) or (N, C, *spatial), got {x.shape}")
    spatial = 1
    for size in x.shape[2:]:
        spatial *= size
    return x.shape[0], x.shape[1], spatial


def check_channel_vector(v, name, x, channels):
    """``v`` (C,) in x's dtype on x's device, or None."""
    if v is not None:
        check_like(v, name, x, "x", shape=(channels,))
    return v


def check_stat_vector(v, name, channels):
    check_float_array(v, name, ndim=1)
    if v.dtype != FLOAT64 or v.shape[0] != channels:
        raise ValueError(f"{name} must be float64 of shape ({channels},), got {v.dtype} {v.shape}")


def check_batch_norm_train(x, dims, eps, running_mean, running_var):
    if dims[0] * dims[2] < 2:
        raise ValueError(f"BatchNorm needs more than 1 value per channel when training, got input of shape {x.shape}")
    check_eps(eps)
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must both be given or both be None")


def check_eps(eps):
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")


def check_linear(x, weight, bias):
    check_float_array(x, "x", ndim=2)
    check_float_array(weight, "weight", ndim=2)
    if weight.dtype != x.dtype:
        raise TypeError(f"weight has dtype {weight.dtype}, but x has {x.dtype}")
    if type(weight) is not type(x):
        raise TypeError("weight and x are on different devices")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x has {x.shape[1]} features, but weight of shape {weight.shape} expects {weight.shape[1]}")
    if bias is not None:
        check_like(bias, "bias", weight, "weight", shape=(weight.shape[0],))


def check_linear_backward(gy, x, weight):
    check_float_array(gy, "gy", ndim=2)
    check_float_array(x, "x", ndim=2)
    check_float_array(weight, "weight", ndim=2)
    if not (gy.dtype == x.dtype == weight.dtype):
        raise TypeError(f"dtypes differ: gy {gy.dtype}, x {x.dtype}, weight {weight.dtype}")
    if gy.shape != (x.shape[0], weight.shape[0]) or x.shape[1] != weight.shape[1]:
        raise ValueError(f"shapes do not fit: gy {gy.shape}, x {x.shape}, weight {weight.shape}")


def check_sgd(param, grad, momentum_buffer, momentum):
    check_float_array(param, "param")
    check_like(grad, "grad", param, "param")
    if momentum != 0:
        if momentum_buffer is None:
            raise ValueError("momentum_buffer is required when momentum != 0")
        check_like(momentum_buffer, "momentum_buffer", param, "param")


def dropout_scale(p):
    return 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
