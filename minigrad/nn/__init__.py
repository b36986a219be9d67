"""Modules: layers, containers and losses (PyTorch's torch.nn); ``nn.init`` initialises parameters.
``minigrad.nn.functional`` is ``minigrad.functional`` (as torch.nn.functional)."""
import sys

from .. import functional
from . import init, utils
from .layers import (ELU, GELU, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, Dropout,
                     Dropout2d, Embedding, Flatten, GroupNorm, Hardswish, Identity, InstanceNorm1d, InstanceNorm2d,
                     LayerNorm, LeakyReLU, Linear, LogSigmoid,
                     LogSoftmax, MaxPool1d, MaxPool2d, Mish, ModuleDict, ModuleList, ReLU, Sequential, Sigmoid, SiLU,
                     Softmax, Softmin, Softplus, Tanh)
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .module import Module, Parameter
from .spatial import (AdaptiveMaxPool2d, ConstantPad1d, ConstantPad2d, ConstantPad3d, Unflatten, Upsample,
                      UpsamplingBilinear2d, UpsamplingNearest2d, ZeroPad1d, ZeroPad2d, ZeroPad3d)
from . import parallel  # after layers: SyncBatchNorm extends their BatchNorm
from .parallel import SyncBatchNorm

__all__ = ["Module", "Parameter", "Linear", "ReLU", "Dropout", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Flatten",
           "Sequential", "ModuleList", "ModuleDict", "Identity", "LeakyReLU", "GELU", "Sigmoid", "Tanh", "Softmax",
           "LogSoftmax", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss",
           "Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "init", "utils",
           "Dropout2d", "Embedding", "MaxPool1d", "AvgPool1d",
           "SiLU", "Softplus", "ELU", "LogSigmoid", "Mish", "Hardswish", "Softmin",
           "SmoothL1Loss", "HuberLoss", "KLDivLoss",
           "SyncBatchNorm", "parallel", "GroupNorm", "InstanceNorm1d", "InstanceNorm2d",
           "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "Unflatten", "AdaptiveMaxPool2d"]

sys.modules[__name__ + ".functional"] = functional  # `import minigrad.nn.functional as F` works

from . import utils  # noqa: E402  (nn.utils.fuse_batch_norm; it reads the layer classes above)
