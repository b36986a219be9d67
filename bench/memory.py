"""Memory of the training steps (bench/steps.py), minigrad against PyTorch.

``python -m bench.memory [--quick] [--filter TEXT] [--steps N] [--threads N]``: the peak working memory
of each training-step case, each library in a fresh process per case: the peak resident memory
during ``--steps`` steps (default 3; the first allocates the optimizer's state: momentum buffers, Adam's
moments) minus the resident memory once the model, the optimizer and the batch are built.
The peak is the kernel's high-water mark (VmHWM), reset after the build (``/proc/self/clear_refs``),
so what the build itself touched does not count; it sees every allocation of both libraries, which
tracemalloc does not (PyTorch allocates outside Python's allocator).

``python -m bench.memory --leak [--steps 2000] [--every 200] [--batch 64] [--library minigrad]``: the
leak check: ResNet-14 training steps in one process, the resident memory and the number of Python
objects every ``--every`` steps; what grows between the first checkpoint and the last is what the
steps leak (the allocator's pools are warm after the first checkpoint).
"""
from .__main__ import set_threads  # set_threads imports minigrad before torch: its passive OpenMP wait reaches torch too

import argparse  # noqa: E402
import gc  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

MIB = 1024  # /proc and getrusage count KiB


def resident_mib(field="VmRSS"):
    """This process's resident memory (VmRSS) or its peak (VmHWM) in MiB, from /proc/self/status."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / MIB
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak():
    """Sets the peak resident memory (VmHWM) to the current one; False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _peak_child(index, library, steps, small):
    from .steps import step_case_builders

    case = step_case_builders(small)[index]()
    run = case.contenders[library]
    gc.collect()
    built = resident_mib()
    if reset_peak():
        peak_after = lambda: resident_mib("VmHWM")  # noqa: E731
    else:  # the lifetime peak: the build's own peak may hide the steps'
        peak_after = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB  # noqa: E731
    for _ in range(steps):
        run()
    print(f"{peak_after() - built:.1f}")


def peak_memory(args):
    from .cases import torch
    from .steps import step_cases

    names = [case.name for case in step_cases(args.quick)]
    print(f"peak resident memory during {args.steps} training steps above the memory after building the model, "
          f"optimizer and batch (MiB), each library and case in a fresh process, {args.threads} thread(s):")
    print(f"\n| {'case':<66} | minigrad | torch    | mg/torch |")
    print(f"|{'-' * 68}|----------|----------|----------|")
    for index, name in enumerate(names):
        if args.filter not in name:
            continue
        peaks = {"torch": float("nan")}  # stays nan without PyTorch
        for library in ("minigrad", "torch") if torch is not None else ("minigrad",):
            command = [sys.executable, "-m", "bench.memory", "--child", str(index), library, "--steps", str(args.steps),
                       "--threads", str(args.threads)] + (["--quick"] if args.quick else [])
            out = subprocess.run(command, capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(f"{library}, {name}: the child process failed:\n{out.stderr[-2000:]}")
            peaks[library] = float(out.stdout)
        ratio = peaks["minigrad"] / peaks["torch"] if peaks["torch"] > 0 else float("nan")  # nan: no PyTorch, or no growth
        print(f"| {name:<66} | {peaks['minigrad']:8.1f} | {peaks['torch']:8.1f} | {ratio:7.2f}x |", flush=True)


def leak_check(args):
    from .steps import RESNET_QUICK, RESNET_SIZE, resnet_step_case

    batch, side = RESNET_QUICK if args.quick else RESNET_SIZE
    case = resnet_step_case(args.batch or batch, side, "SGD", lr=0.01, momentum=0.9)
    run = case.contenders[args.library]
    print(f"leak check: {args.library}, {case.name}, {args.threads} thread(s), {args.steps} steps")
    print("| step  | resident MiB | Python objects |")
    print("|-------|--------------|----------------|")
    checkpoints = []
    for step in range(1, args.steps + 1):
        run()
        if step % args.every == 0 or step == args.steps:
            gc.collect()
            checkpoints.append((step, resident_mib(), len(gc.get_objects())))
            print(f"| {step:5d} | {checkpoints[-1][1]:12.1f} | {checkpoints[-1][2]:14d} |", flush=True)
    (first, rss_first, objects_first), (last, rss_last, objects_last) = checkpoints[0], checkpoints[-1]
    steps = max(last - first, 1)
    print(f"from step {first} to {last}: resident memory {rss_last - rss_first:+.1f} MiB "
          f"({(rss_last - rss_first) * MIB / steps:+.2f} KiB a step), Python objects {objects_last - objects_first:+d}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (checks that the modes run)")
    parser.add_argument("--filter", default="", help="only cases whose name contains this text")
    parser.add_argument("--steps", type=int, help="training steps (default 3, or 2000 with --leak)")
    parser.add_argument("--threads", type=int, default=1, help="threads for both libraries")
    parser.add_argument("--leak", action="store_true", help="the leak check instead of peak memory")
    parser.add_argument("--every", type=int, default=200, help="--leak: steps between checkpoints")
    parser.add_argument("--batch", type=int, help="--leak: the ResNet-14 batch (default 64, 4 with --quick)")
    parser.add_argument("--library", choices=("minigrad", "torch"), default="minigrad", help="--leak: whose steps")
    parser.add_argument("--child", nargs=2, metavar=("INDEX", "LIBRARY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.steps = args.steps or (2000 if args.leak else 3)
    set_threads(args.threads)
    if args.child:
        _peak_child(int(args.child[0]), args.child[1], args.steps, args.quick)
    elif args.leak:
        leak_check(args)
    else:
        peak_memory(args)


if __name__ == "__main__":
    main()
