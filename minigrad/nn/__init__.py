"""Modules: layers, containers and losses (PyTorch's torch.nn)."""
from .layers import (BatchNorm1d, BatchNorm2d, CrossEntropyLoss, Dropout, Flatten, Linear, MSELoss, ReLU,
                     Sequential)
from .module import Module, Parameter
from . import parallel  # after layers: SyncBatchNorm extends their BatchNorm
from .parallel import SyncBatchNorm

__all__ = ["Module", "Parameter", "Linear", "ReLU", "Dropout", "BatchNorm1d", "BatchNorm2d", "Flatten",
           "Sequential", "CrossEntropyLoss", "MSELoss", "SyncBatchNorm", "parallel"]
