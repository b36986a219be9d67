"""A CPU-burning neighbour for ``python -m bench --load``: one busy-loop process per core, as another
job on a shared machine, running while the cases are timed (every contender under the same load)."""
import contextlib
import os
import signal
import subprocess
import sys
import threading

# Each loop checks every ~1 ms that the bench that started it still runs, so a bench killed by a
# signal that no handler sees (SIGKILL) leaves no loop behind.
_BUSY_LOOP = """
import os, sys
parent = int(sys.argv[1])
while os.getppid() == parent:
    for _ in range(1 << 15):
        pass
"""


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def cpu_load(processes=None):
    """Runs ``processes`` busy loops (default: one per core), each in its own process, while the block
    runs; yields their process ids. They are stopped when the block exits however it exits (an
    error, Ctrl-C, SIGTERM). Example: ``with cpu_load() as pids: run_the_cases()``."""
    count = processes or os.cpu_count()
    loops = []
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if on_main_thread else None
    try:
        for _ in range(count):
            loops.append(subprocess.Popen([sys.executable, "-I", "-S", "-c", _BUSY_LOOP, str(os.getpid())],
                                          stdin=subprocess.DEVNULL))
        yield [loop.pid for loop in loops]
    finally:
        for loop in loops:
            loop.kill()
        for loop in loops:
            loop.wait()
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)
