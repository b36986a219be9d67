"""Argument checks for the public kernel functions: wrong input raises here, never reaching a typed
loop. Shared by the CPU (Cython) and GPU (CuPy) kernel modules (CuPy arrays carry NumPy dtypes)."""
import numpy as np

# dtype equality is a C comparison; dtype.name is computed in Python and costs microseconds
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
UINT8, FLOAT64 = np.dtype(np.uint8), np.dtype(np.float64)


def check_float_array(array, name, ndim=None, contiguous=True):
    """Raise unless ``array`` is a float32/float64 array (of ``ndim`` dims, C-contiguous)."""
    if not hasattr(array, "dtype") or not hasattr(array, "flags"):
        raise TypeError(f"{name} must be an array, got {type(array).__name__}")
    if array.dtype not in FLOAT_DTYPES:
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


def check_mask(mask, shape):
    if not hasattr(mask, "dtype") or mask.dtype != UINT8 or mask.shape != shape:
        raise ValueError(f"mask must be uint8 of shape {shape}, got {getattr(mask, 'dtype', type(mask))} "
                         f"{getattr(mask, 'shape', '')}")
    if not mask.flags.c_contiguous:
        raise ValueError("mask must be C-contiguous (use ascontiguousarray)")


def as_channels(x, name, xp):
    """(contiguous x, (N, C, S)) for x of shape (N, C) or (N, C, *spatial); S = prod(spatial)."""
    check_float_array(x, name, contiguous=False)
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (N, C) or (N, C, *spatial), got {x.shape}")
    spatial = 1
    for size in x.shape[2:]:
        spatial *= size
    return xp.ascontiguousarray(x), (x.shape[0], x.shape[1], spatial)


def check_channel_vector(v, name, x, channels, required=False):
    """``v`` (C,) in x's dtype, or None when allowed."""
    if v is None:
        if required:
            raise ValueError(f"{name} is required")
        return None
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


def check_batch_norm_elemt(x, dims, gy, mean, k1, k2, k3):
    """Arguments of batch_norm_elemt: x and gy as from as_channels, float64 (C,) coefficients, and
    k1 exactly when gy is given."""
    channels = dims[1]
    if (gy is None) != (k1 is None):
        raise ValueError("batch_norm_elemt takes gy and k1 together (both or neither)")
    if gy is not None:
        check_like(gy, "gy", x, "x")
        check_stat_vector(k1, "k1", channels)
    for v, name in ((mean, "mean"), (k2, "k2"), (k3, "k3")):
        check_stat_vector(v, name, channels)


def channel_mean_and_m2(s1, s2, shift, count):
    """Per-channel mean and M2 (sum of squared deviations) from the shifted sums s1 = sum x and
    s2 = sum x (x - shift) of ``count`` values (float64 vectors, numpy or cupy). Shared by both
    kernel modules' batch_norm_stats; a NaN stays NaN."""
    d = s1 / count - shift
    m2 = s2 - shift * (s1 - count * shift) - count * d * d
    return shift + d, m2 * (m2 > 0)


def check_eps(eps):
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")


def check_linear(x, weight, bias):
    check_float_array(x, "x", ndim=2, contiguous=False)
    check_float_array(weight, "weight", ndim=2, contiguous=False)
    if weight.dtype != x.dtype:
        raise TypeError(f"weight has dtype {weight.dtype}, but x has {x.dtype}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x has {x.shape[1]} features, but weight of shape {weight.shape} expects {weight.shape[1]}")
    if bias is not None:
        check_like(bias, "bias", weight, "weight", shape=(weight.shape[0],))


def check_linear_backward(gy, x, weight):
    check_float_array(gy, "gy", ndim=2)
    check_float_array(x, "x", ndim=2, contiguous=False)
    check_float_array(weight, "weight", ndim=2, contiguous=False)
    if not (gy.dtype == x.dtype == weight.dtype):
        raise TypeError(f"dtypes differ: gy {gy.dtype}, x {x.dtype}, weight {weight.dtype}")
    if gy.shape != (x.shape[0], weight.shape[0]) or x.shape[1] != weight.shape[1]:
        raise ValueError(f"shapes do not fit: gy {gy.shape}, x {x.shape}, weight {weight.shape}")


def check_sgd(param, grad, momentum_buffer, momentum):
    """The momentum buffer to pass to the loop: ``param`` itself stands in (never touched) when
    momentum is 0."""
    check_float_array(param, "param")
    check_like(grad, "grad", param, "param")
    if momentum == 0:
        return param
    if momentum_buffer is None:
        raise ValueError("momentum_buffer is required when momentum != 0")
    check_like(momentum_buffer, "momentum_buffer", param, "param")
    return momentum_buffer


def dropout_scale(p):
    return 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
