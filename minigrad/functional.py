"""Tensor -> Tensor functions that apply ops (Chainer's F, PyTorch's torch.nn.functional)."""
from . import ops


def relu(x):
    """max(x, 0) elementwise. Example: ``F.relu(mg.tensor([-1.0, 2.0]))`` -> tensor([0., 2.])"""
    return ops.ReLU()(x)
