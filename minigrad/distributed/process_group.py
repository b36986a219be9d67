"""The world process group on MPI and the collectives over it.

Arrays go to MPI through the buffer interface (``Iallreduce``, ``Ibcast``, ``Iallgather``), never
pickled. CuPy arrays use NCCL (``cupy.cuda.nccl``, from ``nccl_bindings()``) when CuPy has it, and
otherwise a host copy through MPI.

Every collective starts with a check-in: one ``Iallgather`` of two integers per rank, a checksum
of (sequence number, collective, the line that called it, op, dtype, shape) and whether the
rank's own arguments are valid. The k-th check-in of one rank always meets the k-th of the others
(the same message whatever the collective), so a rank that skipped or added a collective, or
called another one, is reported on every rank (``DistDesyncError``, naming what each rank called)
before any data moves; invalid or different arguments to the same collective raise ``ValueError``
on every rank. Every MPI request is then polled against the process group's timeout (spinning
briefly, then sleeping between polls, so a waiting rank leaves its core to others); on expiry
``DistTimeoutError`` names the collective, the rank, the sequence number and the last collective
every rank completed, and the job aborts.
"""
import atexit
import collections
import datetime
import enum
import os
import sys
import time
import zlib

import numpy as np

from .. import _args, _random, backend
from ..tensor import Tensor

INSTALL_HINT = 'pip install "minigrad[distributed]"'
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # torch's default for its non-NCCL backends
# A wait polls MPI (MPICH moves a message only inside MPI calls), yielding the core between polls
# for a while, then sleeping between polls so that a long wait costs no core. Data moves after
# every rank checked in, so its waits are short unless a message needs many rounds: they poll longer.
_CHECK_IN_SPIN_S = 0.02
_DATA_SPIN_S = 1.0
_LONGEST_NAP_S = 1e-3  # the sleeps double up to this


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' tensors (AVG: the sum divided by the world size)."""

    SUM = "sum"
    MAX = "max"
    MIN = "min"
    AVG = "avg"


class DistError(RuntimeError):
    """A distributed operation failed (torch.distributed.DistError)."""


class DistBackendError(DistError):
    """A collective failed (torch.distributed.DistBackendError)."""


class DistTimeoutError(DistBackendError):
    """A collective did not complete within the process group's timeout. The process group cannot
    be used after it, and the job aborts (MPI_Abort) when this rank exits."""


class DistDesyncError(DistBackendError):
    """The ranks reached different collectives (one skipped, added or reordered one). Raised on
    every rank, at the same collective, before any data moved."""


class _Group:
    """The world communicator, the MPI module and the state collectives share."""

    def __init__(self, mpi, timeout_s):
        self.mpi = mpi
        self.comm = mpi.COMM_WORLD.Dup()  # our messages never match a user's own COMM_WORLD traffic
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        self.timeout_s = timeout_s
        self.calls = collections.Counter()  # collectives started, by MPI name (tests count them)
        self.host = _MpiArrays(self)
        self.device = None  # the collectives of CuPy arrays, made on the first one
        self.sequence = 0  # check-ins started; every rank's k-th meets the others' k-th
        self.last_agreed = "none yet"  # the latest check-in every rank agreed on, for the timeout report
        self.failed = None  # the timeout that left an MPI request pending: later collectives refuse
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


def init_process_group(backend="mpi", *, timeout=None):
    """Join the world of processes started by ``mpiexec -n N``: rank and size come from MPI.

    Run without mpiexec, the world is one process (rank 0, size 1). ``timeout`` (a
    ``datetime.timedelta``, default 30 minutes as torch) bounds every collective: a rank that waits
    longer for the others raises ``DistTimeoutError`` and the job aborts. With more than one
    process any end of a rank aborts the whole job (MPI_Abort) unless every rank ends together: an
    uncaught exception prints its traceback first; ``sys.exit`` or the end of the script checks in
    with the others (up to the timeout) as a collective named ``exit``, so ranks still waiting in a
    collective are told instead of left waiting. Dropout masks are keyed by the seed and the rank
    from here on (rank 0 draws what a single process draws).

    Example: ``dist.init_process_group(backend="mpi", timeout=timedelta(minutes=5))``
    """
    global _group
    if backend not in ("mpi", None):
        raise ValueError(f"backend must be 'mpi' (the only backend minigrad has), got {backend!r}")
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    if not isinstance(timeout, datetime.timedelta) or timeout.total_seconds() <= 0:
        raise ValueError(f"init_process_group: timeout must be a positive datetime.timedelta, got {timeout!r}")
    if _group is not None:
        raise RuntimeError("the process group is already initialized; call destroy_process_group() before "
                           "init_process_group() again")
    group = _Group(_import_mpi(), timeout.total_seconds())
    if group.size > 1:
        group.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught_exception
        atexit.register(_check_out_at_exit)
    _random.key_dropout_by_rank(group.rank)
    _group = group


