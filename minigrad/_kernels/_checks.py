"""Argument checks for the kernel front (``front/``): wrong input raises here, never reaching a
typed loop. They serve both devices (CuPy arrays carry NumPy dtypes). Strides are never refused: the
front copies what a loop needs contiguous. Only what protects memory is checked here (dtype, shape,
device, sizes that index memory); the semantic checks (eps > 0, a dropout probability in [0, 1],
GELU's approximation) run once, in the user-facing functions (ops/)."""
import numpy as np

# dtype equality is a C comparison; dtype.name is computed in Python and costs microseconds
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
UINT8, FLOAT64 = np.dtype(np.uint8), np.dtype(np.float64)


def check_float_array(array, name, ndim=None):
    """Raise unless ``array`` is a float32/float64 array (of ``ndim`` dims)."""
    if type(array) is not np.ndarray and not (hasattr(array, "dtype") and hasattr(array, "flags")):
        raise TypeError(f"{name} must be an array, got {type(array).__name__}")
    if array.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")


def check_like(array, name, reference, reference_name, shape=None):
    """Raise unless ``array`` has the dtype and device of ``reference`` and the given shape."""
    if type(array) is type(reference) and array.dtype is reference.dtype and array.dtype in FLOAT_DTYPES \
            and array.shape == (reference.shape if shape is None else tuple(shape)):
        return  # the common case, decided in a few comparisons; the messages below find what differs
    check_float_array(array, name)
    if array.dtype != reference.dtype:
        raise TypeError(f"{name} has dtype {array.dtype}, but {reference_name} has {reference.dtype}")
    expected = reference.shape if shape is None else shape
    if array.shape != tuple(expected):
        raise ValueError(f"{name} has shape {array.shape}, expected {tuple(expected)}")
    if type(array) is not type(reference):
        raise TypeError(f"{name} and {reference_name} are on different devices")


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
    if v.__class__ is np.ndarray and v.dtype is FLOAT64 and v.shape == (channels,):
        return  # the common case (twice per norm backward), decided in a few comparisons
    check_float_array(v, name, ndim=1)
    if v.dtype != FLOAT64 or v.shape[0] != channels:
        raise ValueError(f"{name} must be float64 of shape ({channels},), got {v.dtype} {v.shape}")


def check_batch_norm_train(x, dims, running_mean, running_var):
    if dims[0] * dims[2] < 2:
        raise ValueError(f"BatchNorm needs more than 1 value per channel when training, got input of shape {x.shape}")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must both be given or both be None")


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
    if momentum_buffer is not None:  # checked also when momentum is 0: the loop takes it as given
        check_like(momentum_buffer, "momentum_buffer", param, "param")
    elif momentum != 0:
        raise ValueError("momentum_buffer is required when momentum != 0")


def dropout_scale(p):
    """1 / (1 - p), and 0 for p >= 1 (everything dropped) instead of a division by zero."""
    return 0.0 if p >= 1.0 else 1.0 / (1.0 - p)


def check_optimizer_arrays(param, grad, states, required=()):
    """Raise unless grad and every state array (name -> array or None) match param's shape, dtype and
    device. Names in ``required`` must not be None."""
    check_float_array(param, "param")
    check_like(grad, "grad", param, "param")
    for name, array in states.items():
        if array is None:
            if name in required:
                raise ValueError(f"{name} is required by this configuration, got None")
        else:
            check_like(array, name, param, "param")


def check_step(step):
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"step must be an int >= 1 (the step being taken, counting from 1), got {step!r}")
# ---- convolution and pooling -----------------------------------------------------------------
def _check_ints(values, name, minimum):
    if len(values) != 2 or any(not isinstance(v, (int, np.integer)) or v < minimum for v in values):
        raise ValueError(f"{name} must be two ints >= {minimum}, got {values}")


def conv2d_output_size(x, weight, bias, stride, padding, dilation, groups):
    """(OH, OW) of a convolution of x (N, C, H, W) with weight (O, C // groups, KH, KW); raises
    unless every argument fits. padding is ((top, bottom), (left, right))."""
    _check_conv_arrays(x, weight, stride, padding, dilation, groups, "output channels")
    if x.shape[1] != weight.shape[1] * groups:
        raise ValueError(f"x has {x.shape[1]} channels, but weight {weight.shape} with groups={groups} "
                         f"expects {weight.shape[1] * groups}")
    if bias is not None:
        check_like(bias, "bias", weight, "weight", shape=(weight.shape[0],))
    return _window_counts(x.shape[2:], weight.shape[2:], stride, padding, dilation)


