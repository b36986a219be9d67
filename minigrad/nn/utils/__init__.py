"""Utilities on modules and their parameters (PyTorch's torch.nn.utils)."""
from .clip_grad import clip_grad_norm_, clip_grad_value_
from .fuse import fuse_batch_norm
from . import rnn

__all__ = ["clip_grad_norm_", "clip_grad_value_", "fuse_batch_norm", "rnn"]