def _announce_abort(group, message):
    # the error itself goes in the first line: on abort, mpiexec may drop output it has not forwarded yet
    print(f"minigrad.distributed: rank {group.rank} of {group.size}: {message}; aborting the job (MPI_Abort)",
          file=sys.stderr, flush=True)


def _abort_on_uncaught_exception(exc_type, exc, traceback):
    group = _group
    if group is None:  # the group was destroyed while this hook was still installed
        sys.__excepthook__(exc_type, exc, traceback)
        return
    _announce_abort(group, f"raised {exc_type.__name__}: {exc}")
    group.previous_excepthook(exc_type, exc, traceback)
    sys.stderr.flush()
    group.mpi.COMM_WORLD.Abort(1)


def _check_out_at_exit():
    """At interpreter exit (the script's end, sys.exit, SystemExit) with the group still up: the
    ranks that all end here finish normally; a rank the others wait for in a collective is told
    (a desync report on both sides), and a timeout or an earlier failure aborts the job."""
    group = _group
    if group is None:
        return
    if group.failed is None:
        try:
            check_in(group, "exit", "the end of the program or sys.exit, without destroy_process_group()")
            return
        except DistError as error:
            problem = f"{type(error).__name__}: {error}"
    else:
        problem = f"the process group failed earlier ({group.failed})"
    _announce_abort(group, f"at exit: {problem}")
    group.mpi.COMM_WORLD.Abort(1)


def destroy_process_group():
    """Leave the process group (MPI itself is finalized at exit). Another init_process_group may
    follow. A collective: every rank calls it, so a rank that still expects a collective is told."""
    global _group
    group = _require_group("destroy_process_group")
    check_in(group, "destroy_process_group", "")
    if group.previous_excepthook is not None:
        sys.excepthook = group.previous_excepthook
        atexit.unregister(_check_out_at_exit)
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
    checking = start_check_in(group, "barrier", _caller())  # all ranks reaching it is what a barrier is
    if not async_op:
        raise_if_they_differ(checking.wait(), "barrier")
        return None
    return _Work(checking)


class _Work:
    """A started non-blocking operation (as torch's Work): ``is_completed()`` and ``wait()``."""

    def __init__(self, checking):
        self._checking = checking

    def is_completed(self):
        return self._checking.test()

    def wait(self):
        raise_if_they_differ(self._checking.wait(), "barrier")
        return True


def _require_group(what):
    if _group is None:
        raise RuntimeError(f"{what}: the process group is not initialized; call "
                           "minigrad.distributed.init_process_group() first")
    return _group


def _caller():
    """Where the public collective was called from (two frames up): one line on every rank, unless
    a rank added or skipped a call, which this tells apart from a same-shape call elsewhere."""
    code_frame = sys._getframe(2)
    code = code_frame.f_code
    return f"{os.path.basename(code.co_filename)}:{code_frame.f_lineno} in {code.co_name}"


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
    check_in(group, "all_reduce", _caller(), _arguments(tensor, f"op={op}", problem), problem)
    if group.size > 1:
        _in_place(tensor, lambda array: start_allreduce(group, array, op, "all_reduce").wait())


