"""mg.save / mg.load: state dicts in .npz files, never pickle.

Arrays are stored as npz members; the nesting around them (dicts, lists, numbers, strings, as in
an optimizer's state_dict) is stored as JSON in a member named ``__structure__``. Saving writes a
temporary file next to the target and renames it over the target, so a crash never leaves a
half-written checkpoint and never loses the previous one.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

from . import backend
from .tensor import Tensor

_STRUCTURE = "__structure__"


def save(obj, path):
    """Save a state dict (name -> Tensor/array, possibly nested in dicts and lists with numbers and
    strings) to ``path`` as .npz. Tensors on the GPU are copied to the host; nothing is moved.

    Example: ``mg.save(model.state_dict(), "model.npz")``
    """
    arrays = {}
    structure = _encode(obj, arrays)
    arrays[_STRUCTURE] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".minigrad-", suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load(path, device="cpu"):
    """Load what ``save`` wrote, with arrays as Tensors on ``device``. Files holding pickled
    objects are refused. A plain .npz (np.savez) loads as a dict of Tensors."""
    device = backend.normalize_device(device)
    try:
        with np.load(os.fspath(path), allow_pickle=False) as data:
            members = {name: data[name] for name in data.files}
    except ValueError as error:
        if "allow_pickle" in str(error) or "pickle" in str(error).lower():
            raise ValueError(f"{path} holds pickled Python objects; minigrad never unpickles (unsafe). "
                             "Re-save it with mg.save") from None
        raise
    except zipfile.BadZipFile:
        raise ValueError(f"{path} is not an .npz file") from None
    structure = members.pop(_STRUCTURE, None)
    if structure is None:
        return {name: Tensor(array, device=device) for name, array in members.items()}
    return _decode(json.loads(structure.tobytes().decode()), members, device)


def _encode(obj, arrays):
    if isinstance(obj, Tensor) or isinstance(obj, np.ndarray) or hasattr(obj, "__cuda_array_interface__"):
        name = f"a{len(arrays)}"
        arrays[name] = backend.to_device(obj.data if isinstance(obj, Tensor) else obj, "cpu")
        if arrays[name].dtype.kind not in "iufb":
            raise TypeError(f"cannot save an array of dtype {arrays[name].dtype}")
        return {"array": name, "tensor": isinstance(obj, Tensor)}
    if isinstance(obj, dict):
        return {"dict": [[_encode_key(k), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return {"list" if isinstance(obj, list) else "tuple": [_encode(v, arrays) for v in obj]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if isinstance(obj, np.generic):
        return {"value": obj.item()}
    raise TypeError(f"mg.save stores tensors, arrays, numbers, strings, lists and dicts, not {type(obj).__name__}")


def _encode_key(key):
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise TypeError(f"mg.save needs str or int dict keys, got {type(key).__name__}")
    return key


def _decode(node, members, device):
    if "array" in node:
        array = members[node["array"]]
        return Tensor(array, device=device) if node["tensor"] else backend.to_device(array, device)
    if "dict" in node:
        return {k: _decode(v, members, device) for k, v in node["dict"]}
    if "list" in node:
        return [_decode(v, members, device) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, members, device) for v in node["tuple"])
    return node["value"]
