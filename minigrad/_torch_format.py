"""PyTorch's checkpoint format, read and written without torch, and the weights-only unpickler.

A checkpoint is a zip archive ``<name>/data.pkl`` (a pickle whose tensors refer to storages by
persistent id), ``<name>/data/<key>`` (each storage's raw bytes), ``<name>/byteorder`` and
``<name>/version``. Tensors are rebuilt as views (offset, shape, strides in elements) of one array
per storage, so tensors that share a storage in the file share memory after loading (on the CPU).
torch's legacy format (before 1.6: consecutive pickles, then the raw storages) is read too.

Weights-only loading (torch's design) unpickles with ``_WeightsOnlyUnpickler``: a global is only
looked up in an allow-list (torch's tensor/storage/dtype names, plain containers, minigrad's own
modules and optimizers, and what ``add_safe_globals`` adds); only rebuild functions and allowed
callables are called (REDUCE); only allowed classes are instantiated (NEWOBJ, without running their
``__init__``) and filled (BUILD). Anything else is refused before it is touched, so a crafted file
never runs code.
"""
import _compat_pickle
import contextlib
import io
import pickle
import zipfile
from collections import OrderedDict, defaultdict

import numpy as np

from . import backend
from ._dtypes import to_array
from .tensor import Tensor

# torch's storage classes by name, with the NumPy dtype of their elements; bfloat16 has none in
# NumPy: its storages are read as 16-bit words and widened to float32 (exact: bfloat16 is the top
# half of a float32)
_BFLOAT16 = "bfloat16"
_STORAGE_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
                   "BFloat16Storage": _BFLOAT16, "LongStorage": np.int64, "IntStorage": np.int32,
                   "ShortStorage": np.int16, "CharStorage": np.int8, "ByteStorage": np.uint8,
                   "BoolStorage": np.bool_, "UntypedStorage": np.uint8}
_TORCH_DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "bfloat16": np.float32,
                 "int64": np.int64, "int32": np.int32, "int16": np.int16, "int8": np.int8, "uint8": np.uint8,
                 "bool": np.bool_}
_STORAGE_NAMES = {np.dtype(dtype): name for name, dtype in _STORAGE_DTYPES.items()
                  if dtype is not _BFLOAT16 and name != "UntypedStorage"}
_DTYPE_NAMES = {np.dtype(dtype): name for name, dtype in _TORCH_DTYPES.items() if name != "bfloat16"}


class StorageType:
    """What ``torch.FloatStorage`` (and the other storage classes) stand for in a file."""

    def __init__(self, name):
        self.name, self.dtype = name, _STORAGE_DTYPES[name]

    def __repr__(self):
        return f"torch.{self.name}"


class _Storage:
    """One storage: a 1-D array, the device its tensors are on and, when writing, its key in the file."""

    def __init__(self, array, device, key=None):
        self.array, self.device, self.key = array, device, key


def _check_int(value, what):
    if type(value) is not int or value < 0:
        raise ValueError(f"{what} is {value!r:.60}, not an integer >= 0")
    return value


def _view(storage, offset, size, stride):
    """The strided view of ``storage`` that torch's (offset, size, stride) describe, in elements;
    checked to lie inside the storage (as_strided would read any memory)."""
    if not isinstance(storage, _Storage):
        raise ValueError(f"a tensor's storage is a {type(storage).__name__}, not a storage")
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise ValueError(f"a tensor has size {size} but stride {stride}")
    _check_int(offset, "a storage offset")
    for n, s in zip(size, stride):
        _check_int(n, "a tensor size"), _check_int(s, "a tensor stride")
    array = storage.array
    if 0 in size:
        return np.empty(size, array.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= array.size:
        raise ValueError(f"a tensor of size {size}, stride {stride} at offset {offset} reaches past its "
                         f"storage of {array.size} elements")
    return np.lib.stride_tricks.as_strided(array[offset:], size, tuple(s * array.itemsize for s in stride))


def _requires_grad(array, requires_grad):
    """torch's flag where minigrad allows it: float16 (storage only here) and integers never require grad."""
    return bool(requires_grad) and array.dtype in backend.FLOAT_DTYPES


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    """torch._utils._rebuild_tensor_v2: a Tensor viewing ``storage``."""
    array = backend.to_device(to_array(_view(storage, storage_offset, size, stride), None), storage.device)
    return Tensor._wrap(array, _requires_grad(array, requires_grad))


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None):
    """torch._utils._rebuild_parameter (and _with_state, whose state is only Python attributes)."""
    from .nn.module import Parameter

    if not isinstance(data, Tensor):
        raise ValueError(f"a parameter's data is a {type(data).__name__}, not a tensor")
    return Parameter._wrap(data._data, _requires_grad(data._data, requires_grad))