def broadcast(tensor, src=0):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank, in place.

    Example: ``dist.broadcast(model_weight, src=0)``
    """
    group = _require_group("broadcast")
    problem = _tensor_problem(tensor, "tensor")
    if problem is None and not (_args.is_int(src) and 0 <= src < group.size):
        problem = f"src must be a rank in [0, {group.size}), got {src!r}"
    check_in(group, "broadcast", _caller(), _arguments(tensor, f"src={src}", problem), problem)
    if group.size > 1:
        _in_place(tensor, lambda array: start_broadcast(group, array, int(src), "broadcast").wait())


def all_gather(tensor_list, tensor):
    """Fill ``tensor_list[r]`` with rank r's ``tensor``, on every rank.

    tensor_list: a list of world-size tensors shaped and typed as ``tensor``, written in place.
    Example: ``parts = [mg.zeros(2) for _ in range(size)]; dist.all_gather(parts, mg.ones(2))``
    """
    group = _require_group("all_gather")
    problem = _tensor_problem(tensor, "tensor")
    if problem is None:
        problem = _gather_list_problem(tensor_list, tensor, group.size)
    check_in(group, "all_gather", _caller(), _arguments(tensor, "", problem), problem)
    gathered = tensor._data[None] if group.size == 1 else start_allgather(group, tensor._data, "all_gather").wait()
    for target, part in zip(tensor_list, gathered):
        target._data[...] = part


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


def _arguments(tensor, detail, problem=None):
    return "invalid arguments" if problem is not None else f"{detail} {tensor.dtype} {tuple(tensor.shape)} on " \
                                                           f"{tensor.device}"


def _in_place(tensor, collective):
    """Run ``collective`` on a contiguous array holding tensor's values and copy the result back."""
    array = tensor._data
    work = array if array.flags.c_contiguous else backend.array_module(array).ascontiguousarray(array)
    collective(work)
    if work is not array:
        array[...] = work


# ---- check-ins: the ranks agree on what they call before any data moves ------------------------
class _CheckIn:
    """One rank's part of a started check-in: ``test()`` (non-blocking) and ``wait()`` give None
    once every rank called the same collective with the same arguments, and every rank's
    (arguments, problem) when only the arguments differ; they raise ``DistDesyncError`` when the
    ranks called different collectives, and ``DistTimeoutError`` past the timeout."""

    __slots__ = ("group", "sequence", "name", "where", "arguments", "problem", "everyone", "request", "started",
                 "done", "reports")

    def __init__(self, group, name, where, arguments, problem):
        if group.failed is not None:
            raise DistBackendError(f"{name}: the process group cannot be used after an earlier failure "
                                   f"({group.failed})")
        group.sequence += 1
        self.group, self.sequence = group, group.sequence
        self.name, self.where, self.arguments, self.problem = name, where, arguments, problem
        checksum = zlib.crc32(f"{self.sequence}|{name}|{where}|{arguments}".encode())
        mine = np.array([checksum, problem is not None], dtype=np.int64)
        self.done, self.reports = False, None
        self.started = time.monotonic()
        if group.size == 1:
            self.everyone, self.request = mine[None], None
            self._verify()
        else:
            self.everyone = np.empty((group.size, 2), dtype=np.int64)
            self.request = group.comm.Iallgather(mine, self.everyone)

    def describe(self):
        where = f" at {self.where}" if self.where else ""
        return f"{self.name}({self.arguments}){where} (collective #{self.sequence})"

    def test(self):
        if not self.done and self.request.Test():
            self._verify()
        return self.done

    def wait(self):
        if not self.done:
            _wait(self.group, self.request, self.started, self.describe())
            self._verify()
        return self.reports

    def _verify(self):
        self.done = True
        everyone, group = self.everyone, self.group
        if (everyone[:, 0] == everyone[0, 0]).all() and not everyone[:, 1].any():
            group.last_agreed = self.describe()
            return
        # the error path only: what every rank called, pickled (every rank saw the same disagreement)
        mine = ((self.sequence, self.name, self.where), self.describe(), self.arguments, self.problem)
        reports = [mine] if group.size == 1 else group.comm.allgather(mine)
        if len({identity for identity, *_ in reports}) > 1:
            raise DistDesyncError(
                f"collective #{self.sequence}: the ranks are out of step (a rank skipped, added or reordered a "
                f"collective, or left early) - this is rank {group.rank}; "
                + "; ".join(f"rank {rank} called {description}" for rank, (_, description, *_) in enumerate(reports)))
        self.reports = [(arguments, problem) for *_, arguments, problem in reports]


