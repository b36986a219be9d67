"""torch's legacy tensor types, ``mg.FloatTensor``, ``mg.LongTensor``, ...: constructors of CPU tensors
of one dtype, and ``isinstance`` checks for them, as torch's.

Example::

    mg.FloatTensor([1, 2])                      # tensor([1., 2.]): data, as float32
    mg.FloatTensor(2, 3).shape                  # (2, 3), uninitialised (as mg.empty)
    isinstance(mg.zeros(2), mg.FloatTensor)     # True: a CPU float32 tensor
"""
import numpy as np

from . import _args
from ._dtypes import TYPE_NAMES, resolve_dtype
from .creation import empty, tensor
from .tensor import Tensor


class LegacyTensorType:
    """``<Name>Tensor``: calling it makes a CPU tensor of ``dtype``; ``isinstance(x, it)`` is True for a
    CPU tensor of that dtype. Not a class: ``type(mg.FloatTensor([1]))`` is ``mg.Tensor``, as in torch."""

    def __init__(self, dtype):
        self.dtype = resolve_dtype(dtype)
        self.__name__ = f"{TYPE_NAMES[self.dtype]}Tensor"

    def __call__(self, *args):
        """No arguments: an empty (0,) tensor; sizes (ints): an uninitialised tensor of that shape;
        one sequence or array: a tensor of those values; one Tensor of this dtype: that tensor."""
        if not args:
            return empty(0, dtype=self.dtype)
        if all(_args.is_int(a) for a in args):
            return empty(*args, dtype=self.dtype)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != self.dtype or args[0].device != "cpu":
                raise TypeError(f"{self.__name__}() of a {args[0].dtype} tensor on {args[0].device}: convert it "
                                f"with .to({self.dtype}) instead")
            return args[0]
        if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
            return tensor(args[0], dtype=self.dtype)
        raise TypeError(f"{self.__name__}() takes sizes (ints) or one sequence of values, got "
                        f"{', '.join(type(a).__name__ for a in args)}")

    def __instancecheck__(self, obj):
        return isinstance(obj, Tensor) and obj.dtype == self.dtype and obj.device == "cpu"

    def __repr__(self):
        return f"<legacy tensor type {self.__name__}: CPU {self.dtype} tensors>"


FloatTensor = LegacyTensorType("float32")
DoubleTensor = LegacyTensorType("float64")
LongTensor = LegacyTensorType("int64")
IntTensor = LegacyTensorType("int32")
BoolTensor = LegacyTensorType("bool")
ByteTensor = LegacyTensorType("uint8")