def _rebuild_array(storage, offset, shape, strides):
    """An array saved by mg.save (NumPy, or CuPy on the GPU): its view of ``storage``."""
    return backend.to_device(_view(storage, offset, shape, strides), storage.device)


def _device(kind, index=None):
    """torch.device(...) as minigrad's device."""
    return backend.device(kind if index is None else f"{kind}:{index}")


def _size(dims=()):
    """torch.Size(...) as a tuple (minigrad's shapes are tuples)."""
    return tuple(_check_int(n, "a torch.Size entry") for n in dims)


def _encode_latin1(text, encoding):
    """_codecs.encode as protocol 2 pickles bytes (``encode(text, "latin1")``); no other codec."""
    if encoding != "latin1" or not isinstance(text, str):
        raise ValueError(f"it encodes bytes with {encoding!r:.40}, not as pickle does ('latin1')")
    return text.encode("latin1")


# ---- the allow-list -------------------------------------------------------------------------------
# name in the file -> (object, may REDUCE call it)
_TORCH_GLOBALS = {
    "torch._utils._rebuild_tensor_v2": (_rebuild_tensor_v2, True),
    "torch._utils._rebuild_parameter": (_rebuild_parameter, True),
    "torch._utils._rebuild_parameter_with_state": (_rebuild_parameter, True),
    "torch.device": (_device, True),
    "torch.Size": (_size, True),
    **{f"torch.{name}": (StorageType(name), False) for name in _STORAGE_DTYPES},
    **{f"torch.{name}": (np.dtype(dtype), False) for name, dtype in _TORCH_DTYPES.items()},
    f"{__name__}._rebuild_array": (_rebuild_array, True),
}
_CONTAINER_GLOBALS = {"_codecs.encode": _encode_latin1, "collections.OrderedDict": OrderedDict,
                      "collections.defaultdict": defaultdict,
                      "builtins.set": set, "builtins.frozenset": frozenset, "builtins.dict": dict,
                      "builtins.list": list, "builtins.tuple": tuple, "builtins.slice": slice,
                      "builtins.complex": complex, "builtins.int": int, "builtins.float": float}

_user_safe_globals = []


def _qualified_name(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals):
    """Allow weights-only loading to rebuild these classes and call these functions, as torch's
    ``torch.serialization.add_safe_globals``: each entry is the object, or ``(object, "module.name")``
    for an object stored under another name. Example: ``add_safe_globals([MyNet])``"""
    for entry in safe_globals:
        obj, name = entry if isinstance(entry, tuple) else (entry, None)
        if name is None and not hasattr(obj, "__qualname__"):
            raise TypeError(f"add_safe_globals takes classes and functions (or (object, 'module.name') "
                            f"pairs), got {obj!r:.60}")
        _user_safe_globals.append(entry)


def get_safe_globals():
    """The entries ``add_safe_globals`` added (minigrad's own classes are always allowed)."""
    return list(_user_safe_globals)


