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
    axes = _stretched_axes(grad.shape, shape)
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


def sum_to(grad, shape):
    """sum_to_shape for a gradient Tensor (backward_graph): differentiable, so in the graph."""
    if grad.shape == shape:
        return grad
    axes = _stretched_axes(grad.shape, shape)
    return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad.reshape(shape)


def _stretched_axes(grad_shape, shape):
    lead = len(grad_shape) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, size in enumerate(shape) if size == 1 and grad_shape[lead + i] != 1)
