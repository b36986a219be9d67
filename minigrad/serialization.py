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

from . import _args, backend
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
    objects are refused. A plain .npz (np.savez) loads as a dict of Tensors.

    A file that is not an .npz of numeric arrays (a .npy, an empty file, a PyTorch checkpoint, an
    HTML page saved by a failed download) is a ValueError naming the path and what the file is; a
    missing or unreadable file is an OSError.
    Example: ``model.load_state_dict(mg.load("model.npz"))``
    """
    device = backend.normalize_device(device)
    path = os.fspath(path)
    with open(path, "rb") as file:
        _check_npz_signature(path, file.read(8))
        file.seek(0)
        members = _read_members(path, file)
    structure = members.pop(_STRUCTURE, None)
    if structure is None:
        return {name: Tensor(array, device=device) for name, array in members.items()}
    try:
        return _decode(json.loads(structure.tobytes().decode()), members, device)
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{path}: its {_STRUCTURE} member is damaged; the file was not written by "
                         "mg.save or has been altered") from None


# An .npz is a zip archive, which starts with a local-file header (an empty one with its
# end-of-directory record).
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


def _check_npz_signature(path, head):
    """Raise a ValueError saying what the file is when its first bytes are not a zip archive's."""
    if head.startswith(_ZIP_SIGNATURES):
        return
    if not head:
        raise ValueError(f"{path} is empty (0 bytes): not a checkpoint. Was the save interrupted or the "
                         "download incomplete?")
    if head.startswith(b"\x93NUMPY"):
        raise ValueError(f"{path} is a .npy file (one NumPy array), not an .npz state dict; read it with "
                         "np.load and wrap it with mg.tensor, or save state dicts with mg.save")
    if head.lstrip()[:1] == b"<":
        raise ValueError(f"{path} is a text/HTML file, not an .npz; a download that returned a web page "
                         "(an error or login page) looks like this")
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):  # a pickle's protocol opcode
        raise ValueError(f"{path} is a Python pickle, not an .npz; minigrad never unpickles (unsafe)")
    raise ValueError(f"{path} is not an .npz file (it starts with bytes {head!r}, not a zip archive's)")


def _read_members(path, file):
    """The arrays of the .npz open in ``file``, by member name; ValueError for anything else."""
    try:
        with np.load(file, allow_pickle=False) as archive:
            foreign = [name for name in archive.zip.namelist() if not name.endswith(".npy")]
            members = {} if foreign else {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise ValueError(f"{path} holds pickled Python objects; minigrad never unpickles (unsafe). "
                             "Re-save it with mg.save") from None
        raise ValueError(f"{path} is a damaged .npz ({error})") from None
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"{path} is a damaged or truncated .npz ({error})") from None
    if foreign:
        hint = (" (a PyTorch .pt checkpoint? convert it where torch is installed: np.savez(npz_path, "
                "**{k: v.numpy() for k, v in torch.load(pt_path).items()}))"
                if any(name.endswith("data.pkl") for name in foreign) else "")
        raise ValueError(f"{path} is a zip archive but not an .npz: it holds {foreign[0]!r}, which is not "
                         f"a NumPy array{hint}")
    for name, array in members.items():
        if not isinstance(array, np.ndarray):  # NpzFile hands back the raw bytes of a member without a .npy header
            raise ValueError(f"{path} is a damaged .npz: member {name!r} is not a NumPy array")
        if array.dtype.kind not in "iufb":
            raise ValueError(f"{path}: member {name!r} has dtype {array.dtype}; minigrad loads numeric "
                             "and bool arrays only")
    return members


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
    if isinstance(key, str):
        return key
    if not _args.is_int(key):
        raise TypeError(f"mg.save needs str or int dict keys, got {type(key).__name__}")
    return int(key)  # a NumPy integer key is stored as the int it equals (JSON has no int64)


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