def clear_safe_globals():
    """Forget every entry ``add_safe_globals`` added."""
    _user_safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """``with safe_globals([MyNet]): mg.load(path)`` allows them inside the block only."""
    before = list(_user_safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _user_safe_globals[:] = before


def _minigrad_classes():
    """minigrad's modules, optimizers and LR schedulers: their ``__init__`` is not run on loading, and
    filling their ``__dict__`` runs no code."""
    from . import optim
    from .nn.module import Module
    from .optim.lr_scheduler import LRScheduler

    classes, pending = {backend.device}, [Module, optim.Optimizer, LRScheduler]
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith("minigrad.") and cls not in classes:
            classes.add(cls)
            pending.extend(cls.__subclasses__())
    return {_qualified_name(cls): cls for cls in classes}


def _allowed():
    """name -> (object, callable by REDUCE) for every global weights-only loading may use now."""
    allowed = dict(_TORCH_GLOBALS)
    allowed.update((name, (obj, True)) for name, obj in _CONTAINER_GLOBALS.items())
    allowed.update((name, (cls, False)) for name, cls in _minigrad_classes().items())
    for entry in _user_safe_globals:
        obj, name = entry if isinstance(entry, tuple) else (entry, _qualified_name(entry))
        allowed[name] = (obj, True)
    return allowed


class Refused(ValueError):
    """A ValueError that already names the path and the problem (not reworded as damage)."""


class NoDevice(RuntimeError):
    """The file's tensors were saved on a device this machine lacks (torch raises a RuntimeError too)."""


class RefusedGlobal(pickle.UnpicklingError):
    """A weights-only load met a class or function that is not allowed; nothing of it was run."""


def _refusal(path, name, what):
    return RefusedGlobal(
        f"{path}: weights-only loading refused {what} {name}: only tensors, arrays, numbers, strings, "
        "containers and allowed classes are rebuilt. If you trust this file, allow it with "
        f"mg.serialization.add_safe_globals([{name}]) (or `with mg.serialization.safe_globals([...]):`), "
        "or load with weights_only=False, which runs whatever code the file holds")


class _WeightsOnlyUnpickler(pickle._Unpickler):
    """Python's own unpickler (the pure-Python one, whose opcodes can be overridden) with every opcode
    that looks up, calls or fills an object restricted to the allow-list; the protocol 0/1 instance
    opcodes (INST, OBJ) call constructors and are refused."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, path, persistent_load):
        super().__init__(file)
        self.path, self.persistent_load = path, persistent_load
        self.allowed = _allowed()
        self.callables = {id(obj) for obj, callable_ in self.allowed.values() if callable_}
        self.classes = {id(obj) for obj, _ in self.allowed.values() if isinstance(obj, type)}

    def find_class(self, module, name):
        if self.proto < 3:  # Python 2 names, as protocol 2 writes builtins (__builtin__.set)
            module, name = _compat_pickle.NAME_MAPPING.get((module, name), (module, name))
            module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        qualified = f"{module}.{name}"
        if qualified not in self.allowed:
            raise _refusal(self.path, qualified, "the global")
        return self.allowed[qualified][0]

    def _name(self, obj):
        return _qualified_name(obj) if hasattr(obj, "__qualname__") else repr(obj)

    def load_reduce(self):
        if id(self.stack[-2]) not in self.callables:
            raise _refusal(self.path, self._name(self.stack[-2]), "a call to")
        super().load_reduce()

    def load_newobj(self):
        if id(self.stack[-2]) not in self.classes:
            raise _refusal(self.path, self._name(self.stack[-2]), "creating a")
        super().load_newobj()

    def load_newobj_ex(self):
        if id(self.stack[-3]) not in self.classes:
            raise _refusal(self.path, self._name(self.stack[-3]), "creating a")
        super().load_newobj_ex()

    def load_build(self):
        instance = self.stack[-2]
        if isinstance(instance, type) or id(type(instance)) not in self.classes:
            raise _refusal(self.path, self._name(type(instance)), "setting the state of a")
        super().load_build()

    def load_instance_opcode(self):
        raise ValueError("it uses pickle's protocol 0/1 instance opcodes (INST/OBJ), which call constructors")

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.INST[0]] = load_instance_opcode
    dispatch[pickle.OBJ[0]] = load_instance_opcode


class _FullUnpickler(pickle.Unpickler):
    """weights_only=False: any global (torch's names map to minigrad's rebuilders): runs the file's code."""

    def find_class(self, module, name):
        known = _TORCH_GLOBALS.get(f"{module}.{name}")
        return known[0] if known else super().find_class(module, name)


def resolve_device(map_location, location):
    """minigrad's device for a storage saved at ``location`` ('cpu', 'cuda:0', ...) under torch's
    ``map_location`` rules: None keeps it, a device name moves everything there, a dict renames."""
    if isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif map_location is None:
        target = location
    elif isinstance(map_location, str):
        target = map_location
    else:
        raise TypeError(f"map_location must be None, a device name or a dict of device names, not "
                        f"{type(map_location).__name__}")
    return backend.normalize_device(target)


def read(path, archive, prefix, read_member, map_location, weights_only):
    """The object a torch checkpoint holds. ``read_member(member, dtype, count)`` reads one member
    into a new array of ``count`` elements (checked against the member's size and CRC)."""
    byteorder = b"little"
    if f"{prefix}byteorder" in archive.namelist():
        byteorder = archive.read(f"{prefix}byteorder").strip()
        if byteorder not in (b"little", b"big"):
            raise ValueError(f"its byteorder record says {byteorder[:20]!r}, not 'little' or 'big'")
    storages = {}

    def persistent_load(pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], StorageType) and isinstance(pid[2], str) and isinstance(pid[3], str)):
            raise ValueError(f"it refers to {pid!r:.100}, not to a storage as torch writes them")
        storage_type, key, location, count = pid[1:]
        _check_int(count, f"storage {key!r}'s size")
        if key not in storages:
            device = resolve_device(map_location, location)
            if device == "cuda" and not backend.cuda_is_available():
                raise NoDevice(f"{path} holds tensors saved on {location}, but no CUDA device is "
                               "available here: load with map_location='cpu'")
            storages[key] = _Storage(_read_storage(read_member, f"{prefix}data/{key}", storage_type.dtype,
                                                   count, byteorder), device)
        return storages[key]

    data = io.BytesIO(archive.read(f"{prefix}data.pkl"))
    if weights_only:
        return _WeightsOnlyUnpickler(data, path, persistent_load).load()
    unpickler = _FullUnpickler(data)
    unpickler.persistent_load = persistent_load
    return unpickler.load()


