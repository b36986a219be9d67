"""Tools for looking inside and extending minigrad.

``make_dot(tensor)`` draws the graph behind a tensor; ``cython_extension.load`` builds a user's Cython
kernel with minigrad's flags; ``data`` is minigrad.data (as torch.utils.data).
"""
import sys

from .. import data
from . import cython_extension
from .graph import Graph, make_dot

sys.modules[__name__ + ".data"] = data  # `from minigrad.utils.data import DataLoader`, as torch.utils.data

__all__ = ["make_dot", "Graph", "cython_extension", "data"]
