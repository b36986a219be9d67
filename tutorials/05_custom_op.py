# %% [markdown]
# # Extending minigrad with your own op
#
# An op is a class with `forward` and `backward` on arrays. This tutorial writes Swish
# (x * sigmoid(x)) in Python, checks its gradient, trains a model with it on the spirals data set
# (no downloads, no scikit-learn), then gives the same op a compiled Cython kernel, the way
# minigrad's own kernels are built, and compares the two.

# %%
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.datasets import make_spirals

from _common import options, save_figure

args = options("Write a custom op, then its Cython kernel")
mg.manual_seed(0)

# %% [markdown]
# ## The op in Python
# `forward` receives arrays (NumPy, or CuPy on the GPU: `self.xp` is whichever it is) and keeps
# what `backward` will need on `self`. `backward` gets the gradient of the output and returns one
# gradient per input. minigrad frees what the op stored once backward has run.

# %%
class Swish(mg.Op):
    def forward(self, x):
        self.s = 1 / (1 + self.xp.exp(-x))
        self.x = x
        return x * self.s

    def backward(self, gy):
        return gy * (self.s * (1 + self.x * (1 - self.s)))


def swish(x):
    return Swish()(x)


t = mg.randn(5, 4, dtype="float64", requires_grad=True)
print("gradcheck:", mg.gradcheck(swish, [t]))

# %% [markdown]
# ## Using it in a model
# A Module that applies the op is a drop-in layer.

# %%
class SwishLayer(nn.Module):
    def __init__(self, fn=swish):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


x, y = make_spirals(n_per_class=300 if not args.quick else 60, classes=3, seed=0)


