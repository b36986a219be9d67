"""Run the benchmark suite: ``python -m bench [--repeat N] [--threads N] [--json PATH] [--gpu] [--quick]``.

Every case runs its contenders (minigrad, a NumPy composite of the same math, PyTorch when
importable) interleaved in one process, with the same thread count for all, and prints medians
and the ratios minigrad/PyTorch and minigrad/NumPy (below 1: minigrad is faster).
"""
import argparse
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
    for fn in case.contenders.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in case.contenders}
    for _ in range(repeat):
        for name, fn in case.contenders.items():
            times[name].append(_time(fn))
    return {name: statistics.median(t) for name, t in times.items()}


NUMPY_BLAS = []  # threadpoolctl's controllers of the BLAS libraries that NumPy and minigrad load


def set_threads(n):
    """n threads for every contender: minigrad's (its OpenMP threads, which call BLAS single-threaded;
    importing minigrad also makes idle OpenMP threads sleep, for torch's OpenMP too, loaded after it),
    torch's, and NumPy's BLAS while the NumPy composite runs (numpy_blas_threads)."""
    import minigrad as mg
    from threadpoolctl import ThreadpoolController

    mg.set_num_threads(n)
    os.environ["OMP_NUM_THREADS"] = str(n)
    # found before torch loads: NumPy's and SciPy's, not a BLAS of torch's, which torch sets itself
    NUMPY_BLAS.extend(ThreadpoolController().select(user_api="blas").lib_controllers)
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass
    return "minigrad: BLAS single-threaded inside its threads; NumPy composite: BLAS at n threads"


def numpy_blas_threads(contender, n):
    """The NumPy composite ``contender`` run with the process's BLAS at n threads, set back to the one
    thread that minigrad keeps it at afterwards (a call into each library: microseconds)."""
    def run():
        for library in NUMPY_BLAS:
            library.set_num_threads(n)
        try:
            return contender()
        finally:
            for library in NUMPY_BLAS:
                library.set_num_threads(1)

    return run


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


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30, help="interleaved repetitions per case")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every contender")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--filter", default="", help="run only cases whose name contains this text")
    parser.add_argument("--gpu", action="store_true", help="run the GPU section (needs CuPy and a GPU)")
    parser.add_argument("--quick", action="store_true",
                        help="one run per contender, the GPU section (and the DCGAN and recurrent cases) at small sizes: checks that every case runs "
                             "(e.g. on the CPU emulation of CuPy), its timings mean nothing")
    args = parser.parse_args()
    repeat, warmup = (1, 1) if args.quick else (args.repeat, 3)

    blas = set_threads(args.threads)
    if args.gpu:
        from .gpu import gpu_cases

        cases, bandwidth = gpu_cases(small=args.quick), None
    else:
        from .cases import cpu_cases

        cases, bandwidth = cpu_cases(small=args.quick), measure_bandwidth()
    info = versions()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; threads per contender: {args.threads} ({blas}); "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    if bandwidth:
        print(f"copy bandwidth: {bandwidth / 1e9:.1f} GB/s")
    print(f"\n| {'case':<58} | mg (ms)   | numpy (ms)| torch (ms)| mg/torch | mg/numpy | bw    |")
    print(f"|{'-' * 60}|-----------|-----------|-----------|----------|----------|-------|")
    results = []
    for case in cases:
        if args.filter not in case.name:
            continue
        if "numpy" in case.contenders:
            case.contenders["numpy"] = numpy_blas_threads(case.contenders["numpy"], args.threads)
        medians = run_case(case, repeat, warmup)
        fraction = None
        if case.bandwidth_bytes and bandwidth:
            fraction = case.bandwidth_bytes / bandwidth / medians["minigrad"]
        print(format_row(case.name, medians, fraction), flush=True)
        results.append({"case": case.name, "median_seconds": medians, "bandwidth_fraction": fraction})
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "versions": info, "bandwidth_bytes_per_s": bandwidth,
                       "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
