"""Broadcasting: the shape operands broadcast to, and gradients summed back to each input's shape."""
import numpy as np


def broadcast_shape(*shapes):
    """The shape that ``shapes`` broadcast to, or None when they do not: ``broadcast_shape((2, 1), (3,))`` -> (2, 3)"""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


def sum_to_shape(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)
