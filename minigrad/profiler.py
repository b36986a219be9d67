"""Where the time goes: ``with mg.profiler.profile() as prof: ...`` records every op call.

For each op it records the calls, forward and backward wall time, and the bytes of the arrays the op
allocated for its outputs (an output that shares memory with an input, such as a reshape, allocates
nothing). On the GPU it also records the time the op's work took on the device, with CUDA events, since
the wall time of an asynchronous launch says little. ``record_function(name)`` marks a range of your own
(a layer, a training step): ops inside it are its children, and its self time excludes theirs.

Example::

    with mg.profiler.profile() as prof:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
    print(prof.table(sort_by="total"))
    prof.export_chrome_trace("trace.json")   # open in chrome://tracing or ui.perfetto.dev
"""
import json
import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from . import _observe, backend

__all__ = ["profile", "record_function", "OpStats"]

_active = []  # the profilers recording now (record_function ranges go to each)


@dataclass(slots=True)
class _Event:
    name: str
    kind: str  # "forward", "backward" or "range"
    thread: int
    start_ns: int
    end_ns: int = 0
    children_ns: int = 0
    bytes: int = 0
    shapes: tuple = ()
    cuda: tuple = None  # (start, end) cupy.cuda.Event pair while recording, then device ns
    device_ns: int = 0


@dataclass
class OpStats:
    """One op's (or range's) totals over a profile; times in nanoseconds, bytes allocated."""

    name: str
    calls: int = 0
    backward_calls: int = 0
    forward_ns: int = 0
    forward_self_ns: int = 0
    backward_ns: int = 0
    backward_self_ns: int = 0
    forward_bytes: int = 0
    backward_bytes: int = 0
    device_ns: int = 0
    kinds: set = field(default_factory=set)

    @property
    def total_ns(self):
        return self.forward_ns + self.backward_ns

    @property
    def self_ns(self):
        return self.forward_self_ns + self.backward_self_ns


# sort keys of table(): ours, and torch's names for the same columns
_SORT_KEYS = {
    "total": lambda s: s.total_ns, "self": lambda s: s.self_ns, "forward": lambda s: s.forward_ns,
    "backward": lambda s: s.backward_ns, "calls": lambda s: s.calls, "bytes": lambda s: s.forward_bytes,
    "cuda": lambda s: s.device_ns, "name": lambda s: s.name,
}
_SORT_KEYS.update({"cpu_time_total": _SORT_KEYS["total"], "self_cpu_time_total": _SORT_KEYS["self"],
                   "cuda_time_total": _SORT_KEYS["cuda"], "count": _SORT_KEYS["calls"]})


def _new_bytes(arrays, sources):
    """Bytes of ``arrays`` that are neither one of ``sources`` nor a view sharing memory with one."""
    total = 0
    for array in arrays:
        if array is None or any(array is s for s in sources):
            continue
        if array.base is not None:  # a view: of a fresh array, or of an input (allocates nothing)
            xp = backend.array_module(array)
            if any(s is not None and type(s) is type(array) and xp.may_share_memory(array, s) for s in sources):
                continue
        total += array.nbytes
    return total