def start_check_in(group, name, where, arguments="", problem=None):
    """Start this rank's check-in for collective ``name`` called from ``where`` with ``arguments``
    (a string; ``problem``: what is wrong with them on this rank, or None)."""
    return _CheckIn(group, name, where, arguments, problem)


def agree(group, name, arguments, problem=None):
    """None when every rank called collective ``name`` with the same ``arguments`` and no
    ``problem``; otherwise every rank's (arguments, problem), in rank order, on every rank. Raises
    DistDesyncError when the ranks called different collectives. One small Iallgather."""
    return start_check_in(group, name, "", arguments, problem).wait()


def check_in(group, name, where, arguments="", problem=None):
    """Check in, raising ValueError on every rank when the ranks' arguments differ or any rank's
    are invalid (see start_check_in)."""
    raise_if_they_differ(start_check_in(group, name, where, arguments, problem).wait(), name)


def raise_if_they_differ(reports, name):
    """The ValueError every rank raises when a check-in of collective ``name`` gave ``reports``."""
    if reports is None:
        return
    failing = [f"rank {rank}: {problem}" for rank, (_, problem) in enumerate(reports) if problem is not None]
    if failing:
        raise ValueError(f"{name}: " + "; ".join(failing))
    raise ValueError(f"{name}: the ranks passed different tensors or arguments (each rank must pass the same "
                     "shape, dtype and arguments): "
                     + "; ".join(f"rank {rank}: {name} {arguments}" for rank, (arguments, _) in enumerate(reports)))


def _wait(group, request, started, what, spin_s=_CHECK_IN_SPIN_S):
    """Poll ``request`` until it completes: for ``spin_s`` polls that yield the core to other
    processes between them, then polls with growing sleeps between them. Past the group's timeout
    (counted from ``started``) raise DistTimeoutError; the group is unusable after it."""
    if request.Test():
        return
    deadline = started + group.timeout_s
    spin_until, nap = time.monotonic() + spin_s, 5e-5
    while not request.Test():
        now = time.monotonic()
        if now > deadline:
            group.failed = DistTimeoutError(
                f"rank {group.rank} of {group.size}: {what} did not complete within the timeout "
                f"({group.timeout_s:g} s). The last collective every rank completed: {group.last_agreed}; at "
                f"least one rank has not reached collective #{group.sequence}: it is still computing, is stuck "
                "outside any collective, or has exited")
            raise group.failed
        if now < spin_until:
            os.sched_yield()  # a peer waiting for this core (more ranks than cores) runs now
        else:
            time.sleep(nap)
            nap = min(2 * nap, _LONGEST_NAP_S)


# ---- array collectives (NumPy through MPI buffers; CuPy through NCCL or a host copy) -------------
# One object per kind of array does the transfers: _MpiArrays for NumPy, and for CuPy either
# _NcclArrays (device pointers, ordered on the current stream) or _HostCopyArrays (MPI on host
# copies). The callers below never branch on the kind. The start_* functions move data without a
# check-in: for callers that just checked in for them (DDP's buckets, after one check-in a step).
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


def allreduce_array(group, array, op, name):
    """Check in as collective ``name``, then allreduce a contiguous array in place."""
    if group.size > 1:
        check_in(group, name, "", f"{op} {array.dtype} {array.shape}")
        start_allreduce(group, array, op, name).wait()


def allgather_array(group, array, name):
    """(world size, *array.shape): every rank's array, in rank order, after checking in as ``name``."""
    if group.size == 1:
        return array[None]
    check_in(group, name, "", f"{array.dtype} {array.shape}")
    return start_allgather(group, array, name).wait()


def broadcast_arrays(group, arrays, src, name, where=""):
    """Rank ``src``'s values into each contiguous array, in place, after one check-in as ``name``."""
    if group.size > 1:
        check_in(group, name, where, " ".join(f"{a.dtype} {a.shape}" for a in arrays))
        for pending in [start_broadcast(group, array, src, name) for array in arrays]:
            pending.wait()


def start_allreduce(group, array, op, what):
    """Start a non-blocking in-place allreduce of a contiguous array; ``.wait()`` on the result
    finishes it (AVG divides by the world size there) and returns the array."""
    group.calls["Iallreduce"] += 1
    return _arrays(group, array).start_allreduce(array, op, what)


