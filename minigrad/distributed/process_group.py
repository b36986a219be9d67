"""The world process group on MPI and the collectives over it.

Arrays go to MPI through the buffer interface (``Allreduce``, ``Bcast``, ``Allgather``), never
pickled. Before each public collective the ranks exchange one integer: a checksum of what each one
passes (collective, op, dtype, shape) and whether its own arguments were valid. Any difference
raises the same clear error on every rank instead of a hang or garbage; DDP's bucket reductions,
whose shapes are checked once at construction, skip this exchange.

CuPy arrays use NCCL (``cupy.cuda.nccl``, from ``nccl_bindings()``) when CuPy has it, and
otherwise a host copy through MPI.
"""
import collections
import enum
import sys
import zlib

import numpy as np

from .. import _args, _random, backend
from ..tensor import Tensor

INSTALL_HINT = 'pip install "minigrad[distributed]"'


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' tensors (AVG: the sum divided by the world size)."""

    SUM = "sum"
    MAX = "max"
    MIN = "min"
    AVG = "avg"


class _Group:
    """The world communicator, the MPI module and the state collectives share."""

    def __init__(self, mpi):
        self.mpi = mpi
        self.comm = mpi.COMM_WORLD.Dup()  # our messages never match a user's own COMM_WORLD traffic
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.calls = collections.Counter()  # collectives started, by MPI name (tests count them)
        self.host = _MpiArrays(self)
        self.device = None  # the collectives of CuPy arrays, made on the first one
        self.previous_excepthook = None


_group = None


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(
            f"minigrad.distributed needs mpi4py and an MPI library, which are not installed ({error}). "
            f"Install them with `{INSTALL_HINT}`."
        ) from None
    return MPI


def init_process_group(backend="mpi"):
    """Join the world of processes started by ``mpiexec -n N``: rank and size come from MPI.

    Run without mpiexec, the world is one process (rank 0, size 1). With more than one process an
    uncaught exception on any rank prints its traceback and aborts the whole job (MPI_Abort), so a
    failing rank never leaves the others waiting in a collective. Dropout masks are keyed by the
    seed and the rank from here on (rank 0 draws what a single process draws).

    Example: ``dist.init_process_group(backend="mpi"); dist.get_world_size()`` -> 4 under mpiexec -n 4
    """
    global _group
    if backend not in ("mpi", None):
        raise ValueError(f"backend must be 'mpi' (the only backend minigrad has), got {backend!r}")
    if _group is not None:
        raise RuntimeError("the process group is already initialized; call destroy_process_group() before "
                           "init_process_group() again")
    group = _Group(_import_mpi())
    if group.size > 1:
        group.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught_exception
    _random.key_dropout_by_rank(group.rank)
    _group = group


def _abort_on_uncaught_exception(exc_type, exc, traceback):
    group = _group
    if group is None:  # the group was destroyed while this hook was still installed
        sys.__excepthook__(exc_type, exc, traceback)
        return
    # the error itself goes in the first line: on abort, mpiexec may drop output it has not forwarded yet
    print(f"minigrad.distributed: rank {group.rank} of {group.size} raised {exc_type.__name__}: {exc}; aborting "
          "the job (MPI_Abort)", file=sys.stderr, flush=True)
    group.previous_excepthook(exc_type, exc, traceback)
    sys.stderr.flush()
    group.mpi.COMM_WORLD.Abort(1)


def destroy_process_group():
    """Leave the process group (MPI itself is finalized at exit). Another init_process_group may follow."""
    global _group
    group = _require_group("destroy_process_group")
    if group.previous_excepthook is not None:
        sys.excepthook = group.previous_excepthook
    _random.key_dropout_by_rank(0)
    group.comm.Free()
    _group = None


def is_initialized():
    return _group is not None


def get_rank():
    """This process's rank, 0 .. world size - 1."""
    return _require_group("get_rank").rank


def get_world_size():
    return _require_group("get_world_size").size