def read_legacy(path, file, map_location, weights_only):
    """The object a checkpoint in torch's legacy format holds (torch before 1.6, or
    _use_new_zipfile_serialization=False): pickles of a magic number, a protocol version and system
    information, the object's pickle, the list of its storage keys, then each storage as its element
    count (int64) and its little-endian bytes. Its tensors load onto the CPU."""
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    storages = {}

    def persistent_load(pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage" and isinstance(pid[1], StorageType)
                and isinstance(pid[2], str) and isinstance(pid[3], str) and pid[5] is None):
            raise ValueError(f"it refers to {pid!r:.100}, not to a storage as torch writes them")
        storage_type, key, location, count = pid[1:5]
        if resolve_device(map_location, location) != "cpu":
            raise Refused(f"{path} is in torch's legacy format, whose tensors mg.load reads onto the CPU only "
                          f"(it has tensors saved on {location}): load with map_location='cpu', then move them")
        _check_int(count, f"storage {key!r}'s size")
        dtype = np.dtype(np.float32 if storage_type.dtype is _BFLOAT16 else storage_type.dtype)
        if count * dtype.itemsize > size:
            raise ValueError(f"storage {key!r} declares {count} elements, more than the file holds")
        storages.setdefault(key, (_Storage(np.empty(count, dtype), "cpu"), storage_type.dtype))
        return storages[key][0]

    def unpickle(persistent_load):
        if weights_only:
            return _WeightsOnlyUnpickler(file, path, persistent_load).load()
        unpickler = _FullUnpickler(file)
        unpickler.persistent_load = persistent_load
        return unpickler.load()

    def no_storages(pid):
        raise ValueError(f"its header refers to {pid!r:.100}")

    for _ in range(3):  # the magic number (already checked), the protocol version, the system information
        unpickle(no_storages)
    loaded = unpickle(persistent_load)
    keys = unpickle(no_storages)
    if not isinstance(keys, list) or sorted(map(str, keys)) != sorted(storages):
        raise ValueError(f"its storage list {keys!r:.100} does not match the storages its tensors use")
    for key in keys:
        storage, stored_dtype = storages[key]
        if int.from_bytes(file.read(8), "little") != storage.array.size:
            raise ValueError(f"storage {key!r} does not start with its size")
        raw = np.empty(storage.array.size, np.uint16) if stored_dtype is _BFLOAT16 else storage.array
        read_into(file, raw, f"storage {key}")
        if stored_dtype is _BFLOAT16:
            np.left_shift(raw.astype(np.uint32), 16, out=storage.array.view(np.uint32))
    return loaded


def read_into(stream, array, name):
    """Read ``array.nbytes`` bytes of ``stream`` into ``array``, in chunks."""
    buffer, filled = memoryview(array.reshape(-1).view(np.uint8)), 0
    while filled < array.nbytes:
        count = stream.readinto(buffer[filled:filled + _READ_CHUNK])
        if not count:
            raise EOFError(f"{name} ends after {filled} of its {array.nbytes} bytes")
        filled += count


_READ_CHUNK = 1 << 20


def _read_storage(read_member, member, dtype, count, byteorder):
    stored = np.dtype(np.uint16 if dtype is _BFLOAT16 else dtype)
    array = read_member(member, stored.newbyteorder(">" if byteorder == b"big" else "<"), count)
    if dtype is _BFLOAT16:
        return (array.astype(np.uint32) << 16).view(np.float32)
    return array.astype(stored, copy=False)  # native byte order (a copy only for a big-endian file)


