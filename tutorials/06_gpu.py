# %% [markdown]
# # The digits model on the GPU
#
# The same model and training loop as tutorial 02, on an NVIDIA GPU through CuPy: creation
# functions take `device="cuda"`, `model.to("cuda")` moves parameters and buffers, and every op runs
# the CUDA kernels in `minigrad/_kernels/cuda/`. Without CuPy or a GPU this tutorial says what is
# missing and stops.

# %%
import sys
import time

import matplotlib.pyplot as plt

import minigrad as mg
from minigrad.datasets import load_digits

from _common import make_mlp, options, save_figure, train

args = options("Train the digits MLP on the GPU")
reason = mg.cuda.unavailable_reason()
if reason:
    print(f"This tutorial needs a GPU: {reason}. Nothing to run here; the CPU tutorials work as they are.")
    sys.exit(0)

# %%
data = load_digits()
epochs = 3 if args.quick else 30
timings, accuracies = {}, {}
for device in ("cpu", "cuda"):
    mg.manual_seed(0)
    model = make_mlp(batch_norm=True, dropout=0.2, device=device)
    start = time.perf_counter()
    history = train(model, data, epochs=epochs, lr=0.05)
    timings[device] = time.perf_counter() - start
    accuracies[device] = history["test_acc"][-1]
    print(f"{device}: {timings[device]:.2f} s for {epochs} epochs, test accuracy {accuracies[device]:.3f}")

# %% [markdown]
# Dropout masks come from the same counter-based generator on both devices, so with the same seed
# the two runs see the same masks; the accuracies agree up to float32 rounding in the kernels.

# %%
fig, ax = plt.subplots(figsize=(5, 3))
ax.bar(list(timings), list(timings.values()), color=["C0", "C1"])
ax.set(ylabel="seconds", title=f"{epochs} epochs of digits training")
save_figure(fig, "06_cpu_vs_gpu", args.quick)
