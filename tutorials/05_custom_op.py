# %% [markdown]
# # Extending minigrad with your own op
#
# An op is a class with `forward` and `backward` on arrays. This tutorial writes Swish
# (x * sigmoid(x)) in Python, checks its gradient, trains a model with it on the spirals data set
# (no downloads, no scikit-learn), then gives the same op a compiled Cython kernel, built with
# minigrad's own flags by one call, and compares the two.

# %%
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.datasets import make_spirals
from minigrad.utils import cython_extension

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
# minigrad's kernels live in `minigrad/_kernels/*.pyx`, one module per topic: a private fused-type
# function loops over typed memoryviews with the GIL released (in parallel with `prange` when it
# pays), behind a `def` that takes checked, contiguous arrays. A standalone kernel does its own
# checking and allocation in that `def`, as the one below does.
#
# A kernel is worth writing when it does in one pass what NumPy does in many. The Python op above
# makes about ten passes over memory (exp, add, divide, multiply in forward; five more in backward)
# and keeps two arrays for backward. The kernel in `05_swish_kernel.pyx` computes, in one pass over
# `x`, both the output and the derivative `dy/dx`, so backward is one multiply and the op keeps one
# array. It also needs an exp the compiler can vectorise: libm's `expf` is a function call, which
# keeps the loop scalar, while NumPy's `exp` does 8 or 16 floats per instruction.

# %%
KERNEL_SOURCE = Path(__file__).with_name("05_swish_kernel.pyx") if "__file__" in globals() else Path("05_swish_kernel.pyx")
print(KERNEL_SOURCE.read_text())

# %% [markdown]
# Inside minigrad you would save the loops as `minigrad/_kernels/swish.pyx`, export them from
# `minigrad/_kernels/cpu_loops.py` (and CUDA loops with the same names from `cuda_loops.py`), write
# the checks and allocation once for both devices in `front.py`, and rebuild with `pip install -e .`.
# Outside it, one call builds it with the same directives, flags and OpenMP
# probe that minigrad's own kernels get, caches the build by a hash of the source (in
# `$MINIGRAD_CACHE`, default `~/.cache/minigrad`; compiling happens in a temporary folder that is
# removed), and imports it. The first run compiles (it says so, for a few seconds); later runs load
# the cached module at once.

# %%
kernel = cython_extension.load("swish_kernel", [KERNEL_SOURCE])


class SwishKernel(mg.Op):
    """Swish on the compiled kernel (CPU arrays): forward keeps dy/dx, backward multiplies by it."""

    def forward(self, x):
        y, self.dydx = kernel.swish_forward(x)
        return y

    def backward(self, gy):
        return kernel.swish_backward(gy, self.dydx)


print("gradcheck of the kernel op:", mg.gradcheck(lambda t: SwishKernel()(t), [t]))
sample = mg.randn(1000, 1000, requires_grad=True)
print("same values as the Python op:", np.allclose(SwishKernel()(sample).detach().numpy(), swish(sample).detach().numpy(),
                                                   rtol=1e-6, atol=1e-7))


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
print(f"forward+backward on 1M float32 ({mg.get_num_threads()} threads): Python op {python_ms:.2f} ms, "
      f"Cython kernel {kernel_ms:.2f} ms ({python_ms / kernel_ms:.1f}x)")

# %% [markdown]
# The fused kernel makes three passes over memory (read x, write y and dy/dx; then read the gradient
# and dy/dx, write the result) where the NumPy expression makes about twenty, and keeps half the
# memory for backward. The timing includes minigrad's own work per op and the gradient of ones that
# `backward` is given, which both versions share. With `expf` from libm instead of the inline exp,
# the same kernel is slower than NumPy: fusing passes pays only when the work per element vectorises.

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.barh(["Python op (NumPy)", "Cython kernel (fused)"], [python_ms, kernel_ms], color=["C0", "C1"])
ax.set(xlabel="ms, forward + backward, 1M float32", title="Swish: Python op vs compiled kernel")
save_figure(fig, "05_kernel_speed", args.quick)
