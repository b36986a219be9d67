"""mg.save / mg.load: PyTorch's checkpoint format, .npz state dicts and safetensors.

``mg.save(obj, f)`` writes what torch.save writes (a zip of a pickle and raw storages, which torch.load
reads too) unless ``f`` is a path ending in ``.npz`` (arrays as npz members, their nesting as JSON in a
member named ``__structure__``: state dicts only, no pickle) or ``.safetensors``. ``mg.load`` tells the
formats apart by their bytes. Pickles are read as torch's weights-only loading reads them (see
minigrad._torch_format): only tensors, arrays, numbers, strings, containers and allow-listed classes are
rebuilt; nothing in the file is run unless ``weights_only=False``.

Saving to a path writes a temporary file next to the target and renames it over the target, so a
crash never leaves a half-written checkpoint and never loses the previous one. Loading checks the
archive (index, sizes, CRCs) before trusting it and reads each array once, into its final buffer.
"""
import contextlib
import errno
import fcntl
import hashlib
import io
import json
import math
import os
import pickle
import secrets
import stat
import struct
import time
import zipfile
import zlib
from collections import OrderedDict

import numpy as np

from . import _args, _torch_format, backend
from ._dtypes import to_array
from ._torch_format import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals  # noqa: F401
from .tensor import Tensor

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals"]

_STRUCTURE = "__structure__"
_FORMATS = ("torch", "npz", "safetensors")


def save(obj, f, format=None, *, metadata=None):
    """Save ``obj`` to ``f`` (a path or a binary file object) as torch.save does.

    ``obj``: tensors, arrays, numbers, strings, None, lists, tuples, dicts (OrderedDicts), dtypes and
    devices, nested; whole modules and optimizers (``mg.save(model, "model.pt")``: ``mg.load`` rebuilds
    minigrad's own classes; a class of yours needs ``add_safe_globals``). Tensors that share memory
    share a storage in the file. Tensors on the GPU are copied to the host; nothing is moved.

    ``format``: "torch" (the default; torch.load reads the file), "npz" (the default for a path ending
    in .npz: a state dict of tensors and arrays nested in dicts and lists of numbers and strings, as
    NumPy arrays and JSON, no pickle) or "safetensors" (the default for .safetensors: a flat dict of
    name -> tensor, and ``metadata``, a dict of str -> str; needs the safetensors package).

    To a path, the file is written to a temporary file next to it and renamed over it: a failed or
    killed save leaves the previous file whole. A new file gets the mode the umask gives, an
    overwritten one keeps its mode. Temporary files that killed saves of the same path left are removed.
    Example: ``mg.save(model.state_dict(), "model.pt")``
    """
    is_path = isinstance(f, (str, bytes, os.PathLike))
    if not is_path and not hasattr(f, "write"):
        raise TypeError(f"mg.save writes to a path or a binary file object, not a {type(f).__name__}")
    if format is None:
        suffix = os.path.splitext(os.fsdecode(f))[1].lower() if is_path else ""
        format = {".npz": "npz", ".safetensors": "safetensors"}.get(suffix, "torch")
    if format not in _FORMATS:
        raise ValueError(f"unknown format {format!r}: expected one of {', '.join(map(repr, _FORMATS))}")
    if metadata is not None and format != "safetensors":
        raise ValueError(f"metadata= is stored by the safetensors format only, not by {format!r}")
    write = (_torch_format.prepare(obj) if format == "torch" else _prepare_npz(obj) if format == "npz"
             else _prepare_safetensors(obj, metadata))
    if is_path:
        _write_atomically(os.fspath(f), write)
    else:
        write(f)


def _prepare_npz(obj):
    """A function writing ``obj`` as an .npz to a binary file (checked and encoded now)."""
    arrays = {}
    structure = _encode(obj, arrays)
    arrays[_STRUCTURE] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    return lambda file: np.savez(file, **arrays)


def _safetensors_numpy():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError("the safetensors format needs the safetensors package: pip install "
                          "'minigrad[safetensors]' (or pip install safetensors)") from None
    return safetensors.numpy


