"""Modules: layers, containers and losses (PyTorch's torch.nn)."""
from .layers import (BatchNorm1d, BatchNorm2d, CrossEntropyLoss, Dropout, Flatten, Linear, MSELoss, ReLU,
                     Sequential)
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "Linear", "ReLU", "Dropout", "BatchNorm1d", "BatchNorm2d", "Flatten",
           "Sequential", "CrossEntropyLoss", "MSELoss"]

from . import utils  # noqa: E402  (nn.utils.fuse_batch_norm; it reads the layer classes above)
