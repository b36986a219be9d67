"""Modules: layers, containers and losses (PyTorch's torch.nn). ``minigrad.nn.functional`` is
``minigrad.functional`` (as torch.nn.functional)."""
import sys

from .. import functional
from .layers import (BatchNorm1d, BatchNorm2d, CrossEntropyLoss, Dropout, Flatten, Linear, MSELoss, ReLU,
                     Sequential)
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "Linear", "ReLU", "Dropout", "BatchNorm1d", "BatchNorm2d", "Flatten",
           "Sequential", "CrossEntropyLoss", "MSELoss"]

sys.modules[__name__ + ".functional"] = functional  # `import minigrad.nn.functional as F` works

from . import utils  # noqa: E402  (nn.utils.fuse_batch_norm; it reads the layer classes above)
