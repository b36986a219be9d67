# %% [markdown]
# # Fitting a model with raw Tensor ops
# A two-layer network written with nothing but Tensors, `@`, `tanh` and `backward`, trained by hand
# on a noisy sine. The loss printed every 50 steps goes down.

# %%
import argparse

import numpy as np

import minigrad as mg

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true", help="a few steps, for CI")
args, _ = parser.parse_known_args()
steps = 50 if args.quick else 500

mg.manual_seed(0)
rng = np.random.default_rng(0)
x = np.linspace(-3, 3, 128, dtype=np.float32)[:, None]
y = np.sin(x) + 0.05 * rng.standard_normal(x.shape).astype(np.float32)
x, y = mg.tensor(x), mg.tensor(y)

w1 = mg.randn(1, 32, requires_grad=True)
b1 = mg.zeros(32, requires_grad=True)
w2 = mg.tensor(mg.randn(32, 1).numpy() * 0.1, requires_grad=True)
b2 = mg.zeros(1, requires_grad=True)
params = [w1, b1, w2, b2]

# %%
for step in range(steps + 1):
    prediction = (x @ w1 + b1).tanh() @ w2 + b2
    loss = ((prediction - y) ** 2).mean()
    loss.backward()
    for p in params:
        p.data -= 0.05 * p.grad.data
        p.grad = None
    if step % 50 == 0:
        print(f"step {step:4d}  loss {loss.item():.4f}")