def start_broadcast(group, array, src, what):
    group.calls["Bcast"] += 1
    return _arrays(group, array).start_broadcast(array, src, what)


def start_allgather(group, array, what):
    group.calls["Allgather"] += 1
    return _arrays(group, array).start_allgather(backend.array_module(array).ascontiguousarray(array), what)


class _Pending:
    """A started transfer: ``wait()`` completes it within the group's timeout and returns ``finish()``."""

    __slots__ = ("group", "request", "what", "started", "finish")

    def __init__(self, group, request, what, finish):
        self.group, self.request, self.what, self.finish = group, request, what, finish
        self.started = time.monotonic()

    def test(self):
        """Let MPI progress the message (MPICH moves non-blocking collectives inside MPI calls)."""
        return self.request is None or self.request.Test()

    def wait(self):
        if self.request is not None:
            _wait(self.group, self.request, self.started,
                  f"{self.what} (moving data after collective #{self.group.sequence})", _DATA_SPIN_S)
        return self.finish()


def _average(array, op, size):
    if op is ReduceOp.AVG:
        array /= size
    return array


class _MpiArrays:
    """NumPy arrays through MPI's buffer interface."""

    def __init__(self, group):
        self.group = group
        mpi = group.mpi
        self.ops = {ReduceOp.SUM: mpi.SUM, ReduceOp.AVG: mpi.SUM, ReduceOp.MAX: mpi.MAX, ReduceOp.MIN: mpi.MIN}

    def start_allreduce(self, array, op, what):
        request = self.group.comm.Iallreduce(self.group.mpi.IN_PLACE, array, op=self.ops[op])
        return _Pending(self.group, request, what, lambda: _average(array, op, self.group.size))

    def start_broadcast(self, array, src, what):
        return _Pending(self.group, self.group.comm.Ibcast(array, root=src), what, lambda: array)

    def start_allgather(self, array, what):
        out = np.empty((self.group.size,) + array.shape, dtype=array.dtype)
        return _Pending(self.group, self.group.comm.Iallgather(array, out), what, lambda: out)


class _HostCopyArrays(_MpiArrays):
    """CuPy arrays without NCCL: each collective copies to the host, goes through MPI, copies back."""

    def start_allreduce(self, array, op, what):
        return _back_to_device(super().start_allreduce(backend.to_device(array, "cpu"), op, what), array)

    def start_broadcast(self, array, src, what):
        return _back_to_device(super().start_broadcast(backend.to_device(array, "cpu"), src, what), array)

    def start_allgather(self, array, what):
        return _back_to_device(super().start_allgather(backend.to_device(array, "cpu"), what))


def _back_to_device(pending, into=None):
    """``pending`` whose host result is copied to the GPU (into ``into`` when given) on completion."""
    host_result = pending.finish

    def finish():
        result = backend.to_device(host_result(), "cuda")
        if into is None:
            return result
        into[...] = result
        return into

    pending.finish = finish
    return pending


class _NcclArrays:
    """CuPy arrays through NCCL, one GPU per rank: device pointers, element counts and NCCL's dtype
    and op codes, ordered on the current stream (later kernels see the results). NCCL calls return
    at once; the check-in before each collective (MPI, under the timeout) is what keeps a
    desynchronised rank from leaving the others inside NCCL."""

    def __init__(self, group, nccl):
        self.group = group
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

    def start_allreduce(self, array, op, what):
        self.communicator.allReduce(array.data.ptr, array.data.ptr, array.size, self._dtype(array), self.ops[op],
                                    backend.current_stream_pointer())
        return _Pending(self.group, None, what, lambda: _average(array, op, self.group.size))

    def start_broadcast(self, array, src, what):
        self.communicator.bcast(array.data.ptr, array.size, self._dtype(array), src, backend.current_stream_pointer())
        return _Pending(self.group, None, what, lambda: array)

    def start_allgather(self, array, what):
        out = backend.array_module(array).empty((self.group.size,) + array.shape, dtype=array.dtype)
        self.communicator.allGather(array.data.ptr, out.data.ptr, array.size, self._dtype(array),
                                    backend.current_stream_pointer())
        return _Pending(self.group, None, what, lambda: out)


def world():
    """The initialized group (for DDP and SyncBatchNorm), or None outside a process group."""
    return _group
