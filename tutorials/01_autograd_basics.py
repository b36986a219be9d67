# %% [markdown]
# # Autograd basics
#
# Tensors, the graph they record, `backward`, how gradients of broadcast operations are summed
# back to each input's shape, and `mg.gradcheck`, which checks a gradient against finite
# differences. Ends by fitting a small curve with nothing but Tensor operations.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg

from _common import options, save_figure, save_graph

args = options("Autograd basics")
mg.manual_seed(0)

# %% [markdown]
# ## Tensors
# Python numbers and lists become float32, as in PyTorch; NumPy arrays keep their float dtype.

# %%
a = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
b = mg.tensor(np.array([0.5, -1.0]))            # float64, from NumPy
print(a.dtype, b.dtype, a.shape, a.requires_grad)

# %% [markdown]
# ## The graph and backward
# Every operation on a tensor that requires grad records an Op. `backward()` walks those ops from
# the output back to the leaves and fills `.grad`. Here y = sum(a^2 * 3), so dy/da = 6a.

# %%
y = (a * a * 3).sum()
y.backward()
print("dy/da =\n", a.grad.numpy())
assert np.allclose(a.grad.numpy(), 6 * a.detach().numpy())

# %% [markdown]
# `mg.utils.make_dot` shows the recorded graph: one box per op with its output's shape and dtype, one
# ellipse per leaf (named when you pass `params`; the constant 3 is a leaf too). Draw it before
# `backward`, which frees what the ops saved. The picture needs Graphviz's `dot` program; the DOT
# text is always written.

# %%
graph = mg.utils.make_dot((a * a * 3).sum(), params={"a": a})
print(graph.source)
save_graph(graph, "01_graph", args.quick)

# %% [markdown]
# Gradients **accumulate** across backward calls (as in PyTorch), which is why training loops
# reset them with `zero_grad()` or `x.grad = None`.

# %%
(a * 2).sum().backward()
print("accumulated:\n", a.grad.numpy())         # 6a + 2
a.grad = None

# %% [markdown]
# ## Broadcasting
# `w` of shape (3,) is added to every row of `x` (4, 3). Its gradient is the sum over the rows it
# was broadcast to, so it has w's shape again.

# %%
x = mg.randn(4, 3, dtype="float64")
w = mg.ones(3, dtype="float64", requires_grad=True)
(x + w).sum().backward()
print("w.grad:", w.grad.numpy())                # 4 for each entry: used by 4 rows
assert w.grad.shape == w.shape

# %% [markdown]
# ## Checking a gradient
# `mg.gradcheck` compares the analytic gradient with central differences in float64, and raises
# naming the worst entry when they disagree.

# %%
t = mg.randn(3, 4, dtype="float64", requires_grad=True)
print("gradcheck of tanh(t) @ t.T:", mg.gradcheck(lambda t: t.tanh() @ t.T, [t]))


class BadSquare(mg.Op):
    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        return gy * self.x                      # wrong: should be 2 * x * gy


try:
    mg.gradcheck(lambda t: BadSquare()(t), [t])
except mg.GradcheckError as error:
    print("caught:", error)

# %% [markdown]
# ## Derivatives you can plot
# The gradient of a sum of elementwise functions is the elementwise derivative.

# %%
grid = mg.tensor(np.linspace(-4, 4, 200), requires_grad=True)
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
for ax, (name, fn) in zip(axes, [("tanh", lambda t: t.tanh()), ("sigmoid", lambda t: t.sigmoid()),
                                 ("relu", lambda t: t.relu())]):
    grid.grad = None
    out = fn(grid)
    out.sum().backward()
    ax.plot(grid.detach().numpy(), out.detach().numpy(), label=name)
    ax.plot(grid.detach().numpy(), grid.grad.numpy(), "--", label=f"d {name} / dx (autograd)")
    ax.legend(loc="upper left")
    ax.set_title(name)
save_figure(fig, "01_derivatives", args.quick)

# %% [markdown]
# ## Fitting a curve with raw Tensor ops
# A one-hidden-layer network written by hand: matmuls, tanh, a mean squared error, `backward`, and
# a gradient step under `mg.no_grad()`.

# %%
xs = np.linspace(-3, 3, 128, dtype=np.float32)[:, None]
targets = np.sin(xs) + 0.05 * np.random.default_rng(0).standard_normal(xs.shape).astype(np.float32)
x_t, y_t = mg.tensor(xs), mg.tensor(targets)
w1, b1 = mg.randn(1, 32, requires_grad=True), mg.zeros(32, requires_grad=True)
w2, b2 = mg.tensor(mg.randn(32, 1).numpy() * 0.1, requires_grad=True), mg.zeros(1, requires_grad=True)
losses = []
for step in range(100 if args.quick else 1500):
    loss = (((x_t @ w1 + b1).tanh() @ w2 + b2 - y_t) ** 2).mean()
    loss.backward()
    with mg.no_grad():
        for p in (w1, b1, w2, b2):
            p -= 0.05 * p.grad  # in place: p stays the same leaf tensor
            p.grad = None
    losses.append(loss.item())
print(f"loss: first {losses[0]:.3f}, last {losses[-1]:.4f}")
assert losses[-1] < losses[0]

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.plot(losses)
left.set(xlabel="step", ylabel="mean squared error", yscale="log", title="loss")
right.scatter(xs, targets, s=6, label="data")
with mg.no_grad():
    right.plot(xs, ((x_t @ w1 + b1).tanh() @ w2 + b2).numpy(), color="C1", label="network")
right.legend()
right.set_title("fit")
save_figure(fig, "01_fit", args.quick)
