"""One Op subclass per concept. Ops see arrays, never Tensors."""
from .activation import ReLU
from .conv import ConvolutionOp
from .dropout import DropoutOp
from .linear import LinearOp
from .loss import CrossEntropy, LogSoftmax, Softmax
from .math import Add, Div, Exp, Log, MatMul, Mul, Neg, Pow, Sigmoid, Sub, Tanh
from .reduction import Max, Mean, Sum
from .normalization import BatchNormOp
from .pool import AdaptiveAvgPool2dOp, AvgPool2dOp, MaxPool2dOp
from .shape import Cast, GetItem, Reshape, ToDevice, Transpose

__all__ = [
    "Add", "Sub", "Mul", "Div", "Pow", "Neg", "MatMul", "Exp", "Log", "Tanh", "Sigmoid", "ReLU",
    "Sum", "Mean", "Max", "Reshape", "Transpose", "GetItem", "ToDevice", "Cast", "BatchNormOp",
    "DropoutOp", "LinearOp", "LogSoftmax", "Softmax", "CrossEntropy",
    "ConvolutionOp", "MaxPool2dOp", "AvgPool2dOp", "AdaptiveAvgPool2dOp",
]
