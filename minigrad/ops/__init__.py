"""One Op subclass per concept. Ops see arrays, never Tensors."""
from .activation import ReLU
from .dropout import DropoutOp
from .inplace import AddInPlace, ClampInPlace, CopyInPlace, DivInPlace, FillInPlace, MulInPlace, SetItemInPlace
from .linear import LinearOp
from .loss import CrossEntropy, LogSoftmax, Softmax
from .math import Add, Div, Exp, Log, MatMul, Mul, Neg, Pow, Sigmoid, Sub, Tanh
from .reduction import Max, Mean, Sum
from .normalization import BatchNormOp
from .shape import Cast, GetItem, Reshape, ToDevice, Transpose

__all__ = [
    "Add", "Sub", "Mul", "Div", "Pow", "Neg", "MatMul", "Exp", "Log", "Tanh", "Sigmoid", "ReLU",
    "Sum", "Mean", "Max", "Reshape", "Transpose", "GetItem", "ToDevice", "Cast", "BatchNormOp",
    "DropoutOp", "LinearOp", "LogSoftmax", "Softmax", "CrossEntropy",
    "AddInPlace", "MulInPlace", "DivInPlace", "ClampInPlace", "CopyInPlace", "FillInPlace", "SetItemInPlace",
]
