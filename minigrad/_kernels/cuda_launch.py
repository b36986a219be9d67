"""How each CUDA kernel is called from its loop's arguments, read off the sources: no CuPy here.

A kernel of ``cuda/<module>.cu`` is an ``extern "C" __global__`` function, instantiated as
``<name>_float`` / ``<name>_double`` (or one untyped ``<name>``). Its parameters are named as the
loop's (``cpu_loops.<name>``), in the loop's order, with two kinds added that the launcher fills in:

* ``has_<p>``: 1 when the loop's argument ``p`` is an array, 0 when it is None (passed as NULL);
* size parameters (``n``, ``C``, ...), which ``LAUNCHES[name]`` computes from the arrays, with the
  grid, block and shared memory. A kernel not in the table is elementwise: ``n`` is the size of the
  first argument, one thread per element (grid-stride).

Scalars are converted to the exact C type of their parameter (a GPU reads ``sizeof(parameter)``
bytes): ``int`` -> np.int32, ``long long`` -> np.int64, ``double`` -> np.float64, ``T`` -> the
array dtype's scalar, ``flag`` (common.cuh: a bool as an int) -> np.int32(bool(value)), and so on.
So a new elementwise kernel needs no Python beyond its loop.

    >>> signature = kernels()["relu_forward"]
    >>> signature.module, signature.params
    ('activation', (('const T*', 'x'), ('T*', 'y'), ('long long', 'n')))
    >>> binding("relu_forward").loop_params
    ('x', 'y')
"""
import functools
import re
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np

SOURCES = Path(__file__).with_name("cuda")
THREADS = 256

# a scalar argument's conversion to its parameter's C type ("T", the instantiated type, aside)
SCALAR_TYPES = {"int": np.int32, "long long": np.int64, "unsigned int": np.uint32, "unsigned long long": np.uint64,
                "float": np.float32, "double": np.float64, "flag": lambda value: np.int32(bool(value))}


