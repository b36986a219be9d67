"""The benchmark's modes run (at --quick sizes; their timings mean nothing here), and its CPU-burning
neighbour never outlives the bench."""
import argparse
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import run_case_at_counts, thread_counts
from bench.cases import Case
from bench.load import cpu_load

ROOT = Path(__file__).resolve().parents[1]


def running(pid):
    """Whether process ``pid`` exists and is not a zombie (nobody may reap a loop orphaned here)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in "ZX"


def bench(*args, timeout=300):
    out = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_cpu_load_runs_one_loop_per_process_and_stops_them_when_the_block_ends():
    with cpu_load(2) as pids:
        assert len(pids) == 2 and all(running(pid) for pid in pids)
    assert not any(running(pid) for pid in pids)


def test_cpu_load_stops_its_loops_when_the_block_raises():
    with pytest.raises(KeyboardInterrupt):
        with cpu_load(1) as pids:
            raise KeyboardInterrupt
    assert not running(pids[0])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_cpu_load_loops_end_when_the_bench_is_killed(sig):
    script = "import time\nfrom bench.load import cpu_load\nwith cpu_load(1) as pids:\n    print(pids[0], flush=True)\n    time.sleep(60)\n"
    bench_process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    pid = int(bench_process.stdout.readline())
    assert running(pid)
    bench_process.send_signal(sig)
    bench_process.wait(timeout=30)
    for _ in range(200):  # an orphaned loop notices its parent's death within milliseconds
        if not running(pid):
            break
        subprocess.run(["sleep", "0.05"])
    assert not running(pid)


def test_threads_takes_one_count_or_a_list():
    assert thread_counts("2") == [2] and thread_counts("1,2") == [1, 2]
    for bad in ("0", "one", "1,,2", "2,2"):
        with pytest.raises(argparse.ArgumentTypeError, match="thread count"):
            thread_counts(bad)


def test_the_thread_counts_take_turns_rep_by_rep():
    # all reps of one count before the next had put a neighbour's busy and quiet phases into the ratios
    import minigrad as mg

    saved, seen = mg.get_num_threads(), []
    try:
        medians = run_case_at_counts(Case("probe", {"minigrad": lambda: seen.append(mg.get_num_threads())}),
                                     [1, 2], repeat=3, warmup=1)
    finally:
        mg.set_num_threads(saved)
    assert seen == [1, 2] + [1, 2] * 3  # the warm-ups, then each rep at 1 then 2 threads
    assert list(medians) == [1, 2] and set(medians[2]) == {"minigrad"}


def test_a_training_step_case_runs_at_two_thread_counts_under_load_and_the_load_stops():
    out = bench("bench", "--quick", "--filter", "LayerNorm GELU train step", "--threads", "1,2", "--load")
    pids = [int(pid) for pid in re.search(r"busy-loop processes .*pids ([\d ]+)\)", out).group(1).split()]
    assert len(pids) == os.cpu_count() and not any(running(pid) for pid in pids)
    assert "AdamW [1 thr]" in out and "AdamW [2 thr]" in out
    assert re.search(r"LayerNorm GELU train step .*AdamW +\| 2 thr \d+\.\d\dx", out), out


def test_peak_memory_of_a_training_step_in_fresh_processes():
    out = bench("bench.memory", "--quick", "--filter", "LayerNorm", "--steps", "2")
    rows = [line for line in out.splitlines() if "train step" in line]
    assert len(rows) == 1 and re.search(r"AdamW +\| +\d+\.\d \|", rows[0]), out


def test_leak_check_reports_the_growth_between_checkpoints():
    out = bench("bench.memory", "--leak", "--quick", "--steps", "6", "--every", "3")
    assert re.search(r"from step 3 to 6: resident memory [+-]\d+\.\d MiB .* Python objects [+-]\d+", out), out