def _prepare_safetensors(obj, metadata):
    """A function writing the flat dict ``obj`` (name -> tensor or array) in the safetensors format."""
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise TypeError("the safetensors format holds a flat dict of name (str) -> tensor")
    arrays = {}
    for name, value in obj.items():
        if not (isinstance(value, Tensor) or backend.is_array(value)):
            raise TypeError(f"the safetensors format holds tensors only; {name!r} is a {type(value).__name__}")
        arrays[name] = np.ascontiguousarray(backend.to_device(value._data if isinstance(value, Tensor) else value,
                                                              "cpu"))
    if metadata is not None and not (isinstance(metadata, dict)
                                     and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("metadata must be a dict of str -> str (safetensors' rule)")
    data = _safetensors_numpy().save(arrays, metadata=metadata)
    return lambda file: file.write(data)


def _write_atomically(path, write):
    """Call ``write(file)`` on a temporary file next to ``path``, then rename it over ``path``."""
    directory, name = os.path.split(os.path.abspath(path))
    prefix = f".minigrad-{hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}-"
    _remove_stale_temporaries(directory, prefix)
    file, temporary = _create_temporary(directory, prefix, _mode_of(path))
    try:
        with file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
            os.replace(temporary, path)  # before closing: the lock is held until the name is gone
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


# A save holds an exclusive flock on its temporary file from creation to rename; a killed save's lock
# is released by the kernel. The age bound covers the instant between creating the file and locking it.
_STALE_AFTER_S = 60


def _create_temporary(directory, prefix, mode):
    """A new locked file ``<prefix><random>.tmp`` in ``directory``, opened for writing, and its path.
    Created with mode 0o666 so that the umask (and a default ACL) apply, as to any new file; ``mode``
    (an overwritten file's) replaces that when given."""
    while True:
        temporary = os.path.join(directory, f"{prefix}{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            break
        except FileExistsError:
            continue
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if mode is not None:
            os.fchmod(fd, mode)
        return os.fdopen(fd, "wb"), temporary
    except BaseException:
        os.close(fd)
        os.unlink(temporary)
        raise


def _mode_of(path):
    """The permission bits of the regular file at ``path``, or None when there is none."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return stat.S_IMODE(status.st_mode) & 0o777 if stat.S_ISREG(status.st_mode) else None


def _remove_stale_temporaries(directory, prefix):
    """Remove the temporary files of this target that no live save holds (left by a killed save)."""
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        temporary = os.path.join(directory, name)
        try:
            fd = os.open(temporary, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            status = os.fstat(fd)
            if stat.S_ISREG(status.st_mode) and time.time() - status.st_mtime > _STALE_AFTER_S:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os.unlink(temporary)
        except OSError:  # BlockingIOError: a live save holds it; or it went away meanwhile
            pass
        finally:
            os.close(fd)


def load(f, map_location=None, weights_only=True, *, device=None):
    """Load what ``save`` (or torch.save, or safetensors) wrote to ``f``, a path or a binary file object.

    Tensors come back as Tensors (Parameters as Parameters) on the device they were saved from, or
    as ``map_location`` says: a device name for all, or a dict renaming saved devices
    (``{"cuda:0": "cpu"}``); ``device=`` is the older name of ``map_location``. The format is told by
    the file's bytes: PyTorch's zip checkpoint (``.pt``/``.pth`` from torch.save or mg.save), an .npz
    of mg.save or np.savez (a dict of Tensors), or a .safetensors file (an OrderedDict of Tensors whose
    ``metadata`` attribute is the file's metadata dict, {} when it has none).

    ``weights_only=True`` (the default, torch's rule): a pickle is read by an unpickler that rebuilds
    only tensors, arrays, numbers, strings, containers, dtypes, devices, minigrad's own modules and
    optimizers and what ``add_safe_globals`` allows; anything else is refused
    (``pickle.UnpicklingError`` naming the class) before any of its code runs. ``weights_only=False``
    unpickles anything: it runs whatever code the file holds, so use it only on files you trust.

    A file that is none of the formats (a .npy, an empty file, a text or HTML page saved by a failed
    download, a bare pickle, a FIFO or a device) or a damaged one (a CRC or a zip index that does not
    match, a member declaring more data than the file holds) is a ValueError naming the path and what
    it is; a missing or unreadable file is an OSError. Each array is read straight into its final
    buffer: loading a checkpoint holds about one copy of it.
    Example: ``model.load_state_dict(mg.load("model.pt"))``
    """
    if device is not None:
        if map_location is not None:
            raise TypeError("mg.load takes map_location or device (its older name), not both")
        map_location = device
    _torch_format.resolve_device(map_location, "cpu")  # a bad map_location fails before reading
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fspath(f)
        with _open_regular_file(path) as file:
            return _load_file(path, file, map_location, weights_only)
    if not hasattr(f, "read"):
        raise TypeError(f"mg.load reads a path or a binary file object, not a {type(f).__name__}")
    name = str(getattr(f, "name", "") or f"<{type(f).__name__}>")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load_file(name, f, map_location, weights_only)


def _load_file(path, file, map_location, weights_only):
    head = file.read(16)
    file.seek(-len(head), io.SEEK_CUR)
    if head.startswith(_ZIP_SIGNATURES):
        return _load_zip(path, file, map_location, weights_only)
    if _looks_like_safetensors(head, file):
        return _load_safetensors(path, file, map_location)
    if head.startswith(_LEGACY_TORCH_MAGIC):
        with _damage_named(path, "PyTorch checkpoint (torch's legacy format)"):
            return _torch_format.read_legacy(path, file, map_location, weights_only)
    _refuse_unknown(path, head)


def _load_zip(path, file, map_location, weights_only):
    with _damage_named(path, "zip archive"):
        archive = zipfile.ZipFile(file)
    with archive:
        with _damage_named(path, "zip archive"):
            members = _check_index(path, file, archive)
        if all(name.endswith(".npy") for name in members):
            with _damage_named(path, ".npz"):
                arrays = {name[:-len(".npy")]: _read_array(path, archive, member) for name, member in members.items()}
            return _npz_tree(path, arrays, _torch_format.resolve_device(map_location, "cpu"))
        pickles = [name for name in members if name.endswith("data.pkl") and name.count("/") <= 1
                   and name.rpartition("/")[2] == "data.pkl"]
        if len(pickles) != 1:
            other = next(name for name in members if not name.endswith(".npy"))
            raise _Refused(f"{path} is a zip archive but not a checkpoint: it holds {other!r}, and neither only "
                           f"NumPy arrays (an .npz) nor one data.pkl (a PyTorch checkpoint; it has {len(pickles)})")
        with _damage_named(path, "PyTorch checkpoint"):
            return _torch_format.read(path, archive, pickles[0][:-len("data.pkl")],
                                      _member_reader(archive, members), map_location, weights_only)


@contextlib.contextmanager
def _damage_named(path, kind):
    """Turns what reading a damaged file raises into one ValueError naming ``path``; refusals pass."""
    try:
        yield
    except (_torch_format.Refused, _torch_format.RefusedGlobal, _torch_format.NoDevice):
        raise
    except ValueError as error:
        raise ValueError(f"{path} is a damaged {kind} ({str(error)[:300]})") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError,
            zlib.error, struct.error, OverflowError, pickle.UnpicklingError, KeyError, IndexError, TypeError,
            AttributeError) as error:
        # zipfile's own words: "Bad CRC-32", "... is encrypted", "compression method 99" ...
        raise ValueError(f"{path} is a damaged or truncated {kind} ({type(error).__name__}: "
                         f"{str(error)[:300]})") from None


def _npz_tree(path, members, device):
    """The object an .npz's arrays and __structure__ describe (a dict of Tensors without one)."""
    structure = members.pop(_STRUCTURE, None)
    if structure is None:
        return {name: _tensor(array, device) for name, array in members.items()}
    try:
        tree = json.loads(structure.tobytes().decode())
        named = set()
        loaded = _decode(tree, members, device, named, 0)
        if named != members.keys():
            raise ValueError(f"the file holds arrays it does not name: {', '.join(sorted(members.keys() - named))}")
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        detail = ("nested too deeply" if isinstance(error, RecursionError) else
                  error.args[0] if isinstance(error, (ValueError, KeyError)) and error.args else type(error).__name__)
        raise ValueError(f"{path}: its {_STRUCTURE} member is damaged ({str(detail)[:200]}); the file was not "
                         "written by mg.save or has been altered") from None
    return loaded


def _looks_like_safetensors(head, file):
    """A safetensors file starts with its JSON header's length (8 bytes, little-endian) and the header."""
    if len(head) < 9 or head[8:9] != b"{":
        return False
    return 8 + int.from_bytes(head[:8], "little") <= _size_of(file)


def _size_of(file):
    position = file.tell()
    size = file.seek(0, io.SEEK_END)
    file.seek(position)
    return size


def _load_safetensors(path, file, map_location):
    """An OrderedDict of Tensors, with the file's metadata (str -> str) as its ``metadata`` attribute."""
    safetensors_numpy = _safetensors_numpy()
    data = file.read()
    try:
        arrays = safetensors_numpy.load(data)
        header = json.loads(data[8:8 + int.from_bytes(data[:8], "little")])
    except Exception as error:  # noqa: BLE001 - safetensors' own error types (SafetensorError, ...)
        raise ValueError(f"{path} is a damaged or unsupported .safetensors file ({type(error).__name__}: "
                         f"{str(error)[:300]})") from None
    device = _torch_format.resolve_device(map_location, "cpu")
    loaded = OrderedDict((name, _tensor(array, device)) for name, array in arrays.items())
    loaded.metadata = dict(header.get("__metadata__") or {})
    return loaded


_SPECIAL_FILES = ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
                  (stat.S_ISSOCK, "socket"))


def _refuse_special_file(path, mode):
    """A ValueError for a FIFO, device or socket (reading one could block forever or never end), an
    IsADirectoryError for a folder."""
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    for is_kind, kind in _SPECIAL_FILES:
        if is_kind(mode):
            raise ValueError(f"{path} is a {kind}, not a regular file: mg.load reads checkpoint files only")


def _open_regular_file(path):
    """``path`` opened for reading when it is a regular file. The file is checked before opening
    (opening a device can have effects) and again after, on what was opened, with O_NONBLOCK so that
    opening a FIFO returns at once."""
    _refuse_special_file(path, os.stat(path).st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        _refuse_special_file(path, os.fstat(fd).st_mode)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _tensor(array, device):
    """A Tensor around ``array``, freshly read, on ``device``: checked as Tensor() checks, not copied."""
    return Tensor._wrap(backend.to_device(to_array(array, None), device), False)


# An .npz is a zip archive, which starts with a local-file header (an empty one with its
# end-of-directory record).
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")


# torch.save's legacy format (torch < 1.6, or _use_new_zipfile_serialization=False) starts with
# a pickled magic number
_LEGACY_TORCH_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."


def _refuse_unknown(path, head):
    """Raise a ValueError saying what the file is: none of the formats mg.load reads."""
    if not head:
        raise ValueError(f"{path} is empty (0 bytes): not a checkpoint. Was the save interrupted or the "
                         "download incomplete?")
    if head.startswith(b"\x93NUMPY"):
        raise ValueError(f"{path} is a .npy file (one NumPy array), not an .npz state dict; read it with "
                         "np.load and wrap it with mg.tensor, or save state dicts with mg.save")
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):  # a pickle's protocol opcode
        raise ValueError(f"{path} is a bare Python pickle, not a checkpoint: mg.load reads PyTorch's zip "
                         "checkpoints, .npz and .safetensors files, never a pickle.dump'ed object (unsafe)")
    if head.lstrip()[:1] == b"<":
        raise ValueError(f"{path} is a text/HTML file, not a checkpoint; a download that returned a web page "
                         "(an error or login page) looks like this")
    if all(32 <= byte < 127 or byte in b"\t\r\n" for byte in head):
        raise ValueError(f"{path} is a text file (it starts with {head.decode()!r}), not a checkpoint")
    raise ValueError(f"{path} is not a checkpoint mg.load reads (a PyTorch zip, an .npz or a .safetensors "
                     f"file): it starts with bytes {head!r}")


_Refused = _torch_format.Refused


# np.savez writes stored members, np.savez_compressed deflated ones; deflate expands at most 1032:1
_MAX_EXPANSION = {zipfile.ZIP_STORED: 1, zipfile.ZIP_DEFLATED: 1032}


def _check_index(path, file, archive):
    """The archive's members by name, after checking that they are unique, use a compression method
    NumPy or torch write, and fit in the file."""
    listed = archive.infolist()
    # zipfile stops reading the central directory where its declared size ends, silently: a damaged
    # entry (a comment length, say) can hide the members after it
    declared = zipfile._EndRecData(file)[zipfile._ECD_ENTRIES_TOTAL]
    if len(listed) != declared:
        raise _Refused(f"{path} is a damaged zip archive: its zip index lists {len(listed)} members but says it "
                       f"has {declared}")
    size = _size_of(file)
    members = {}
    for member in listed:
        if member.filename in members:
            raise _Refused(f"{path} is a damaged zip archive: member {member.filename!r} appears twice")
        expansion = _MAX_EXPANSION.get(member.compress_type)
        if expansion is None:
            raise _Refused(f"{path} is a damaged or unsupported zip archive: member {member.filename!r} uses "
                           f"compression method {member.compress_type}, not one np.savez or torch.save writes")
        if member.header_offset + member.compress_size > size or member.file_size > member.compress_size * expansion:
            raise _Refused(f"{path} is a damaged or truncated zip archive: member {member.filename!r} declares "
                           "more bytes than the file holds")
        members[member.filename] = member
    return members


def _read_array(path, archive, member):
    """The array in one .npy member, read in chunks into a buffer allocated once its declared size is
    known to fit in the member."""
    name = member.filename[:-len(".npy")]
    with archive.open(member) as stream:
        try:
            version = np.lib.format.read_magic(stream)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}[version]
            shape, fortran_order, dtype = read_header(stream)
        except (ValueError, KeyError, SyntaxError):
            raise _Refused(f"{path} is a damaged .npz: member {name!r} is not a NumPy array") from None
        if dtype.hasobject:
            raise _Refused(f"{path} holds pickled Python objects; minigrad never unpickles (unsafe). "
                           "Re-save it with mg.save")
        if dtype.kind not in "iufb":
            raise _Refused(f"{path}: member {name!r} has dtype {dtype}; minigrad loads numeric and bool arrays only")
        nbytes = math.prod(shape) * dtype.itemsize
        room = member.file_size - stream.tell()
        if nbytes > room:
            raise _Refused(f"{path} is a damaged .npz: member {name!r} declares shape {shape} of {dtype} "
                           f"({nbytes} bytes), more than its {room} bytes can hold")
        array = np.empty(shape[::-1] if fortran_order else shape, dtype)
        _torch_format.read_into(stream, array, f"member {name!r}")
        rest = len(stream.read())  # the end of the member: zipfile compares the CRC-32 here
        if rest:
            raise _Refused(f"{path} is a damaged .npz: member {name!r} has {rest} bytes after its array")
    return array.T if fortran_order else array


def _member_reader(archive, members):
    """``read(name, dtype, count)``: the member ``name`` as a new array of ``count`` elements, which
    must be all it holds (its CRC-32 is checked)."""
    def read(name, dtype, count):
        member = members.get(name)
        if member is None:
            raise ValueError(f"it has no member {name!r} for a storage its data.pkl uses")
        if member.file_size != count * dtype.itemsize:
            raise ValueError(f"member {name!r} holds {member.file_size} bytes, but its storage of {count} "
                             f"{dtype} elements needs {count * dtype.itemsize}")
        array = np.empty(count, dtype)
        with archive.open(member) as stream:
            _torch_format.read_into(stream, array, f"member {name!r}")
            stream.read()  # the end of the member: zipfile compares the CRC-32 here
        return array
    return read


def _encode(obj, arrays):
    if isinstance(obj, Tensor) or isinstance(obj, np.ndarray) or hasattr(obj, "__cuda_array_interface__"):
        name = f"a{len(arrays)}"
        arrays[name] = backend.to_device(obj._data if isinstance(obj, Tensor) else obj, "cpu")
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


# a state dict is a few levels deep; the bound keeps a crafted structure from exhausting the stack
_MAX_DEPTH = 100


def _decode(node, members, device, named, depth):
    """The object ``node`` of the structure describes; ``named`` collects the members it uses."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"nested deeper than {_MAX_DEPTH} levels")
    if "array" in node:
        if node["array"] not in members:
            raise ValueError(f"no array {node['array']!r} in the file")
        named.add(node["array"])
        array = members[node["array"]]
        return _tensor(array, device) if node["tensor"] else backend.to_device(array, device)
    if "dict" in node:
        return {k: _decode(v, members, device, named, depth + 1) for k, v in node["dict"]}
    if "list" in node:
        return [_decode(v, members, device, named, depth + 1) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, members, device, named, depth + 1) for v in node["tuple"])
    return node["value"]
