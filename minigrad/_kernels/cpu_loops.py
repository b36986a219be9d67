"""The CPU loops: every public def of the Cython kernel modules (the ``*.pyx`` beside this file) under
one name, matching ``cuda_loops.py`` function for function (names and parameters; a test checks).
The table is read off the compiled modules, so a new loop needs no entry here. The front calls them
with checked, contiguous arrays and allocated outputs."""
import importlib
from pathlib import Path

from .runtime import sync_threads

# runtime.pyx holds process settings (threads, malloc), not loops; of it the front calls sync_threads
KERNEL_MODULES = sorted(p.stem for p in Path(__file__).parent.glob("*.pyx") if p.stem != "runtime")


def _loops():
    """{name: def} over the kernel modules: the functions each defines whose names are public."""
    loops = {"sync_threads": sync_threads}
    for name in KERNEL_MODULES:
        module = importlib.import_module(f".{name}", __package__)
        loops.update({key: value for key, value in vars(module).items()
                      if not key.startswith("_") and getattr(value, "__module__", None) == module.__name__})
    return loops


_LOOPS = _loops()
globals().update(_LOOPS)
__all__ = sorted(_LOOPS)
