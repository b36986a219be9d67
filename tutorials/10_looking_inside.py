# %% [markdown]
# # Looking inside: profiler, anomaly detection, graph pictures, BatchNorm folding
#
# The questions a framework user asks once a model trains: where does the time go, which op made
# the NaN, what graph did my code build, and can the trained model run faster. minigrad answers each
# with one call, on the digits MLP of tutorial 02.
#
# Run it with `python tutorials/10_looking_inside.py` (add `--quick` for a few-second run).

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import minigrad.functional as F
import minigrad.nn as nn
from minigrad.datasets import load_digits

from _common import HERE, accuracy, figures_folder, make_mlp, options, save_figure, save_graph, train

args = options("Profile, debug, draw and fuse a model")
mg.manual_seed(0)

data = load_digits()
model = make_mlp(batch_norm=True)
train(model, data, epochs=1 if args.quick else 10, lr=0.05, progress=False)
print(model)

# %% [markdown]
# ## Where does the time go: `mg.profiler.profile()`
# Inside the block every op call is recorded: how often it ran, its forward and backward wall time
# ("self" leaves out what ran inside it; for ops the two are equal, for your own
# `record_function` ranges they are not), and the bytes it allocated for outputs and gradients.

# %%
x, y = mg.tensor(data.x_train[:256]), data.y_train[:256]
model.train()
steps = 5 if args.quick else 50
with mg.profiler.profile() as prof:
    for _ in range(steps):
        with mg.profiler.record_function("model(x)"):
            loss = F.cross_entropy(model(x), y)
        model.zero_grad()
        loss.backward()
print(prof.table(sort_by="total"))
trace = figures_folder(args.quick) / "10_trace.json"
prof.export_chrome_trace(trace)
print(f"wrote {trace.relative_to(HERE.parent)}: open it in chrome://tracing or https://ui.perfetto.dev")

# %%
stats = [s for s in sorted(prof.key_averages(), key=lambda s: s.total_ns) if "range" not in s.kinds]
fig, ax = plt.subplots(figsize=(6, 3.5))
names = [s.name for s in stats]
forward = np.array([s.forward_ns for s in stats]) / 1e6 / steps
backward = np.array([s.backward_ns for s in stats]) / 1e6 / steps
ax.barh(names, forward, label="forward")
ax.barh(names, backward, left=forward, label="backward")
ax.set(xlabel="ms per training step", title=f"where a training step goes (batch 256, threads: {mg.get_num_threads()})")
ax.legend()
save_figure(fig, "10_profile", args.quick)

# %% [markdown]
# ## Which op made the NaN: `mg.autograd.detect_anomaly()`
# Without it a NaN travels silently to the loss. With it, the first op whose output (in forward)
# or gradient (in backward) is not finite raises, naming the op and the line of *your* code that
# called it, which in backward is the forward line that built the op. Here a feature transform takes
# a square root, fine in forward at 0, infinite in its gradient.

# %%
features = mg.tensor(np.abs(data.x_train[:8]), requires_grad=True)
with mg.autograd.detect_anomaly(), np.errstate(divide="ignore"):
    try:
        rooted = features ** 0.5
        rooted.sum().backward()
    except RuntimeError as error:
        print(str(error).split("stack of the call")[0])

# %% [markdown]
# ## What graph did I build: `mg.utils.make_dot`
# One box per op with its output shape and dtype, one ellipse per leaf, parameters named when you pass
# them. `.save` writes the DOT text; `.render` draws it when Graphviz's `dot` program is installed.

# %%
small = nn.Sequential(nn.Linear(64, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 10))
graph = mg.utils.make_dot(F.cross_entropy(small(x[:32]), y[:32]), params=dict(small.named_parameters()))
save_graph(graph, "10_graph", args.quick)

# %% [markdown]
# ## A faster trained model: `nn.utils.fuse_batch_norm`
# In eval mode BatchNorm is an affine map per channel, so it folds into the Linear before it:
# `W' = W * gamma / sqrt(var + eps)`, `b' = (b - mean) * gamma / sqrt(var + eps) + beta`. The fused
# copy has fewer layers and the same outputs, to float32 rounding; the original is untouched.

# %%
model.eval()
fused = nn.utils.fuse_batch_norm(model)
print(fused)
test_x = mg.tensor(data.x_test)
with mg.no_grad():
    difference = np.abs(fused(test_x).numpy() - model(test_x).numpy()).max()
print(f"largest output difference {difference:.2e}; test accuracy {accuracy(model, data.x_test, data.y_test):.3f} "
      f"before, {accuracy(fused, data.x_test, data.y_test):.3f} after")


def inference_ms(m, batch, repeat=50 if not args.quick else 10):
    xb = mg.tensor(data.x_test[:batch])
    best = float("inf")
    with mg.no_grad():
        for _ in range(repeat):
            start = time.perf_counter()
            m(xb)
            best = min(best, time.perf_counter() - start)
    return best * 1e3


batches = [1, 32, 256]
times = {name: [inference_ms(m, b) for b in batches] for name, m in (("with BatchNorm", model), ("fused", fused))}
for b, before, after in zip(batches, *times.values()):
    print(f"batch {b:4d}: {before:.3f} ms -> {after:.3f} ms ({before / after:.2f}x)")
fig, ax = plt.subplots(figsize=(5, 3))
positions = np.arange(len(batches))
for offset, (name, values) in zip((-0.2, 0.2), times.items()):
    ax.bar(positions + offset, values, width=0.4, label=name)
ax.set(xticks=positions, xticklabels=[f"batch {b}" for b in batches], ylabel="ms per forward (eval)",
       yscale="log", title="inference before and after fuse_batch_norm")
ax.legend()
save_figure(fig, "10_fused_speed", args.quick)
