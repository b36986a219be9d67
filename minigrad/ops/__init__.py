"""One Op subclass per concept. Ops see arrays, never Tensors."""
from .activation import ReLU
from .conv import ConvolutionOp
from .dropout import DropoutOp
from .linear import LinearOp
from .loss import CrossEntropy, LogSoftmax, Softmax
from .math import Abs, Add, Clamp, Cos, Div, Exp, Log, MatMul, Maximum, Mul, Neg, Pow, Sigmoid, Sin, Sqrt, Sub, Tanh
from .reduction import Extremum, Mean, Norm, Prod, Sum, TakeAlongDim, Var
from .normalization import BatchNormOp
from .pool import AdaptiveAvgPool2dOp, AvgPool2dOp, MaxPool2dOp
from .shape import Cast, Cat, Clone, Expand, GetItem, Repeat, Reshape, Stack, ToDevice, Transpose, Where

__all__ = [
    "Add", "Sub", "Mul", "Div", "Pow", "Neg", "MatMul", "Exp", "Log", "Tanh", "Sigmoid", "ReLU",
    "Abs", "Sqrt", "Sin", "Cos", "Clamp", "Maximum",
    "Sum", "Mean", "Prod", "Var", "Extremum", "TakeAlongDim", "Norm",
    "Reshape", "Transpose", "GetItem", "ToDevice", "Cast", "Expand", "Repeat", "Cat", "Stack", "Where", "Clone",
    "BatchNormOp",
    "DropoutOp", "LinearOp", "LogSoftmax", "Softmax", "CrossEntropy",
    "ConvolutionOp", "MaxPool2dOp", "AvgPool2dOp", "AdaptiveAvgPool2dOp",
]
