"""Tools for looking inside and extending minigrad.

``make_dot(tensor)`` draws the graph behind a tensor; ``cython_extension.load`` builds a user's Cython
kernel with minigrad's flags; ``data`` is minigrad.data (as torch.utils.data).
"""
import sys

from .. import data
from . import cython_extension
from .graph import Graph, make_dot

# `from minigrad.utils.data import DataLoader` and `from minigrad.utils.data.sampler import Sampler`, as
# torch.utils.data: the same modules under a second name, not second copies of them
sys.modules[__name__ + ".data"] = data
for _submodule in ("dataset", "sampler", "dataloader", "collate"):
    sys.modules[f"{__name__}.data.{_submodule}"] = getattr(data, _submodule)
del _submodule

__all__ = ["make_dot", "Graph", "cython_extension", "data"]