def per_element(count):
    """(grid, block, shared memory) for one thread per element of ``count`` (grid-stride loops go
    over the rest beyond the largest grid)."""
    return (max(1, min((int(count) + THREADS - 1) // THREADS, 65535)),), (THREADS,), 0


class Launch(NamedTuple):
    """A kernel's size parameters and launch shape. ``sizes``: the size parameters' names, in the
    kernel's order; ``size_values(**arguments)``: their values from the loop's arguments (by name);
    ``shape(**arguments_and_sizes)``: (grid, block, shared memory bytes)."""
    sizes: str
    size_values: Callable
    shape: Callable


def _first_size(**arguments):
    return (next(iter(arguments.values())).size,)


ELEMENTWISE = Launch("n", _first_size, lambda n, **_: per_element(n))


def _channel_sums_shape(C, S, **_):
    # coalesced rows for (N, C) input: threads along channels; otherwise along one channel's run
    block = (32, 8) if S == 1 else (1, THREADS)
    return ((C + block[0] - 1) // block[0],), block, 2 * block[0] * block[1] * 8  # two double sums a thread


def _rows(M, **_):
    """One block per row (layernorm.cu's row kernels)."""
    return (max(1, min(M, 65535)),), (THREADS,), 0


def _pool_planes(image, pooled):
    """pool.cu's plane sizes: P = N * C planes of H x W, pooled to OH x OW."""
    return image.shape[0] * image.shape[1], *image.shape[2:], *pooled.shape[2:]


_CHANNELS = Launch("C", lambda k2, **_: (k2.size,), lambda C, **_: per_element(C))  # a thread per channel
_POOL_FORWARD = Launch("P H W OH OW", lambda x, y, **_: _pool_planes(x, y), lambda y, **_: per_element(y.size))
# backward kernels gather: one thread per input-gradient entry
_POOL_BACKWARD = Launch("P H W OH OW", lambda gy, gx, **_: _pool_planes(gx, gy), lambda gx, **_: per_element(gx.size))
_LAYER_NORM_ROWS = Launch("M D", lambda x, **_: x.shape, _rows)


def _warp_rows(count):
    """attention.cu: one warp per row, four warps a block (the kernels loop over rows beyond the grid)."""
    return (max(1, min((int(count) + 3) // 4, 65535)),), (128,), 0


def _attention_sizes(q, k, v, **_):
    return q.shape[0], q.shape[1], k.shape[1], q.shape[2], v.shape[2], q.shape[0] // k.shape[0]


_ATTENTION_QUERY_ROWS = Launch("B L S E Ev group", _attention_sizes, lambda B, L, **_: _warp_rows(B * L))


def _recurrent_step(state):
    """recurrent.cu's step kernels: a thread per element of the (B, H) array named ``state``."""
    return Launch("n H", lambda **arguments: (arguments[state].size, arguments[state].shape[-1]),
                  lambda n, **_: per_element(n))

# Launch geometry and the CUDA limits each choice respects (block <= 1024 threads, grid.x <= 2^31 - 1,
# grid.y/z <= 65535, static + dynamic shared memory <= 48 KiB without opting in):
# - per_element (ELEMENTWISE and every entry below built on it): blocks of THREADS = 256 threads, at
#   most 65535 blocks; every such kernel loops MINIGRAD_GRID_STRIDE (common.cuh), so a count beyond
#   65535 * 256 is covered by the stride, not dropped; no shared memory.
# - channel_sums: blocks of (32, 8) threads for (N, C) input (threads along channels, coalesced) or
#   (1, 256) along one channel's run; grid ceil(C / 32) or C blocks (C < 2^31); dynamic shared memory
#   2 * 256 doubles = 4 KiB for the two sums of every thread.
# - layer_norm_forward / layer_norm_row_backward: one block of 256 threads per row, grid min(M, 65535)
#   with a row-stride loop over the rest; static shared memory 33 doubles (264 B).
# - layer_norm_column_sums: blocks of (32, 8), grid ceil(D / 32) (D < 2^36); static shared memory
#   2 * 8 * 32 doubles = 4 KiB.
# - attention_*: blocks of 128 threads (four warps, a row each), grid min(rows / 4, 65535) with a
#   row-stride loop over the rest; no shared memory (a lane keeps 8 entries of a row in registers).
# - philox4x32_words: one thread.
# - lstm_cell_* / gru_cell_*: per_element over the B x H state of one step.
LAUNCHES = {
    "philox4x32_words": Launch("", lambda **_: (), lambda **_: ((1,), (1,), 0)),  # one thread
    # one thread per Philox block of four elements
    "dropout_forward": ELEMENTWISE._replace(shape=lambda n, **_: per_element((n + 3) // 4)),
    "channel_sums": Launch("N C S", lambda x, **_: x.shape, _channel_sums_shape),
    "channel_affine": Launch("total C S", lambda x, **_: (x.size, *x.shape[1:]), lambda total, **_: per_element(total)),
    "train_coefficients": _CHANNELS,
    "eval_coefficients": _CHANNELS,
    "backward_coefficients": _CHANNELS,
    "attention_forward": _ATTENTION_QUERY_ROWS,
    "attention_backward_query": _ATTENTION_QUERY_ROWS,
    "attention_backward_key": _ATTENTION_QUERY_ROWS._replace(shape=lambda B, S, group, **_: _warp_rows(B // group * S)),
    "layer_norm_forward": _LAYER_NORM_ROWS,
    "layer_norm_row_backward": _LAYER_NORM_ROWS,
    # blockDim (32, 8): threads along columns, eight row-strided partial sums per column
    "layer_norm_column_sums": _LAYER_NORM_ROWS._replace(shape=lambda D, **_: (((D + 31) // 32,), (32, 8), 0)),
    "im2col": Launch("n C H W", lambda x, **_: x.shape, lambda cols, **_: per_element(cols.size)),
    "col2im": Launch("n C H W", lambda gx, **_: gx.shape, lambda gx, **_: per_element(gx.size)),
    "max_pool2d_forward": _POOL_FORWARD,
    "avg_pool2d_forward": _POOL_FORWARD,
    "adaptive_avg_pool2d_forward": _POOL_FORWARD,
    # max-pool backward scatters: one thread per output-gradient entry
    "max_pool2d_backward": _POOL_BACKWARD._replace(shape=lambda gy, **_: per_element(gy.size)),
    "avg_pool2d_backward": _POOL_BACKWARD,
    "adaptive_avg_pool2d_backward": _POOL_BACKWARD,
    "lstm_cell_forward": _recurrent_step("c_prev"),
    "lstm_cell_backward": _recurrent_step("c"),
    "gru_cell_forward": _recurrent_step("h_prev"),
    "gru_cell_backward": _recurrent_step("h_prev"),
}


class Signature(NamedTuple):
    """A kernel as declared in ``cuda/<module>.cu``: params are (C type, name) pairs, the type
    written with ``T`` for the instantiated one; ``typed``: instantiated as _float and _double."""
    module: str
    typed: bool
    params: tuple


_KERNEL = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(\w+?)(_##T)?\s*\(([^)]*)\)')
_DEFINE = re.compile(r"^[ \t]*#define[ \t]+(\w+)[ \t]+(.*)$", re.MULTILINE)


@functools.lru_cache(maxsize=None)
def kernels():
    """{kernel name: Signature} over every ``cuda/*.cu``."""
    found = {}
    for path in sorted(SOURCES.glob("*.cu")):
        text = path.read_text().replace("\\\n", " ")
        macros = dict(_DEFINE.findall(text))  # parameter lists written once as a macro (conv.cu, pool.cu)
        for name, typed, params in _KERNEL.findall(text):
            found[name] = Signature(path.stem, bool(typed), tuple(_parse_params(params, macros)))
    return found


def _parse_params(text, macros):
    for param in text.split(","):
        param = " ".join(param.split())
        if param in macros:
            yield from _parse_params(macros[param], macros)
        elif param:
            ctype, name = param.rsplit(" ", 1)
            yield ctype, name


class Binding(NamedTuple):
    """How one kernel takes a loop's arguments. loop_params: the loop's parameters (the kernel's,
    less sizes and presence flags); sources: for each kernel parameter, (kind, key, C type) with kind
    "argument" (the loop argument at index key), "present" (whether argument key is not None) or
    "size" (size value key); typed_arguments: indices of the T-array arguments, whose first non-None
    one picks the instantiation."""
    signature: Signature
    launch: Launch
    loop_params: tuple
    sources: tuple
    typed_arguments: tuple


@functools.lru_cache(maxsize=None)
def binding(name):
    """The Binding of kernel ``name``; raises ValueError when its parameters do not fit the rules above."""
    signature = kernels()[name]
    launch = LAUNCHES.get(name, ELEMENTWISE)
    sizes = launch.sizes.split()
    names = [p for _, p in signature.params]
    loop_params = tuple(p for p in names if p not in sizes and not (p.startswith("has_") and p[4:] in names))
    missing = [s for s in sizes if s not in names]
    if missing:
        raise ValueError(f"kernel {name} lacks the size parameters {missing} that its launch computes")
    sources = []
    for ctype, p in signature.params:
        if not (ctype.endswith("*") or ctype in SCALAR_TYPES or ctype == "T"):
            raise ValueError(f"kernel {name}: no conversion to the C type {ctype!r} of parameter {p}")
        if p in sizes:
            sources.append(("size", sizes.index(p), ctype))
        elif p in loop_params:
            sources.append(("argument", loop_params.index(p), ctype))
        else:
            sources.append(("present", loop_params.index(p[4:]), ctype))
    typed = tuple(loop_params.index(p) for ctype, p in signature.params if ctype.rstrip("*").split()[-1] == "T"
                  and ctype.endswith("*"))
    return Binding(signature, launch, loop_params, tuple(sources), typed)
