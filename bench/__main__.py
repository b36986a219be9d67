"""Run the benchmark suite: ``python -m bench [--repeat N] [--threads N[,N...]] [--load] [--json PATH] [--gpu] [--quick]``.

Every case runs its contenders (minigrad, a NumPy composite of the same math, PyTorch when
importable) interleaved in one process, with the same thread count for all, and prints medians
and the ratios minigrad/PyTorch and minigrad/NumPy (below 1: minigrad is faster).
"""
import argparse
import contextlib
import json
import os
import platform
import statistics
import time

import numpy as np


def measure_bandwidth(size=1 << 28, repeat=7):
    """Bytes per second of a large array copy (read + write)."""
    src, dst = np.ones(size // 8), np.empty(size // 8)
    best = min(_time(lambda: np.copyto(dst, src)) for _ in range(repeat))
    return 2 * src.nbytes / best


def _time(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_case(case, repeat, warmup=3):
    """Median seconds per contender, the contenders interleaved rep by rep."""
    return run_case_at_counts(case, [None], repeat, warmup)[None]


def run_case_at_counts(case, counts, repeat, warmup=3):
    """{count: median seconds per contender}: each rep runs every contender at each thread count in
    turn (None: the threads as they are), so a change in the machine's load between reps reaches every
    count alike. Timing all reps of one count before the next had put a neighbour's quiet and busy
    phases into the thread ratios: under --load the NumPy composite, on one thread at every count,
    once took 2.2x as long in the 2-thread reps as in the 1-thread ones."""
    times = {n: {name: [] for name in case.contenders} for n in counts}
    for n in counts:
        _use_threads(n)
        for fn in case.contenders.values():
            for _ in range(warmup):
                fn()
    for _ in range(repeat):
        for n in counts:
            _use_threads(n)
            for name, fn in case.contenders.items():
                times[n][name].append(_time(fn))
    return {n: {name: statistics.median(t) for name, t in by_name.items()} for n, by_name in times.items()}


def _use_threads(n):
    if n is not None:
        set_threads(n)


def set_threads(n):
    """n threads for every contender: minigrad's (its OpenMP threads, which call BLAS single-threaded;
    importing minigrad also makes idle OpenMP threads sleep, for torch's OpenMP too, loaded after it)
    and torch's. The NumPy composite runs in minigrad's process, so its BLAS is on one thread: woken
    to two threads for it, NumPy's OpenBLAS pool spun beside the next contender's step and doubled
    minigrad's 2-thread MLP step (64-70 ms against 38-47 ms)."""
    import minigrad as mg

    mg.set_num_threads(n)
    os.environ["OMP_NUM_THREADS"] = str(n)
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass
    return "minigrad: BLAS single-threaded inside its threads; NumPy composite: BLAS on one thread"


def versions():
    import minigrad as mg

    found = {"python": platform.python_version(), "numpy": np.__version__, "minigrad": mg.__version__}
    try:
        import torch

        found["torch"] = torch.__version__
    except ImportError:
        found["torch"] = "not installed"
    return found


def format_row(name, medians, bandwidth_fraction):
    def ms(key):
        return f"{medians[key] * 1e3:9.3f}" if key in medians else "        -"

    def ratio(key):
        return f"{medians['minigrad'] / medians[key]:6.2f}x" if key in medians else "      -"

    bw = f"{bandwidth_fraction * 100:5.0f}%" if bandwidth_fraction is not None else "     "
    return f"| {name:<58} | {ms('minigrad')} | {ms('numpy')} | {ms('torch')} | {ratio('torch')} | {ratio('numpy')} | {bw} |"


def thread_counts(text):
    """``--threads``: one count or a comma-separated list, e.g. "1,2"."""
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1 or len(set(counts)) < len(counts):
        raise argparse.ArgumentTypeError(f"expected a thread count or a list of distinct ones such as 1,2, "
                                         f"got {text!r}")
    return counts


def print_thread_ratios(results, counts):
    """minigrad's time at each thread count over its time at the first, per case."""
    print(f"\nminigrad's time at {', '.join(map(str, counts[1:]))} threads over its time at {counts[0]}:")
    by_case = {}
    for result in results:
        by_case.setdefault(result["case"], {})[result["threads"]] = result["median_seconds"]["minigrad"]
    for case, times in by_case.items():
        ratios = ", ".join(f"{n} thr {times[n] / times[counts[0]]:.2f}x" for n in counts[1:])
        print(f"| {case:<58} | {ratios} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30, help="interleaved repetitions per case")
    parser.add_argument("--threads", type=thread_counts, default=[os.cpu_count()],
                        help="threads for every contender, or a list (e.g. 1,2): each case runs at each count in turn, "
                             "then minigrad's ratios to the first count are printed")
    parser.add_argument("--load", action="store_true",
                        help="time under load: a busy-loop process per core runs beside the bench (stopped at its end)")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--filter", default="", help="run only cases whose name contains this text")
    parser.add_argument("--gpu", action="store_true", help="run the GPU section (needs CuPy and a GPU)")
    parser.add_argument("--quick", action="store_true",
                        help="one run per contender, the GPU section (and the DCGAN, recurrent and training-step cases) at small sizes: checks that every case runs "
                             "(e.g. on the CPU emulation of CuPy), its timings mean nothing")
    args = parser.parse_args()
    repeat, warmup = (1, 1) if args.quick else (args.repeat, 3)

    blas = set_threads(args.threads[0])
    if args.gpu:
        from .gpu import gpu_cases

        cases, bandwidth = gpu_cases(small=args.quick), None
    else:
        from .cases import cpu_cases

        cases, bandwidth = cpu_cases(small=args.quick), measure_bandwidth(1 << 24 if args.quick else 1 << 28)
    info = versions()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; threads per contender: "
          f"{','.join(map(str, args.threads))} ({blas}); OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    if bandwidth:
        print(f"copy bandwidth: {bandwidth / 1e9:.1f} GB/s")
    from .load import cpu_load

    with cpu_load() if args.load else contextlib.nullcontext() as load:
        if load:
            print(f"load: {len(load)} busy-loop processes (one per core) run while the cases are timed "
                  f"(pids {' '.join(map(str, load))})")
        results = run_cases([case for case in cases if args.filter in case.name], args.threads, repeat, warmup, bandwidth)
    if len(args.threads) > 1:
        print_thread_ratios(results, args.threads)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "load": args.load, "versions": info, "bandwidth_bytes_per_s": bandwidth,
                       "results": results}, f, indent=2)


def run_cases(cases, counts, repeat, warmup, bandwidth):
    """Times each case at every thread count, interleaved rep by rep (one row per count), and returns
    the results."""
    print(f"\n| {'case':<58} | mg (ms)   | numpy (ms)| torch (ms)| mg/torch | mg/numpy | bw    |")
    print(f"|{'-' * 60}|-----------|-----------|-----------|----------|----------|-------|")
    results = []
    for case in cases:
        by_count = run_case_at_counts(case, counts if len(counts) > 1 else [None], repeat, warmup)
        for threads, medians in zip(counts, by_count.values()):
            fraction = None
            if case.bandwidth_bytes and bandwidth:
                fraction = case.bandwidth_bytes / bandwidth / medians["minigrad"]
            name = f"{case.name} [{threads} thr]" if len(counts) > 1 else case.name
            print(format_row(name, medians, fraction), flush=True)
            results.append({"case": case.name, "threads": threads, "median_seconds": medians,
                            "bandwidth_fraction": fraction})
    return results


if __name__ == "__main__":
    main()
