"""mg.profiler: counts, times, bytes, ranges, the table and the Chrome trace."""
import json

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
from minigrad import _observe


class Scale(mg.Op):
    """y = 3 x (allocates its output)."""

    def forward(self, x):
        return 3 * x

    def backward(self, gy):
        return 3 * gy


class View(mg.Op):
    """y = x reshaped to one row: a view, which allocates nothing."""

    def forward(self, x):
        self.shape = x.shape
        return x.reshape(1, -1)

    def backward(self, gy):
        return gy.reshape(self.shape)


class Total(mg.Op):
    def forward(self, x):
        self.like = x
        return x.sum()

    def backward(self, gy):
        return self.xp.full_like(self.like, gy)


class Same(mg.Op):
    """y = x, the input array itself."""

    def forward(self, x):
        return x

    def backward(self, gy):
        return gy


def _rows(prof):
    return {s.name: s for s in prof.key_averages()}


def test_counts_equal_the_ops_run_forward_and_backward():
    x = mg.randn(10, 4, requires_grad=True)
    steps = 5
    with mg.profiler.profile() as prof:
        for _ in range(steps):
            Total()(View()(Scale()(Scale()(x)))).backward()
        with mg.no_grad():
            Scale()(x)  # forward only: counted as a call, no backward
    rows = _rows(prof)
    assert set(rows) == {"Scale", "View", "Total"}
    assert (rows["Scale"].calls, rows["Scale"].backward_calls) == (2 * steps + 1, 2 * steps)
    assert (rows["View"].calls, rows["View"].backward_calls) == (steps, steps)
    assert (rows["Total"].calls, rows["Total"].backward_calls) == (steps, steps)
    assert all(e.end_ns >= e.start_ns for e in prof.events)
    assert len(prof.events) == sum(r.calls + r.backward_calls for r in rows.values())


def test_output_bytes_count_new_arrays_and_not_views():
    x = mg.randn(10, 4, dtype="float64", requires_grad=True)
    with mg.profiler.profile() as prof:
        Total()(Same()(View()(Scale()(x)))).backward()
    rows = _rows(prof)
    assert rows["Same"].forward_bytes == rows["Same"].backward_bytes == 0
    assert rows["Scale"].forward_bytes == 10 * 4 * 8
    assert rows["View"].forward_bytes == 0
    assert rows["View"].backward_bytes == 0  # its gradient is a view of the incoming one
    assert rows["Total"].forward_bytes == 8
    assert rows["Total"].backward_bytes == 10 * 4 * 8


def test_nothing_is_recorded_outside_the_context_and_the_hook_is_removed():
    x = mg.randn(3, requires_grad=True)
    with mg.profiler.profile() as prof:
        Scale()(x)
    Scale()(x).sum().backward()
    assert _observe.dispatcher is None
    assert [(e.name, e.kind) for e in prof.events] == [("Scale", "forward")]


def test_in_place_ops_that_record_nothing_are_seen_too():
    parameter = mg.randn(3, requires_grad=True)
    buffer = mg.zeros(3)
    with mg.profiler.profile() as prof:
        with mg.no_grad():
            parameter.add_(1)  # a hand update of a parameter
        buffer.add_(1)  # a tensor that requires no grad, grad mode on
        buffer.mul_(2)
    rows = _rows(prof)
    assert (rows["AddInPlace"].calls, rows["MulInPlace"].calls) == (2, 1)
    assert rows["AddInPlace"].backward_calls == 0
    assert rows["AddInPlace"].forward_bytes == 0  # written into the target's memory
    np.testing.assert_array_equal(buffer.numpy(), [2, 2, 2])


def test_hook_is_removed_when_the_body_raises():
    with pytest.raises(ZeroDivisionError):
        with mg.profiler.profile():
            1 / 0
    assert _observe.dispatcher is None


