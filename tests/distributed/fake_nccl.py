"""A stand-in for ``cupy.cuda.nccl`` built on MPI, for the CPU emulation of CuPy (which has no NCCL).

It has the API minigrad's NCCL path calls, with the same arguments as CuPy's
``NcclCommunicator`` methods: raw device pointers (ints), element counts, NCCL's dtype and op
codes, and a stream pointer. It copies the device memory behind a pointer to the host, reduces
through MPI and writes the result back. That is only possible because the emulator's device
memory is host memory (``cupy.ndarray.data.ptr`` is a host address there); on a real GPU the
pointers could not be read this way.

Install it with ``minigrad.distributed.process_group.nccl_bindings = lambda: fake_nccl``.
"""
import collections
import ctypes
import importlib.util
import os

import numpy as np
from mpi4py import MPI

if importlib.util.find_spec("cupy._emu") is None:
    raise ImportError("fake_nccl reads device memory through host pointers: it needs the CPU emulation of CuPy")

# NCCL's own codes (nccl.h), as cupy.cuda.nccl exports them
NCCL_INT32, NCCL_INT64, NCCL_FLOAT32, NCCL_FLOAT64 = 2, 4, 7, 8
NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN = 0, 1, 2, 3
_DTYPES = {NCCL_INT32: np.int32, NCCL_INT64: np.int64, NCCL_FLOAT32: np.float32, NCCL_FLOAT64: np.float64}
_OPS = {NCCL_SUM: MPI.SUM, NCCL_PROD: MPI.PROD, NCCL_MAX: MPI.MAX, NCCL_MIN: MPI.MIN}

calls = collections.Counter()  # method name -> calls, so tests can see this path ran


def get_unique_id():
    return tuple(os.urandom(128))  # as NCCL's: 128 bytes, made on one rank and sent to the others


class NcclCommunicator:
    def __init__(self, ndev, commId, rank):
        self.comm = MPI.COMM_WORLD.Dup()
        if (ndev, rank) != (self.comm.Get_size(), self.comm.Get_rank()):
            raise ValueError(f"NcclCommunicator({ndev}, ..., {rank}) in a world of {self.comm.Get_size()} "
                             f"as rank {self.comm.Get_rank()}")
        if len(set(self.comm.allgather(tuple(commId)))) != 1:
            raise ValueError("the ranks passed different unique ids: rank 0's was not sent to every rank")

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
        calls["allReduce"] += 1
        _check_ints(sendbuf=sendbuf, recvbuf=recvbuf, count=count, datatype=datatype, op=op, stream=stream)
        host = _read(sendbuf, count, datatype)
        self.comm.Allreduce(MPI.IN_PLACE, host, op=_OPS[op])
        _write(recvbuf, host)

    def bcast(self, buff, count, datatype, root, stream):
        calls["bcast"] += 1
        _check_ints(buff=buff, count=count, datatype=datatype, root=root, stream=stream)
        host = _read(buff, count, datatype)
        self.comm.Bcast(host, root=root)
        _write(buff, host)

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):
        calls["allGather"] += 1
        _check_ints(sendbuf=sendbuf, recvbuf=recvbuf, count=count, datatype=datatype, stream=stream)
        out = np.empty(self.comm.Get_size() * count, dtype=_DTYPES[datatype])
        self.comm.Allgather(_read(sendbuf, count, datatype), out)
        _write(recvbuf, out)


def _check_ints(**arguments):
    """CuPy's methods take C integers (intptr_t pointers, int codes): anything else is a bug at the caller."""
    for name, value in arguments.items():
        if type(value) is not int:
            raise TypeError(f"NcclCommunicator: {name} must be an int, got {type(value).__name__} {value!r}")


def _read(pointer, count, datatype):
    host = np.empty(count, dtype=_DTYPES[datatype])
    ctypes.memmove(host.ctypes.data, pointer, host.nbytes)
    return host


def _write(pointer, host):
    ctypes.memmove(pointer, host.ctypes.data, host.nbytes)
