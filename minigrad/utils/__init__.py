"""Tools for looking inside and extending minigrad.

``make_dot(tensor)`` draws the graph behind a tensor; ``cython_extension.load`` builds a user's Cython
kernel with minigrad's flags; ``data`` is minigrad.data (as torch.utils.data).
"""
from .. import data
from . import cython_extension
from .graph import Graph, make_dot

__all__ = ["make_dot", "Graph", "cython_extension", "data"]
