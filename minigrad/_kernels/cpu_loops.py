"""The CPU loops: every Cython kernel loop under one name, matching ``cuda_loops.py`` function for
function (names and parameters; a test checks). The front (front.py) calls them with checked,
contiguous arrays and allocated outputs."""
from .activation import relu_backward, relu_forward
from .conv import col2im, im2col
from .batchnorm import backward_coefficients, channel_affine, channel_sums, eval_coefficients, train_coefficients
from .dropout import dropout_backward, dropout_forward, philox4x32
from .gelu import erf_forward, gelu_backward, gelu_forward
from .layernorm import layer_norm_backward, layer_norm_forward
from .linear import add_bias, column_sum
from .runtime import sync_threads
from .optimizers import adadelta_step, adagrad_step, adam_step, rmsprop_step
from .pool import (adaptive_avg_pool2d_backward, adaptive_avg_pool2d_forward, avg_pool2d_backward,
                   avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward)
from .sgd import sgd_step

__all__ = [
    "relu_forward", "relu_backward",
    "dropout_forward", "dropout_backward", "philox4x32",
    "channel_sums", "train_coefficients", "eval_coefficients", "backward_coefficients", "channel_affine",
    "add_bias", "column_sum",
    "sgd_step",
    "layer_norm_forward", "layer_norm_backward",
    "gelu_forward", "gelu_backward", "erf_forward",
    "sync_threads",
    "adam_step", "rmsprop_step", "adagrad_step", "adadelta_step",
    "im2col", "col2im",
    "max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
    "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
]
