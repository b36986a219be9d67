"""One Op subclass per concept. Ops see arrays, never Tensors."""
from .activation import GELU, LeakyReLU, ReLU
from .dropout import DropoutOp
from .linear import LinearOp
from .loss import (AbsoluteError, BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy, LogSoftmax,
                   NLLLoss, Softmax)
from .math import Add, Div, Exp, Log, MatMul, Mul, Neg, Pow, Sigmoid, Sub, Tanh
from .reduction import Max, Mean, Sum
from .normalization import BatchNormOp, LayerNormOp
from .shape import Cast, ConstantPad, GetItem, Reshape, ToDevice, Transpose

__all__ = [
    "Add", "Sub", "Mul", "Div", "Pow", "Neg", "MatMul", "Exp", "Log", "Tanh", "Sigmoid", "ReLU", "LeakyReLU", "GELU",
    "Sum", "Mean", "Max", "Reshape", "Transpose", "GetItem", "ToDevice", "Cast", "ConstantPad", "BatchNormOp", "LayerNormOp",
    "DropoutOp", "LinearOp", "LogSoftmax", "Softmax", "CrossEntropy",
    "NLLLoss", "AbsoluteError", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits",
]
