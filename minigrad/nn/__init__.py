"""Modules: layers, containers and losses (PyTorch's torch.nn). ``minigrad.nn.functional`` is
``minigrad.functional`` (as torch.nn.functional)."""
import sys

from .. import functional
from .layers import (BatchNorm1d, BatchNorm2d, CrossEntropyLoss, Dropout, Flatten, Linear, MSELoss, ReLU,
                     Sequential)
from .layers import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, MaxPool2d
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "Linear", "ReLU", "Dropout", "BatchNorm1d", "BatchNorm2d", "Flatten",
           "Sequential", "CrossEntropyLoss", "MSELoss",
           "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]

sys.modules[__name__ + ".functional"] = functional  # `import minigrad.nn.functional as F` works
