"""The CPU kernel module: every Cython kernel under one name, matching ``cuda.py`` function for
function."""
import numpy as np

from . import layernorm as _layernorm_loops
from ._layernorm_front import LayerNormKernels
from .activation import relu_backward, relu_forward
from .batchnorm import batch_norm_backward, batch_norm_forward_eval, batch_norm_forward_train
from .dropout import dropout_backward, dropout_forward
from .linear import linear_backward, linear_forward
from .sgd import sgd_step

__all__ = [
    "relu_forward", "relu_backward",
    "batch_norm_forward_train", "batch_norm_forward_eval", "batch_norm_backward",
    "dropout_forward", "dropout_backward",
    "linear_forward", "linear_backward",
    "sgd_step",
    "layer_norm_forward", "layer_norm_backward",
]

_layer_norm = LayerNormKernels(_layernorm_loops, np)
layer_norm_forward, layer_norm_backward = _layer_norm.layer_norm_forward, _layer_norm.layer_norm_backward