def test_record_function_ranges_contain_their_ops_and_self_time_excludes_them():
    x = mg.randn(100, 100, requires_grad=True)
    with mg.profiler.profile() as prof:
        with mg.profiler.record_function("block"):
            for _ in range(3):
                Scale()(x)
    block = next(e for e in prof.events if e.name == "block")
    ops = [e for e in prof.events if e.kind == "forward"]
    assert block.kind == "range" and len(ops) == 3
    assert all(block.start_ns <= e.start_ns and e.end_ns <= block.end_ns for e in ops)
    children = sum(e.end_ns - e.start_ns for e in ops)
    row = _rows(prof)["block"]
    assert row.forward_self_ns == row.forward_ns - children
    assert row.forward_ns >= children
    with mg.profiler.record_function("outside any profile"):  # a no-op, not an error
        Scale()(x)


def test_table_lists_every_op_sorted_and_refuses_unknown_keys():
    x = mg.randn(50, 50, requires_grad=True)
    with mg.profiler.profile() as prof:
        for _ in range(4):
            Scale()(x)
        Total()(x).backward()
    text = prof.table(sort_by="calls")
    lines = text.splitlines()
    assert "Calls" in lines[1] and "Forward" in lines[1] and "Backward" in lines[1]
    body = [line.split() for line in lines[3:5]]
    assert [(row[0], row[1]) for row in body] == [("Scale", "4"), ("Total", "1")]
    assert prof.table(sort_by="name").splitlines()[3].startswith("Scale")
    assert len(prof.table(row_limit=1).splitlines()) == 6
    with pytest.raises(ValueError, match="sort_by must be one of .*'total'.*got 'speed'"):
        prof.table(sort_by="speed")


def test_chrome_trace_has_one_complete_event_per_call(tmp_path):
    x = mg.randn(8, 8, requires_grad=True)
    with mg.profiler.profile(record_shapes=True) as prof:
        Total()(Scale()(x)).backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(path)
    events = json.loads(path.read_text())["traceEvents"]
    assert sorted((e["name"], e["cat"]) for e in events) == [
        ("Scale", "backward"), ("Scale", "forward"), ("Total", "backward"), ("Total", "forward")]
    assert all(e["ph"] == "X" and e["ts"] >= 0 and e["dur"] >= 0 for e in events)
    scale_forward = next(e for e in events if e["name"] == "Scale" and e["cat"] == "forward")
    assert scale_forward["args"] == {"bytes": 8 * 8 * 4, "input_shapes": [[8, 8]]}
    forward_end = max(e["ts"] + e["dur"] for e in events if e["cat"] == "forward")
    assert all(e["ts"] >= forward_end for e in events if e["cat"] == "backward")


def test_profiles_nest_and_gradients_are_unchanged():
    x = mg.tensor(np.arange(4.0), requires_grad=True)
    with mg.profiler.profile() as outer:
        with mg.profiler.profile() as inner:
            Total()(Scale()(x)).backward()
        Scale()(x)
    assert np.array_equal(x.grad.numpy(), np.full(4, 3.0))
    assert _rows(outer)["Scale"].calls == 2 and _rows(inner)["Scale"].calls == 1
    assert _observe.dispatcher is None


@pytest.mark.gpu
def test_profiler_times_gpu_ops_with_cuda_events_and_counts_match_the_cpu(rng):
    x0 = rng.standard_normal((512, 256)).astype(np.float32)
    counts = []
    for device in ("cpu", "cuda"):
        model = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
        with mg.profiler.profile(use_cuda=device == "cuda") as prof:
            F.cross_entropy(model(mg.tensor(x0, device=device)), np.arange(512) % 10).backward()
        stats = prof.key_averages()
        counts.append({s.name: (s.calls, s.backward_calls) for s in stats})
        if device == "cuda":
            assert all(s.device_ns > 0 for s in stats)
            assert "CUDA" in prof.table().splitlines()[1]
    assert counts[0] == counts[1]
