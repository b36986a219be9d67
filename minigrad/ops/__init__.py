"""One file per concept: its Op classes (arrays only), the lowercase functions users call, and their
argument checks. ``TENSOR_METHODS`` / ``TORCH_FUNCTIONS`` (ops/_table.py) are filled as the topic
modules below are imported."""
from ._table import TENSOR_METHODS, TORCH_FUNCTIONS
from .activation import ELU, GELU, Hardswish, LeakyReLU, LogSigmoid, Mish, ReLU, SiLU, Softplus
from .conv import ConvolutionOp
from .dropout import DropoutOp, FeatureDropoutOp
from .embedding import EmbeddingOp
from .indexing import Gather, Scatter
from .inplace import AddInPlace, ClampInPlace, CopyInPlace, DivInPlace, FillInPlace, MulInPlace, SetItemInPlace
from .linear import LinearOp
from .loss import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy, KLDiv, LogSoftmax, NLLLoss, SmoothL1, Softmax
from .math import Abs, Add, Clamp, Cos, Div, Exp, Log, MatMul, Maximum, Mul, Neg, Pow, Sigmoid, Sin, Sqrt, Sub, Tanh
from .math import Cosh, Exp2, Expm1, Log1p, Log2, Log10, Reciprocal, Rsqrt, Sinh, Square
from .math import AddMM, Erf, Lerp, NanToNum
from .rounding import Ceil, Floor, Frac, Round, Sign, Trunc
from .reduction import Extremum, LogSumExp, Mean, Norm, Prod, Std, Sum, TakeAlongDim, Var
from .ordering import Cumprod, Cumsum, Flip, Roll, Triangle, sort_indices
from .normalization import BatchNormOp, LayerNormOp
from .pool import AdaptiveAvgPool2dOp, AvgPool2dOp, MaxPool2dOp
from .resample import Interpolate, PlaneGather, adaptive_max_pool2d_indices
from .shape import Cast, Cat, Clone, ConstantPad, Diag, Expand, GetItem, Repeat, Reshape, Stack, ToDevice, Transpose
from .shape import Where

__all__ = [
    "Add", "Sub", "Mul", "Div", "Pow", "Neg", "MatMul", "Exp", "Log", "Tanh", "Sigmoid", "ReLU",
    "Abs", "Sqrt", "Sin", "Cos", "Clamp", "Maximum",
    "Log1p", "Expm1", "Rsqrt", "Reciprocal", "Square", "Log2", "Log10", "Exp2", "Sinh", "Cosh",
    "Sign", "Floor", "Ceil", "Round", "Trunc", "Frac",
    "Sum", "Mean", "Prod", "Var", "Std", "Extremum", "TakeAlongDim", "Norm",
    "Reshape", "Transpose", "GetItem", "Gather", "Scatter", "ToDevice", "Cast", "Expand", "Repeat", "Cat", "Stack", "Where", "Clone",
    "BatchNormOp",
    "DropoutOp", "FeatureDropoutOp", "EmbeddingOp", "LinearOp", "LogSoftmax", "Softmax", "CrossEntropy",
    "LeakyReLU", "GELU", "LayerNormOp", "ConstantPad",
    "NLLLoss", "BinaryCrossEntropy", "BinaryCrossEntropyWithLogits", "SmoothL1", "KLDiv",
    "SiLU", "Softplus", "ELU", "LogSigmoid", "Mish", "Hardswish",
    "AddInPlace", "MulInPlace", "DivInPlace", "ClampInPlace", "CopyInPlace", "FillInPlace", "SetItemInPlace",
    "ConvolutionOp", "MaxPool2dOp", "AvgPool2dOp", "AdaptiveAvgPool2dOp",
    "Cumsum", "Cumprod", "Flip", "Roll", "Triangle", "sort_indices",
    "Erf", "Lerp", "AddMM", "NanToNum", "LogSumExp", "Diag",
    "Interpolate", "PlaneGather", "adaptive_max_pool2d_indices",
]

# x.exp(), x.sum(), ...: bound here, once every topic above has filled the table (tensor.py imports
# this package at its end, so Tensor exists whichever of the two is imported first)
from ..tensor import Tensor as _Tensor  # noqa: E402

for _name, _method in TENSOR_METHODS.items():
    setattr(_Tensor, _name, _method)