def _window_counts(image_size, kernel_size, stride, padding, dilation):
    """The positions of a kernel_size window along each dim of padded images; raises unless there
    is at least one."""
    sizes = []
    for size, k, s, (before, after), d in zip(image_size, kernel_size, stride, padding, dilation):
        span = d * (k - 1) + 1
        if size + before + after < span or k < 1:
            raise ValueError(f"kernel {tuple(kernel_size)} (dilation {dilation}) is larger than the padded "
                             f"input {tuple(image_size)} + padding {padding}")
        sizes.append((size + before + after - span) // s + 1)
    return tuple(sizes)


def conv_transpose2d_output_size(x, weight, bias, stride, padding, output_padding, dilation, groups):
    """(OH, OW) of a transposed convolution of x (N, C, H, W) with weight (C, O // groups, KH, KW):
    OH = (H - 1) * stride_h - top - bottom + dilation_h * (KH - 1) + output_padding_h + 1. Raises
    unless every argument fits; output_padding must be below the stride or the dilation."""
    _check_conv_arrays(x, weight, stride, padding, dilation, groups, "input channels")
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"x has {x.shape[1]} channels, but weight {weight.shape} expects {weight.shape[0]}")
    if bias is not None:
        check_like(bias, "bias", weight, "weight", shape=(weight.shape[1] * groups,))
    _check_ints(output_padding, "output_padding", 0)
    sizes = []
    for size, k, s, (before, after), extra, d in zip(x.shape[2:], weight.shape[2:], stride, padding, output_padding,
                                                     dilation):
        if extra >= max(s, d):
            raise ValueError(f"output_padding {output_padding} must be below stride {stride} or dilation {dilation}")
        sizes.append((size - 1) * s - before - after + d * (k - 1) + extra + 1)
        if sizes[-1] < 1:
            raise ValueError(f"transposed convolution of input {x.shape[2:]} with kernel {weight.shape[2:]}, "
                             f"padding {padding} gives an empty output")
    return tuple(sizes)


def block_counts(image_size, kernel_size, stride, padding, dilation):
    """(OH, OW): the positions of sliding kernel_size blocks in images of image_size (H, W) padded by
    padding (h, w) on both sides; raises unless there is at least one."""
    for values, name, minimum in ((image_size, "image_size", 1), (kernel_size, "kernel_size", 1),
                                  (stride, "stride", 1), (padding, "padding", 0), (dilation, "dilation", 1)):
        _check_ints(values, name, minimum)
    return _window_counts(image_size, kernel_size, stride, tuple((p, p) for p in padding), dilation)


def _check_conv_arrays(x, weight, stride, padding, dilation, groups, grouped_channels):
    """What a convolution and a transposed one check alike; groups divide weight.shape[0], the
    ``grouped_channels``."""
    check_float_array(x, "x", ndim=4)
    check_float_array(weight, "weight", ndim=4)
    if weight.dtype != x.dtype or type(weight) is not type(x):
        raise TypeError(f"weight ({weight.dtype}) and x ({x.dtype}) must share dtype and device")
    if weight.size == 0:
        raise ValueError(f"weight must not be empty, got shape {weight.shape}")
    _check_ints(stride, "stride", 1)
    _check_ints(dilation, "dilation", 1)
    for pair in padding:
        _check_ints(pair, "padding", 0)
    if not isinstance(groups, (int, np.integer)) or groups < 1 or weight.shape[0] % groups:
        raise ValueError(f"groups must be an int >= 1 dividing the {weight.shape[0]} {grouped_channels}, "
                         f"got {groups}")


def pool2d_output_size(image_size, kernel_size, stride, padding):
    """(OH, OW) of pooling images of image_size (H, W) with the given windows; padding at most half
    a window, so every window holds an input value."""
    _check_ints(kernel_size, "kernel_size", 1)
    _check_ints(stride, "stride", 1)
    _check_ints(padding, "padding", 0)
    if any(2 * p > k for p, k in zip(padding, kernel_size)):
        raise ValueError(f"padding {padding} must be at most half of kernel_size {kernel_size}")
    if any(size + 2 * p < k for size, k, p in zip(image_size, kernel_size, padding)):
        raise ValueError(f"pooling window {kernel_size} is larger than the padded input {tuple(image_size)} "
                         f"+ padding {padding}")
    return tuple((size + 2 * p - k) // s + 1 for size, k, s, p in zip(image_size, kernel_size, stride, padding))


def check_pool_gradient(gy, output_shape, dtype, name="gy"):
    check_float_array(gy, name, ndim=4)
    if gy.shape != tuple(output_shape) or gy.dtype != dtype:
        raise ValueError(f"{name} must be {dtype} of shape {tuple(output_shape)}, got {gy.dtype} {gy.shape}")


def check_input_shape(shape):
    if len(shape) != 4 or any(not isinstance(s, (int, np.integer)) or s < 1 for s in shape):
        raise ValueError(f"input_shape must be 4 positive ints (N, C, H, W), got {shape}")


def check_matmul(a, b, out, accumulate):
    """The shape of a @ b for a and b 2-D (m, k) @ (k, n) or batched 3-D (B, m, k) @ (B, k, n) (a
    2-D operand, or a batch of 1, is shared by every product of the batch), one float dtype and
    device; ``out``: None, or an array of that shape and dtype (added to when ``accumulate``)."""
    check_float_array(a, "a")
    check_float_array(b, "b")
    if a.dtype != b.dtype:
        raise TypeError(f"matmul: a has dtype {a.dtype}, but b has {b.dtype}")
    if type(b) is not type(a):
        raise TypeError("matmul: a and b are on different devices")
    if a.ndim not in (2, 3) or b.ndim not in (2, 3):
        raise ValueError(f"matmul takes 2-D or 3-D (batched) arrays, got shapes {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({a.shape[-1]} != {b.shape[-2]})")
    shape = (a.shape[-2], b.shape[-1])
    if a.ndim == 3 or b.ndim == 3:
        batches = {a.shape[0] if a.ndim == 3 else 1, b.shape[0] if b.ndim == 3 else 1}
        if len(batches - {1}) > 1:
            raise ValueError(f"matmul: the batches of shapes {a.shape} and {b.shape} differ")
        shape = (max(batches),) + shape
    if out is None:
        if accumulate:
            raise ValueError("matmul: accumulate needs an out array to add to")
    else:
        check_like(out, "out", a, "a", shape=shape)
    return shape
