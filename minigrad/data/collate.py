"""Batching examples into Tensors, as torch.utils.data's default_collate and default_convert."""
import collections.abc
import re

import numpy as np

from .._dtypes import to_array
from ..tensor import Tensor

_NOT_NUMERIC = re.compile(r"[SaUO]")  # NumPy dtypes of strings and objects: no tensor for them


def _tensor(array):
    # np.stack / np.asarray made a fresh array: wrapped, not copied again
    return Tensor._wrap(to_array(np.ascontiguousarray(array), None), False)


def _is_namedtuple(value):
    return isinstance(value, tuple) and hasattr(value, "_fields")


def default_collate(batch):
    """One batch from a list of examples, as torch's default_collate: Tensors and NumPy arrays are
    stacked into a Tensor with a new first dimension (same dtype); Python floats become a float64
    Tensor, ints int64, bools bool; strings stay a list; dicts are collated per key, namedtuples per
    field, tuples and lists position by position (transposed). One difference: a tuple of fields
    gives a tuple (torch gives a list), so batches unpack the same either way.

    Example: ``default_collate([(np.zeros(3), 1), (np.ones(3), 2)])`` -> (Tensor (2, 3) float64, Tensor([1, 2]))
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        from .. import stack  # minigrad's top level, loaded by the time a batch is made

        return stack(batch)
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if _NOT_NUMERIC.search(elem.dtype.str):
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                            f"found {elem.dtype}")
        return _tensor(np.stack(batch))
    if isinstance(elem, (bool, int, float)):  # bool before int, as np.asarray keeps it bool
        return _tensor(np.asarray(batch, dtype=np.float64 if isinstance(elem, float) else None))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([example[key] for example in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:  # a Mapping that cannot be built from a dict
            return collated
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len(set(map(len, batch))) != 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        if isinstance(elem, tuple):
            return tuple(fields)
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem)}")


def default_convert(data):
    """Tensors for the NumPy arrays (and NumPy scalars) inside one example, without batching, as
    torch's default_convert (used when a DataLoader has batch_size=None): Python numbers, strings
    and other objects are left as they are; dicts, namedtuples and sequences are converted inside
    (a tuple gives a list, as torch).

    Example: ``default_convert({"x": np.zeros(2)})`` -> {"x": Tensor([0., 0.])}
    """
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        return data if _NOT_NUMERIC.search(data.dtype.str) else _tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