class profile:
    """Context manager that records every op call (forward and backward) while it is open.

    ``use_cuda``: time GPU ops with CUDA events too (default: when CuPy sees a GPU).
    ``record_shapes``: keep the input shapes of each call (shown in the Chrome trace).
    """

    def __init__(self, use_cuda=None, record_shapes=False):
        self.use_cuda = backend.cuda_is_available() if use_cuda is None else bool(use_cuda)
        self.record_shapes = bool(record_shapes)
        self.events = []
        self._local = threading.local()
        self._origin_ns = None

    def __enter__(self):
        self._origin_ns = time.perf_counter_ns()
        _observe.add(self)
        _active.append(self)
        return self

    def __exit__(self, *exc):
        _observe.remove(self)
        _active.remove(self)
        if self.use_cuda:
            self._resolve_device_times()

    # ---- recording ------------------------------------------------------------------------------
    def _open(self, name, kind, arrays=()):
        stack = self._local.__dict__.setdefault("stack", [])
        event = _Event(name, kind, threading.get_ident(), 0)
        if self.record_shapes:
            event.shapes = tuple(tuple(a.shape) for a in arrays if a is not None)
        if self.use_cuda and arrays and not isinstance(arrays[0], np.ndarray):
            cp = backend.require_cuda()
            event.cuda = (cp.cuda.Event(), cp.cuda.Event())
            event.cuda[0].record()
        stack.append(event)
        event.start_ns = time.perf_counter_ns()
        return event

    def _close(self, event):
        event.end_ns = time.perf_counter_ns()
        if event.cuda is not None:
            event.cuda[1].record()
        stack = self._local.stack
        stack.pop()
        if stack:
            stack[-1].children_ns += event.end_ns - event.start_ns
        self.events.append(event)

    def _resolve_device_times(self):
        cp = backend.require_cuda()
        for event in self.events:
            if event.cuda is not None:
                event.cuda[1].synchronize()
                event.device_ns = int(cp.cuda.get_elapsed_time(*event.cuda) * 1e6)
                event.cuda = None

    # observer interface (minigrad/_observe.py)
    def call(self, op, inputs, proceed):
        arrays = [t._data for t in inputs]
        event = self._open(type(op).__name__, "forward", arrays)
        try:
            outputs = proceed()
        finally:
            self._close(event)
        event.bytes = _new_bytes([t._data for t in _observe.as_tuple(outputs)], arrays)
        return outputs

    def backward(self, op, grad_outputs, proceed):
        grad_outputs = _observe.arrays(grad_outputs)
        event = self._open(type(op).__name__, "backward", grad_outputs)
        try:
            grads = proceed()
        finally:
            self._close(event)
        event.bytes = _new_bytes(_observe.arrays(_observe.as_tuple(grads)), grad_outputs)
        return grads

    # ---- results --------------------------------------------------------------------------------
    def key_averages(self):
        """One OpStats per op (or record_function) name, in order of first call."""
        stats = {}
        for event in self.events:
            row = stats.setdefault(event.name, OpStats(event.name))
            row.kinds.add(event.kind)
            duration = event.end_ns - event.start_ns
            own = duration - event.children_ns
            row.device_ns += event.device_ns
            if event.kind == "backward":
                row.backward_calls += 1
                row.backward_ns += duration
                row.backward_self_ns += own
                row.backward_bytes += event.bytes
            else:
                row.calls += 1
                row.forward_ns += duration
                row.forward_self_ns += own
                row.forward_bytes += event.bytes
        return list(stats.values())

    def table(self, sort_by="total", row_limit=None):
        """The per-op totals as a text table, largest first by ``sort_by``: 'total', 'self', 'forward',
        'backward', 'calls', 'bytes', 'cuda' or 'name' (torch's 'cpu_time_total',
        'self_cpu_time_total', 'cuda_time_total' and 'count' also work)."""
        if sort_by not in _SORT_KEYS:
            raise ValueError(f"sort_by must be one of {sorted(_SORT_KEYS)}, got {sort_by!r}")
        rows = sorted(self.key_averages(), key=_SORT_KEYS[sort_by], reverse=sort_by != "name")
        if row_limit is not None:
            rows = rows[:row_limit]
        show_cuda = any(s.device_ns for s in rows)
        header = ["Name", "Calls", "Forward", "Fwd self", "Backward", "Bwd self", "Total", "Out bytes",
                  "Grad bytes"] + (["CUDA"] if show_cuda else [])
        body = []
        for s in rows:
            cells = [s.name, str(s.calls), _time(s.forward_ns), _time(s.forward_self_ns),
                     _time(s.backward_ns) if s.backward_calls else "-",
                     _time(s.backward_self_ns) if s.backward_calls else "-", _time(s.total_ns),
                     _bytes(s.forward_bytes), _bytes(s.backward_bytes) if s.backward_calls else "-"]
            body.append(cells + ([_time(s.device_ns)] if show_cuda else []))
        total_ns = sum(e.end_ns - e.start_ns for e in self.events if e.kind != "range")
        widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
        line = "-" * (sum(widths) + 2 * (len(widths) - 1))

        def fmt(cells):
            return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

        return "\n".join([line, fmt(header), line] + [fmt(r) for r in body] + [
            line, f"time in ops (forward + backward, ranges excluded): {_time(total_ns)}"])

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        """Write the events as Chrome trace JSON (chrome://tracing, ui.perfetto.dev): one slice per op
        call, forward and backward, on the thread that ran it; times in microseconds."""
        pid = os.getpid()
        trace = []
        for event in self.events:
            args = {"bytes": event.bytes}
            if event.shapes:
                args["input_shapes"] = [list(s) for s in event.shapes]
            if event.device_ns:
                args["cuda_us"] = event.device_ns / 1e3
            trace.append({"name": event.name, "cat": event.kind, "ph": "X", "pid": pid, "tid": event.thread,
                          "ts": (event.start_ns - self._origin_ns) / 1e3,
                          "dur": (event.end_ns - event.start_ns) / 1e3, "args": args})
        with open(path, "w") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)


class record_function:
    """A named range in the profile (a layer, a step); a no-op when no profiler is recording.

    Example: ``with mg.profiler.record_function("attention"): y = block(x)``
    """

    def __init__(self, name):
        self.name = str(name)
        self._events = []

    def __enter__(self):
        self._events = [(prof, prof._open(self.name, "range")) for prof in _active]
        return self

    def __exit__(self, *exc):
        for prof, event in reversed(self._events):
            prof._close(event)
        self._events = []


def _time(ns):
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e3:.1f} us"


def _bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