# ---- writing ---------------------------------------------------------------------------------------
class _Global:
    """A global written by name (torch's rebuilders, storage classes and dtypes): torch need not be
    importable to write a file that torch reads."""

    def __init__(self, qualified):
        self.module, _, self.name = qualified.rpartition(".")

    def __call__(self, *args):  # pickle's save_reduce checks that a reduce function is callable
        raise TypeError(f"{self.module}.{self.name} is only written to files, never called")


_WRITE_GLOBALS = {name: _Global(name) for name in (
    "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter", "torch.device",
    *(f"torch.{name}" for name in _STORAGE_DTYPES), *(f"torch.{name}" for name in _TORCH_DTYPES))}


class _Pickler(pickle._Pickler):
    """Pickles tensors and arrays as torch does: a rebuild call on a storage's persistent id; the
    storages are collected in ``storages`` (key -> contiguous 1-D array)."""

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages, self._keys, self._owners = {}, {}, []

    def save(self, obj, save_persistent_id=True):
        if isinstance(obj, np.generic):
            obj = obj.item()
        if isinstance(obj, np.dtype):
            if obj not in _DTYPE_NAMES:
                raise TypeError(f"mg.save cannot store dtype {obj}")
            obj = _WRITE_GLOBALS[f"torch.{_DTYPE_NAMES[obj]}"]
        if isinstance(obj, _Global):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            return
        super().save(obj, save_persistent_id)

    def persistent_id(self, obj):
        if not isinstance(obj, _Storage):
            return None
        return ("storage", _WRITE_GLOBALS[f"torch.{_STORAGE_NAMES[obj.array.dtype]}"], obj.key,
                "cpu" if obj.device == "cpu" else "cuda:0", obj.array.size)

    def reducer_override(self, obj):
        from .nn.module import Parameter

        if isinstance(obj, Parameter):
            return (_WRITE_GLOBALS["torch._utils._rebuild_parameter"],
                    (Tensor._wrap(obj._data, False), obj.requires_grad, OrderedDict()))
        if isinstance(obj, Tensor):
            return (_WRITE_GLOBALS["torch._utils._rebuild_tensor_v2"],
                    (*self._storage_view(obj._data), obj.requires_grad, OrderedDict()))
        if backend.is_array(obj):
            return _rebuild_array, self._storage_view(obj)
        if isinstance(obj, backend.device):
            return _WRITE_GLOBALS["torch.device"], (str(obj),)
        return NotImplemented

    def _storage_view(self, array):
        """(storage, offset, shape, strides) of ``array``, in elements: a view of the C-contiguous array
        it was cut from when its strides allow (storages shared in memory stay shared in the file),
        else of a contiguous copy."""
        device = backend.device_of(array)
        array = backend.to_device(array, "cpu")  # a GPU array's host copy is its own storage
        if array.dtype not in _STORAGE_NAMES:
            raise TypeError(f"mg.save cannot store an array of dtype {array.dtype}")
        owner = array
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        offset = array.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
        if (owner.dtype != array.dtype or not owner.flags.c_contiguous or offset % array.itemsize
                or any(s < 0 or s % array.itemsize for s in array.strides)):
            array = owner = np.ascontiguousarray(array)
            offset = 0
        if id(owner) not in self._keys:
            self._keys[id(owner)] = str(len(self.storages))
            self.storages[self._keys[id(owner)]] = owner.reshape(-1)
            self._owners.append(owner)  # alive until the dump ends: its id stays its own
        key = self._keys[id(owner)]
        strides = tuple(s // array.itemsize for s in array.strides)
        return _Storage(self.storages[key], device, key), offset // array.itemsize, tuple(array.shape), strides


def prepare(obj):
    """A function writing ``obj`` to a binary file as torch.save does (torch.load reads it); the
    pickle is made now, so that an object that cannot be saved fails before any file is touched."""
    data = io.BytesIO()
    pickler = _Pickler(data)
    pickler.dump(obj)

    def write(file):
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("archive/data.pkl", data.getvalue())
            archive.writestr("archive/byteorder", "little")
            for key, array in pickler.storages.items():
                with archive.open(f"archive/data/{key}", "w", force_zip64=array.nbytes >= 1 << 31) as member:
                    member.write(memoryview(array).cast("B"))
            archive.writestr("archive/version", "3\n")
    return write
