"""One file per concept: its Op classes (arrays only), the lowercase functions users call, and their
argument checks. Importing a topic fills the op table (ops/_table.py) with its ``@tensor_method``
and ``@torch_function`` functions; ``functional.py`` re-exports each topic's ``__all__``.
A new topic is one import line here."""
from ._table import TENSOR_METHODS, TORCH_FUNCTIONS
from . import activation, attention, conv, distance, dropout, embedding, indexing, inplace, linear, loss, math  # noqa: F401
from . import fill, normalization, ordering, padding, pool, recurrent, reduction, resample, rounding, shape  # noqa: F401

# x.exp(), x.sum(), ...: bound here, once every topic above has filled the table (tensor.py imports
# this package at its end, so Tensor exists whichever of the two is imported first)
from ..tensor import Tensor as _Tensor  # noqa: E402

for _name, _method in TENSOR_METHODS.items():
    setattr(_Tensor, _name, _method)
