"""Modules: layers, containers and losses (PyTorch's torch.nn). ``minigrad.nn.functional`` is
``minigrad.functional`` (as torch.nn.functional)."""
import sys

from .. import functional
from .layers import (BatchNorm1d, BatchNorm2d, CrossEntropyLoss, Dropout, Flatten, Linear, MSELoss, ReLU,
                     Sequential)
from .module import Module, Parameter
from . import parallel  # after layers: SyncBatchNorm extends their BatchNorm
from .parallel import SyncBatchNorm

__all__ = ["Module", "Parameter", "Linear", "ReLU", "Dropout", "BatchNorm1d", "BatchNorm2d", "Flatten",
           "Sequential", "CrossEntropyLoss", "MSELoss", "SyncBatchNorm", "parallel"]

sys.modules[__name__ + ".functional"] = functional  # `import minigrad.nn.functional as F` works
