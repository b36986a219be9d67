# %% [markdown]
# # Higher-order gradients: a physics-informed fit and a Hessian-vector product
#
# `create_graph=True` records the backward pass itself, so a gradient is a Tensor in the graph that can
# be differentiated again. Two uses: a network u(x) fitted so that its second derivative u''(x) solves a
# differential equation (the derivative is inside the loss), and a Hessian-vector product, checked
# against finite differences of the gradient.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim

from _common import options, save_figure

args = options("Higher-order gradients")
mg.manual_seed(args.seed)

# %% [markdown]
# ## A physics-informed fit
# Find u on [0, 1] with u''(x) = -pi^2 sin(pi x) and u(0) = u(1) = 0 (the solution is sin(pi x)),
# with no sample of u: the loss is the residual of the equation at random points plus the boundary
# values. `mg.autograd.grad(..., create_graph=True)` gives u' and then u'' as Tensors in the graph, so
# the optimizer's backward goes through both derivatives to the weights.

# %%
model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)).double()
optimizer = optim.Adam(model.parameters(), lr=3e-3)
steps = 300 if args.quick else 3000
rng = np.random.default_rng(args.seed)
boundary = mg.tensor([[0.0], [1.0]], dtype=mg.float64)


def second_derivative(x):
    """u(x) and u''(x) for a column of points x (requires_grad), both in the graph."""
    u = model(x)
    (du,) = mg.autograd.grad(u.sum(), x, create_graph=True)  # each u(x_i) depends on x_i only
    (d2u,) = mg.autograd.grad(du.sum(), x, create_graph=True)
    return u, d2u


losses = []
for step in range(steps):
    x = mg.tensor(rng.uniform(0, 1, (64, 1)), requires_grad=True)
    _, d2u = second_derivative(x)
    residual = d2u + math.pi ** 2 * (math.pi * x).sin()
    loss = (residual ** 2).mean() + 10 * (model(boundary) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print(f"loss after {steps} steps: {losses[-1]:.2e} (from {losses[0]:.2e})")

# %%
grid = mg.tensor(np.linspace(0, 1, 101)[:, None], requires_grad=True)
u, d2u = second_derivative(grid)
xs = grid.detach().numpy()[:, 0]
error = np.abs(u.detach().numpy()[:, 0] - np.sin(np.pi * xs)).max()
print(f"largest |u - sin(pi x)| on the grid: {error:.2e}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
left.plot(xs, np.sin(np.pi * xs), "k--", label="sin(pi x)")
left.plot(xs, u.detach().numpy()[:, 0], label="network u(x)")
left.plot(xs, d2u.detach().numpy()[:, 0] / np.pi ** 2, label="u''(x) / pi^2")
left.set_xlabel("x")
left.legend()
right.semilogy(losses)
right.set_xlabel("step")
right.set_ylabel("loss")
fig.suptitle("u'' = -pi^2 sin(pi x), u(0) = u(1) = 0, fitted through its second derivative")
save_figure(fig, "11_physics_informed", args.quick)

# %% [markdown]
# ## A Hessian-vector product
# H v for the loss as a function of the first layer's weight, without forming H: the gradient of
# (gradient . v). `mg.autograd.functional.hvp` does the same. The check: the slope of the gradient
# along v, by central differences.

# %%
weight = model[0].weight
x = mg.tensor(rng.uniform(0, 1, (16, 1)))


def loss_at(w):
    hidden = (x @ w.t() + model[0].bias).tanh()
    return (model[4](model[3](model[2](hidden))) ** 2).mean()


w0 = weight.detach().clone().requires_grad_(True)
v = mg.tensor(rng.standard_normal(weight.shape))
(gradient,) = mg.autograd.grad(loss_at(w0), w0, create_graph=True)
(hv,) = mg.autograd.grad((gradient * v).sum(), w0)

eps = 1e-6


def gradient_at(w):
    w = w.detach().requires_grad_(True)
    return mg.autograd.grad(loss_at(w), w)[0].numpy()


finite = (gradient_at(w0 + eps * v) - gradient_at(w0 - eps * v)) / (2 * eps)
relative = np.abs(hv.numpy() - finite).max() / np.abs(finite).max()
print(f"H v against finite differences of the gradient: largest relative difference {relative:.1e}")
assert relative < 1e-6
_, hv_functional = mg.autograd.functional.hvp(loss_at, w0.detach(), v)
assert np.allclose(hv_functional.numpy(), hv.numpy(), rtol=1e-10, atol=1e-14)
