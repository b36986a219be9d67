"""The CPU kernel module: every Cython kernel under one name, matching ``cuda.py`` function for
function."""
from .activation import relu_backward, relu_forward
from .batchnorm import (batch_norm_backward, batch_norm_backward_reduce, batch_norm_elemt, batch_norm_forward_eval,
                        batch_norm_forward_train, batch_norm_stats)
from .dropout import dropout_backward, dropout_forward
from .linear import linear_backward, linear_forward
from .sgd import sgd_step

__all__ = [
    "relu_forward", "relu_backward",
    "batch_norm_forward_train", "batch_norm_forward_eval", "batch_norm_backward",
    "batch_norm_stats", "batch_norm_backward_reduce", "batch_norm_elemt",
    "dropout_forward", "dropout_backward",
    "linear_forward", "linear_backward",
    "sgd_step",
]