def barrier(async_op=False):
    """Wait until every rank has reached this call. With async_op=True, return at once a handle
    whose ``is_completed()`` says whether all have, and ``wait()`` waits (a rank can then sleep
    between checks instead of spinning in MPI).

    Example: ``work = dist.barrier(async_op=True); while not work.is_completed(): time.sleep(0.01)``
    """
    group = _require_group("barrier")
    if not async_op:
        group.comm.Barrier()
        return None
    return _Work(group.comm.Ibarrier())


class _Work:
    """A started non-blocking operation (as torch's Work): ``is_completed()`` and ``wait()``."""

    def __init__(self, request):
        self._request, self._done = request, False

    def is_completed(self):
        self._done = self._done or self._request.Test()
        return self._done

    def wait(self):
        if not self._done:
            self._request.Wait()
            self._done = True
        return True


def _require_group(what):
    if _group is None:
        raise RuntimeError(f"{what}: the process group is not initialized; call "
                           "minigrad.distributed.init_process_group() first")
    return _group


# ---- collectives ---------------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM):
    """Combine ``tensor`` across ranks with ``op``, in place on every rank. Returns None, as torch.

    tensor: any shape, float32/float64 (integer dtypes for SUM, MAX and MIN), the same shape and
    dtype on every rank. Example: ``t = mg.ones(3); dist.all_reduce(t)`` -> t is world_size * ones
    """
    group = _require_group("all_reduce")
    problem = _tensor_problem(tensor, "tensor")
    if problem is None and not isinstance(op, ReduceOp):
        problem = f"op must be a dist.ReduceOp (SUM, MAX, MIN or AVG), got {op!r}"
    if problem is None and op is ReduceOp.AVG and tensor.dtype.kind != "f":
        problem = f"ReduceOp.AVG needs a float tensor, got {tensor.dtype}"
    _agree(group, "all_reduce", tensor, f"op={op}", problem)
    if group.size > 1:
        _in_place(tensor, lambda array: allreduce_array(group, array, op))


