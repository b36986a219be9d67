"""Modules: layers, containers and losses (PyTorch's torch.nn); ``nn.init`` initialises parameters."""
from . import init, utils
from .layers import (GELU, BatchNorm1d, BatchNorm2d, Dropout, Flatten, Identity, LayerNorm, LeakyReLU, Linear,
                     LogSoftmax, ModuleDict, ModuleList, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, Parameter

__all__ = ["Module", "Parameter", "Linear", "ReLU", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Flatten",
           "Sequential", "ModuleList", "ModuleDict", "Identity", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax",
           "LogSoftmax", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "init", "utils"]
