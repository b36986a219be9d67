"""The CPU kernel module: every Cython kernel under one name, matching ``cuda.py`` function for
function."""
from types import SimpleNamespace

import numpy as np

from . import gelu as _gelu_loops, layernorm as _layernorm_loops
from . import optimizer_front, optimizers as _optimizer_loops
from ._layers_front import LayersKernels
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
    "gelu_forward", "gelu_backward",
    "adam_step", "rmsprop_step", "adagrad_step", "adadelta_step",
]

_layers = LayersKernels(SimpleNamespace(layer_norm_forward=_layernorm_loops.layer_norm_forward,
                                        layer_norm_backward=_layernorm_loops.layer_norm_backward,
                                        gelu_forward=_gelu_loops.gelu_forward, gelu_backward=_gelu_loops.gelu_backward), np)
layer_norm_forward, layer_norm_backward = _layers.layer_norm_forward, _layers.layer_norm_backward
gelu_forward, gelu_backward = _layers.gelu_forward, _layers.gelu_backward


def adam_step(*args):
    return optimizer_front.adam_step(_optimizer_loops, np, *args)


def rmsprop_step(*args):
    return optimizer_front.rmsprop_step(_optimizer_loops, np, *args)


def adagrad_step(*args):
    return optimizer_front.adagrad_step(_optimizer_loops, np, *args)


def adadelta_step(*args):
    return optimizer_front.adadelta_step(_optimizer_loops, np, *args)
