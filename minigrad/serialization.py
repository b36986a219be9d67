"""mg.save / mg.load: state dicts in .npz files, never pickle.

Arrays are stored as npz members; the nesting around them (dicts, lists, numbers, strings, as in
an optimizer's state_dict) is stored as JSON in a member named ``__structure__``. Saving writes a
temporary file next to the target and renames it over the target, so a crash never leaves a
half-written checkpoint and never loses the previous one. Loading checks the archive (index, sizes,
CRCs) before trusting it and reads each array once, into its final buffer.
"""
import contextlib
import errno
import fcntl
import hashlib
import json
import math
import os
import secrets
import stat
import struct
import time
import zipfile
import zlib

import numpy as np

from . import _args, backend
from ._dtypes import to_array
from .tensor import Tensor

_STRUCTURE = "__structure__"


def save(obj, path):
    """Save a state dict (name -> Tensor/array, possibly nested in dicts and lists with numbers and
    strings) to ``path`` as .npz. Tensors on the GPU are copied to the host; nothing is moved.

    The file is written to a temporary file next to ``path`` and renamed over it: a failed or killed
    save leaves the previous file whole. A new file gets the mode the umask gives, an overwritten
    one keeps its mode. Temporary files that killed saves of the same ``path`` left are removed.
    Example: ``mg.save(model.state_dict(), "model.npz")``
    """
    arrays = {}
    structure = _encode(obj, arrays)
    arrays[_STRUCTURE] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    prefix = f".minigrad-{hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}-"
    _remove_stale_temporaries(directory, prefix)
    file, temporary = _create_temporary(directory, prefix, _mode_of(path))
    try:
        with file:
            np.savez(file, **arrays)
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


def load(path, device="cpu"):
    """Load what ``save`` wrote, with arrays as Tensors on ``device``. Files holding pickled
    objects are refused. A plain .npz (np.savez) loads as a dict of Tensors.

    A file that is not an .npz of numeric arrays (a .npy, an empty file, a PyTorch checkpoint, an
    HTML page saved by a failed download, a FIFO or a device) or a damaged one (a CRC or a zip index
    that does not match, a member declaring more data than the file holds) is a ValueError naming
    the path and what is wrong; a missing or unreadable file is an OSError. Each array is read
    straight into its final buffer: loading holds about one copy of the checkpoint.
    Example: ``model.load_state_dict(mg.load("model.npz"))``
    """
    device = backend.normalize_device(device)
    path = os.fspath(path)
    with _open_regular_file(path) as file:
        _check_npz_signature(path, file.read(8))
        file.seek(0)
        members = _read_members(path, file)
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


class _Refused(ValueError):
    """A ValueError that already names the path and the problem (not rewrapped as a zip error)."""


# np.savez writes stored members, np.savez_compressed deflated ones; deflate expands at most 1032:1
_MAX_EXPANSION = {zipfile.ZIP_STORED: 1, zipfile.ZIP_DEFLATED: 1032}
_READ_CHUNK = 1 << 20


def _read_members(path, file):
    """The arrays of the .npz open in ``file``, by member name; ValueError for anything else. The zip
    index is checked against the end-of-archive record and each member's sizes against the file
    before anything is allocated; reading each member to its end has zipfile check its CRC-32."""
    try:
        with zipfile.ZipFile(file) as archive:
            members = _check_index(path, file, archive)
            return {name[:-len(".npy")]: _read_array(path, archive, member) for name, member in members.items()}
    except _Refused:
        raise
    except ValueError as error:
        raise ValueError(f"{path} is a damaged .npz ({error})") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError,
            zlib.error, struct.error, OverflowError) as error:
        # zipfile's own words: "Bad CRC-32", "... is encrypted", "compression method 99" ...
        raise ValueError(f"{path} is a damaged or truncated .npz ({error})") from None


def _check_index(path, file, archive):
    """The archive's members by name, after checking that they are what an .npz holds and fit in the file."""
    listed = archive.infolist()
    # zipfile stops reading the central directory where its declared size ends, silently: a damaged
    # entry (a comment length, say) can hide the members after it
    declared = zipfile._EndRecData(file)[zipfile._ECD_ENTRIES_TOTAL]
    if len(listed) != declared:
        raise _Refused(f"{path} is a damaged .npz: its zip index lists {len(listed)} members but says it has {declared}")
    foreign = [member.filename for member in listed if not member.filename.endswith(".npy")]
    if foreign:
        hint = (" (a PyTorch .pt checkpoint? convert it where torch is installed: np.savez(npz_path, "
                "**{k: v.numpy() for k, v in torch.load(pt_path).items()}))"
                if any(name.endswith("data.pkl") for name in foreign) else "")
        raise _Refused(f"{path} is a zip archive but not an .npz: it holds {foreign[0]!r}, which is not "
                       f"a NumPy array{hint}")
    size = os.fstat(file.fileno()).st_size
    members = {}
    for member in listed:
        if member.filename in members:
            raise _Refused(f"{path} is a damaged .npz: member {member.filename!r} appears twice")
        expansion = _MAX_EXPANSION.get(member.compress_type)
        if expansion is None:
            raise _Refused(f"{path} is a damaged or unsupported .npz: member {member.filename!r} uses compression "
                           f"method {member.compress_type}, not one np.savez writes")
        if member.header_offset + member.compress_size > size or member.file_size > member.compress_size * expansion:
            raise _Refused(f"{path} is a damaged or truncated .npz: member {member.filename!r} declares more bytes "
                           "than the file holds")
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
        buffer, filled = memoryview(array.reshape(-1).view(np.uint8)), 0
        while filled < nbytes:
            count = stream.readinto(buffer[filled:filled + _READ_CHUNK])
            if not count:
                raise EOFError(f"member {name!r} ends after {filled} of its {nbytes} bytes")
            filled += count
        rest = len(stream.read())  # the end of the member: zipfile compares the CRC-32 here
        if rest:
            raise _Refused(f"{path} is a damaged .npz: member {name!r} has {rest} bytes after its array")
    return array.T if fortran_order else array


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
