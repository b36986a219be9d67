"""The CPU loops: every Cython kernel loop under one name, matching ``cuda_loops.py`` function for
function (names and parameters; a test checks). The front (front.py) calls them with checked,
contiguous arrays and allocated outputs."""
from .activation import relu_backward, relu_forward
from .batchnorm import backward_coefficients, channel_affine, channel_sums, eval_coefficients, train_coefficients
from .dropout import dropout_backward, dropout_forward, philox4x32
from .linear import add_bias, column_sum
from .sgd import sgd_step

__all__ = [
    "relu_forward", "relu_backward",
    "dropout_forward", "dropout_backward", "philox4x32",
    "channel_sums", "train_coefficients", "eval_coefficients", "backward_coefficients", "channel_affine",
    "add_bias", "column_sum",
    "sgd_step",
]
