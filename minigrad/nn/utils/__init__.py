"""Helpers over modules and parameters (as torch.nn.utils)."""
from .fuse import fuse_batch_norm

__all__ = ["fuse_batch_norm"]
