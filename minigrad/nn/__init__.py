"""Modules: layers, containers and losses (PyTorch's torch.nn)."""
from .layers import (BatchNorm1d, BatchNorm2d, CrossEntropyLoss, Dropout, Flatten, LayerNorm, Linear, MSELoss, ReLU,
                     Sequential)
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "Linear", "ReLU", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Flatten",
           "Sequential", "CrossEntropyLoss", "MSELoss"]