def broadcast(tensor, src=0):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank, in place.

    Example: ``dist.broadcast(model_weight, src=0)``
    """
    group = _require_group("broadcast")
    problem = _tensor_problem(tensor, "tensor")
    if problem is None and not (_args.is_int(src) and 0 <= src < group.size):
        problem = f"src must be a rank in [0, {group.size}), got {src!r}"
    _agree(group, "broadcast", tensor, f"src={src}", problem)
    if group.size > 1:
        _in_place(tensor, lambda array: broadcast_array(group, array, int(src)))


def all_gather(tensor_list, tensor):
    """Fill ``tensor_list[r]`` with rank r's ``tensor``, on every rank.

    tensor_list: a list of world-size tensors shaped and typed as ``tensor``, written in place.
    Example: ``parts = [mg.zeros(2) for _ in range(size)]; dist.all_gather(parts, mg.ones(2))``
    """
    group = _require_group("all_gather")
    problem = _tensor_problem(tensor, "tensor")
    if problem is None:
        problem = _gather_list_problem(tensor_list, tensor, group.size)
    _agree(group, "all_gather", tensor, "", problem)
    gathered = allgather_array(group, tensor.data)
    for target, part in zip(tensor_list, gathered):
        target.data[...] = part


def _tensor_problem(tensor, name):
    if not isinstance(tensor, Tensor):
        return f"{name} must be a Tensor, got {type(tensor).__name__}"
    if tensor.dtype.kind not in "fiu":
        return f"{name} must be a float or integer tensor, got {tensor.dtype}"
    return None


def _gather_list_problem(tensor_list, tensor, size):
    if not isinstance(tensor_list, list) or len(tensor_list) != size:
        length = len(tensor_list) if isinstance(tensor_list, list) else type(tensor_list).__name__
        return f"tensor_list must be a list of world_size={size} tensors, got {length}"
    for index, target in enumerate(tensor_list):
        if not isinstance(target, Tensor) or target.shape != tensor.shape or target.dtype != tensor.dtype \
                or target.device != tensor.device:
            found = (f"{target.dtype} {tuple(target.shape)} on {target.device}" if isinstance(target, Tensor)
                     else type(target).__name__)
            return (f"tensor_list[{index}] must be a {tensor.dtype} tensor of shape {tuple(tensor.shape)} on "
                    f"{tensor.device} like tensor, got {found}")
    return None


def _agree(group, what, tensor, detail, problem):
    """Raise the same error on every rank when any rank's arguments are invalid or the ranks pass
    different collectives, ops, dtypes or shapes. One small Allgather when all is well."""
    description = (f"{what} {detail} {tensor.dtype} {tuple(tensor.shape)} on {tensor.device}" if problem is None
                   else f"{what}: invalid arguments")
    reports = agree(group, description, problem)
    if reports is None:
        return
    failing = [f"rank {rank}: {p}" for rank, (_, p) in enumerate(reports) if p is not None]
    if failing:
        raise ValueError(f"{what}: " + "; ".join(failing))
    raise ValueError(f"{what}: the ranks passed different tensors or arguments (each rank must pass the same "
                     "shape, dtype and arguments): "
                     + "; ".join(f"rank {rank}: {d}" for rank, (d, _) in enumerate(reports)))


def agree(group, description, problem=None):
    """None when every rank has the same ``description`` and no ``problem`` (a string saying what is
    wrong with this rank's arguments); otherwise every rank's (description, problem), in rank order,
    on every rank. Costs one Allgather of two integers when all is well."""
    mine = np.array([zlib.crc32(description.encode()), problem is not None], dtype=np.int64)
    if group.size == 1:
        everyone = mine[None]
    else:
        everyone = np.empty((group.size, 2), dtype=np.int64)
        group.comm.Allgather(mine, everyone)
    if (everyone[:, 0] == everyone[0, 0]).all() and not everyone[:, 1].any():
        return None
    # the error path only: the ranks' descriptions and problems, pickled
    return [(description, problem)] if group.size == 1 else group.comm.allgather((description, problem))


def _in_place(tensor, collective):
    """Run ``collective`` on a contiguous array holding tensor's values and copy the result back."""
    array = tensor.data
    work = array if array.flags.c_contiguous else backend.array_module(array).ascontiguousarray(array)
    collective(work)
    if work is not array:
        array[...] = work


# ---- array collectives (NumPy through MPI buffers; CuPy through NCCL or a host copy) -------------
# One object per kind of array does the transfers: _MpiArrays for NumPy, and for CuPy either
# _NcclArrays (device pointers, ordered on the current stream) or _HostCopyArrays (MPI on host
# copies). The callers below never branch on the kind.
def nccl_bindings():
    """The NCCL bindings CuPy arrays go through (``cupy.cuda.nccl``), or None: host copies instead.
    The one factory of NCCL communicators; tests replace it with a stand-in of the same API."""
    return backend.nccl_or_none()


def _arrays(group, array):
    """The collectives object for ``array``'s kind (made on first use, for all later calls)."""
    if isinstance(array, np.ndarray):
        return group.host
    if group.device is None:
        nccl = nccl_bindings()
        group.device = _HostCopyArrays(group) if nccl is None else _NcclArrays(group, nccl)
    return group.device


def allreduce_array(group, array, op=ReduceOp.SUM):
    """In place on a contiguous array (no checks: for callers whose ranks agree on the shapes)."""
    if group.size > 1:
        start_allreduce(group, array, op).wait()


def allgather_array(group, array):
    """(world size, *array.shape): every rank's array, in rank order (no checks, as allreduce_array)."""
    if group.size == 1:
        return array[None]
    group.calls["Allgather"] += 1
    return _arrays(group, array).allgather(backend.array_module(array).ascontiguousarray(array))


def start_allreduce(group, array, op=ReduceOp.SUM):
    """Start a non-blocking in-place allreduce of a contiguous array; ``.wait()`` on the result
    finishes it (AVG divides by the world size there)."""
    group.calls["Iallreduce"] += 1
    return _arrays(group, array).start_allreduce(array, op)


def broadcast_array(group, array, src):
    """In place on a contiguous array (no checks, as allreduce_array)."""
    group.calls["Bcast"] += 1
    _arrays(group, array).broadcast(array, src)


class _Pending:
    """A started allreduce: ``wait()`` completes it and leaves the result in the array."""

    __slots__ = ("request", "array", "op", "size", "host")

    def __init__(self, request, array, op, size, host=None):
        self.request, self.array, self.op, self.size, self.host = request, array, op, size, host

    def test(self):
        """Let MPI progress the message (MPICH moves non-blocking collectives inside MPI calls)."""
        return self.request is None or self.request.Test()

    def wait(self):
        if self.request is not None:
            self.request.Wait()
        if self.host is not None:
            self.array[...] = backend.to_device(self.host, "cuda")
        if self.op is ReduceOp.AVG:
            self.array /= self.size
        return self.array


class _MpiArrays:
    """NumPy arrays through MPI's buffer interface."""

    def __init__(self, group):
        self.group = group
        mpi = group.mpi
        self.ops = {ReduceOp.SUM: mpi.SUM, ReduceOp.AVG: mpi.SUM, ReduceOp.MAX: mpi.MAX, ReduceOp.MIN: mpi.MIN}

    def start_allreduce(self, array, op):
        return _Pending(self._iallreduce(array, op), array, op, self.group.size)

    def _iallreduce(self, array, op):
        return self.group.comm.Iallreduce(self.group.mpi.IN_PLACE, array, op=self.ops[op])

    def broadcast(self, array, src):
        self.group.comm.Bcast(array, root=src)

    def allgather(self, array):
        out = np.empty((self.group.size,) + array.shape, dtype=array.dtype)
        self.group.comm.Allgather(array, out)
        return out


class _HostCopyArrays(_MpiArrays):
    """CuPy arrays without NCCL: each collective copies to the host, goes through MPI, copies back."""

    def start_allreduce(self, array, op):
        host = backend.to_device(array, "cpu")
        return _Pending(self._iallreduce(host, op), array, op, self.group.size, host=host)

    def broadcast(self, array, src):
        host = backend.to_device(array, "cpu")
        super().broadcast(host, src)
        array[...] = backend.to_device(host, "cuda")

    def allgather(self, array):
        return backend.to_device(super().allgather(backend.to_device(array, "cpu")), "cuda")


class _NcclArrays:
    """CuPy arrays through NCCL, one GPU per rank: device pointers, element counts and NCCL's dtype
    and op codes, ordered on the current stream (later kernels see the results)."""

    def __init__(self, group, nccl):
        self.size = group.size
        unique_id = nccl.get_unique_id() if group.rank == 0 else None
        unique_id = group.comm.bcast(unique_id, root=0)  # once, a small tuple
        self.communicator = nccl.NcclCommunicator(group.size, unique_id, group.rank)
        self.dtypes = {np.dtype(np.float32): nccl.NCCL_FLOAT32, np.dtype(np.float64): nccl.NCCL_FLOAT64,
                       np.dtype(np.int64): nccl.NCCL_INT64, np.dtype(np.int32): nccl.NCCL_INT32}
        self.ops = {ReduceOp.SUM: nccl.NCCL_SUM, ReduceOp.AVG: nccl.NCCL_SUM, ReduceOp.MAX: nccl.NCCL_MAX,
                    ReduceOp.MIN: nccl.NCCL_MIN}

    def _dtype(self, array):
        if array.dtype not in self.dtypes:
            raise TypeError(f"NCCL collectives take float32, float64, int32 or int64 arrays, got {array.dtype}")
        return self.dtypes[array.dtype]

    def start_allreduce(self, array, op):
        self.communicator.allReduce(array.data.ptr, array.data.ptr, array.size, self._dtype(array), self.ops[op],
                                    backend.current_stream_pointer())
        return _Pending(None, array, op, self.size)

    def broadcast(self, array, src):
        self.communicator.bcast(array.data.ptr, array.size, self._dtype(array), src, backend.current_stream_pointer())

    def allgather(self, array):
        out = backend.array_module(array).empty((self.size,) + array.shape, dtype=array.dtype)
        self.communicator.allGather(array.data.ptr, out.data.ptr, array.size, self._dtype(array),
                                    backend.current_stream_pointer())
        return out


def world():
    """The initialized group (for DDP and SyncBatchNorm), or None outside a process group."""
    return _group