def fit(activation, steps):
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 64), activation, nn.Linear(64, 64), activation, nn.Linear(64, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    xt = mg.tensor(x)
    for _ in range(steps):
        loss = F.cross_entropy(model(xt), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, loss.item()


steps = 100 if args.quick else 1500
model, final_loss = fit(SwishLayer(), steps)
with mg.no_grad():
    train_accuracy = (model(mg.tensor(x)).argmax(dim=1) == mg.tensor(y)).float().mean().item()
print(f"spirals: loss {final_loss:.3f}, training accuracy {train_accuracy:.3f}")

grid = np.stack(np.meshgrid(np.linspace(-1.2, 1.2, 200), np.linspace(-1.2, 1.2, 200)), -1).reshape(-1, 2)
with mg.no_grad():
    regions = model(mg.tensor(grid.astype(np.float32))).argmax(dim=1).numpy()
fig, ax = plt.subplots(figsize=(5, 5))
ax.contourf(grid[:, 0].reshape(200, 200), grid[:, 1].reshape(200, 200), regions.reshape(200, 200), alpha=0.3, cmap="brg")
ax.scatter(x[:, 0], x[:, 1], c=y, s=6, cmap="brg")
ax.set_title(f"an MLP with Swish on the spirals ({train_accuracy:.0%} train accuracy)")
save_figure(fig, "05_spirals", args.quick)

# %% [markdown]
# ## The same op with a Cython kernel
# minigrad's kernels live in `minigrad/_kernels/*.pyx`, one module per topic. Each has a public
# `def` that checks dtype, shape and contiguity and allocates the output, and a private fused-type
# function that loops over typed memoryviews with the GIL released (in parallel with `prange`
# when it pays). For Swish that is:

# %%
SWISH_PYX = '''
import numpy as np
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport exp


def swish_forward(x):
    """y = x * sigmoid(x) and s = sigmoid(x), for a C-contiguous float32/float64 array x."""
    if x.dtype not in (np.float32, np.float64) or not x.flags.c_contiguous:
        raise TypeError(f"x must be a C-contiguous float32 or float64 array, got {x.dtype}")
    y, s = np.empty_like(x), np.empty_like(x)
    if x.dtype == np.float32:
        _forward[float](x.reshape(-1), y.reshape(-1), s.reshape(-1))
    else:
        _forward[double](x.reshape(-1), y.reshape(-1), s.reshape(-1))
    return y, s


def swish_backward(gy, x, s):
    """gx = gy * s * (1 + x * (1 - s)); all of one shape and dtype, C-contiguous."""
    if not (gy.dtype == x.dtype == s.dtype) or not (gy.shape == x.shape == s.shape):
        raise ValueError("gy, x and s must share one shape and dtype")
    gx = np.empty_like(x)
    if x.dtype == np.float32:
        _backward[float](np.ascontiguousarray(gy).reshape(-1), x.reshape(-1), s.reshape(-1), gx.reshape(-1))
    else:
        _backward[double](np.ascontiguousarray(gy).reshape(-1), x.reshape(-1), s.reshape(-1), gx.reshape(-1))
    return gx


cdef void _forward(const floating[::1] x, floating[::1] y, floating[::1] s) noexcept nogil:
    cdef Py_ssize_t i
    cdef floating sig
    for i in prange(x.shape[0], schedule="static", use_threads_if=x.shape[0] > 524288):
        sig = 1 / (1 + exp(-x[i]))
        s[i] = sig
        y[i] = x[i] * sig


cdef void _backward(const floating[::1] gy, const floating[::1] x, const floating[::1] s,
                    floating[::1] gx) noexcept nogil:
    cdef Py_ssize_t i
    for i in prange(x.shape[0], schedule="static", use_threads_if=x.shape[0] > 524288):
        gx[i] = gy[i] * s[i] * (1 + x[i] * (1 - s[i]))
'''

# %% [markdown]
# Inside minigrad you would save this as `minigrad/_kernels/swish.pyx`, export the two functions
# from `minigrad/_kernels/cpu.py` (and a CUDA version with the same names from `cuda.py`), and
# rebuild with `pip install -e .`: `setup.py` compiles every `.pyx` in that folder, with the
# directives and OpenMP flags set once for all of them. Here we compile it on the spot the same
# way, into a temporary folder:

# %%
def build_kernel(source):
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    folder = Path(tempfile.mkdtemp(prefix="minigrad_swish_"))
    (folder / "swish_kernel.pyx").write_text(source)
    extension = Extension("swish_kernel", [str(folder / "swish_kernel.pyx")],
                          extra_compile_args=["-O3", "-fopenmp"], extra_link_args=["-fopenmp"])
    modules = cythonize([extension], compiler_directives={"language_level": 3, "boundscheck": False,
                                                          "wraparound": False, "cdivision": True}, quiet=True)
    distribution = Distribution({"ext_modules": modules})
    command = distribution.get_command_obj("build_ext")
    command.build_lib = command.build_temp = str(folder)
    command.ensure_finalized()
    command.run()
    built = next(folder.glob("swish_kernel*.so"))
    spec = importlib.util.spec_from_file_location("swish_kernel", built)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["swish_kernel"] = module
    return module


kernel = build_kernel(SWISH_PYX)


class SwishKernel(mg.Op):
    """Swish on the compiled kernel (CPU arrays)."""

    def forward(self, x):
        self.x = np.ascontiguousarray(x)
        y, self.s = kernel.swish_forward(self.x)
        return y

    def backward(self, gy):
        return kernel.swish_backward(gy, self.x, self.s)


print("gradcheck of the kernel op:", mg.gradcheck(lambda t: SwishKernel()(t), [t]))
sample = mg.randn(1000, 1000, requires_grad=True)
print("same values as the Python op:", np.allclose(SwishKernel()(sample).numpy(), swish(sample).numpy(), rtol=1e-6))


def timed(fn, repeat=20):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(sample)
        out.backward(mg.ones(*out.shape))
        best = min(best, time.perf_counter() - start)
        sample.grad = None
    return best * 1e3


python_ms, kernel_ms = timed(swish), timed(lambda s: SwishKernel()(s))
print(f"forward+backward on 1M float32: Python op {python_ms:.2f} ms, Cython kernel {kernel_ms:.2f} ms "
      f"({python_ms / kernel_ms:.1f}x)")
# %% [markdown]
# The kernel makes one pass over memory where the NumPy expression makes several, but both allocate
# their outputs, and on small machines a fresh array's page faults can cost as much as the
# arithmetic, so the gain is modest here; it grows with fused work per element.

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.barh(["Python op (NumPy)", "Cython kernel"], [python_ms, kernel_ms], color=["C0", "C1"])
ax.set(xlabel="ms, forward + backward, 1M float32", title="Swish: Python op vs compiled kernel")
save_figure(fig, "05_kernel_speed", args.quick)
