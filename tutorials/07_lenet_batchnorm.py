# %% [markdown]
# # The LeNet-BatchNorm lab: a convolutional network with and without BatchNorm
#
# BatchNorm's home is the convolutional network. This lab builds the LeNet of the classic
# BatchNorm demos (MXNet/Gluon's tutorial and the labs built on it): two blocks of
# `Conv2d -> BatchNorm2d -> ReLU -> MaxPool2d`, then `Linear -> BatchNorm1d -> ReLU` and a `Linear`
# to the classes, and trains it with and without the BatchNorm layers to measure what the lab claims:
#
# * (a) **faster convergence**: steps to a target test accuracy, each variant at its best learning rate;
# * (b) **higher usable learning rates**: the classic demo trains the BatchNorm LeNet at lr 1.0;
# * (c) **less sensitivity to initialisation**: the default initial weights scaled up and down.
#
# It runs on the 8x8 digits that ship with scikit-learn (with padded convolutions, so two 2x2 pools
# still fit), or on MNIST / Fashion-MNIST when pointed at the IDX files:
# `python tutorials/07_lenet_batchnorm.py --data ~/data/fashion-mnist` (nothing is downloaded).
# `--quick` is a run of seconds for CI; it draws the figures but gives no verdict.

# %%
import argparse
import tempfile
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import minigrad.nn as nn
from minigrad.datasets import Split, load_digits, load_mnist

from _common import accuracy, initialisation_figure, options, save_figure, sweep_variants, train

args = options("The LeNet-BatchNorm lab on the digits or MNIST")
extra = argparse.ArgumentParser()
extra.add_argument("--data", help="folder with the MNIST or Fashion-MNIST IDX files (default: the 8x8 digits)")
DATA_PATH = extra.parse_known_args()[0].data
# Runs at too high a learning rate diverge on purpose (sweep (b) looks for them); their overflow
# warnings are expected, and a run whose loss turns NaN counts as not training.
warnings.filterwarnings("ignore", category=RuntimeWarning)
started = time.perf_counter()

# %% [markdown]
# ## Data
# The digits: 1797 images of 8x8 pixels, split 80/20 and standardised per pixel with the training
# statistics, as images of one channel `(N, 1, 8, 8)`. MNIST: 60000 + 10000 images of 28x28, scaled to
# [0, 1] and standardised with the training mean and standard deviation; the sweeps use the first
# 10000 training images, the final model all of them.

# %%
if DATA_PATH:
    x_train, y_train = load_mnist(DATA_PATH, kind="train")
    x_test, y_test = load_mnist(DATA_PATH, kind="test")
    x_train, x_test = (x.astype(np.float32)[:, None] / 255 for x in (x_train, x_test))
    mean, std = x_train.mean(), x_train.std()
    full = Split((x_train - mean) / std, y_train, (x_test - mean) / std, y_test)
    sweep_data = Split(full.x_train[:10000], full.y_train[:10000], full.x_test, full.y_test)
    image_size, padding, name = x_train.shape[-1], 0, f"MNIST-format data from {DATA_PATH}"
else:
    digits = load_digits()
    full = Split(digits.x_train.reshape(-1, 1, 8, 8), digits.y_train, digits.x_test.reshape(-1, 1, 8, 8),
                 digits.y_test)
    sweep_data, image_size, padding, name = full, 8, 2, "the 8x8 digits"
print(f"{name}: train {full.x_train.shape}, test {full.x_test.shape}")

# %% [markdown]
# ## The network
# LeNet-5's layout with 5x5 kernels. On 28x28 images the convolutions are unpadded (28 -> 24 -> 12 ->
# 8 -> 4); on 8x8 digits they are padded by 2 (8 -> 8 -> 4 -> 4 -> 2). `init_scale` multiplies
# PyTorch's default initialisation of every Conv2d and Linear layer.

# %%
def make_lenet(batch_norm, init_scale=1.0):
    def norm(layer, n):
        return [layer(n)] if batch_norm else []
    side = ((image_size + 2 * padding - 4) // 2 + 2 * padding - 4) // 2
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=padding), *norm(nn.BatchNorm2d, 6), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, padding=padding), *norm(nn.BatchNorm2d, 16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * side * side, 120), *norm(nn.BatchNorm1d, 120), nn.ReLU(), nn.Linear(120, 10))
    for module in model:
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            module.weight.data *= init_scale
            module.bias.data *= init_scale
    return model


print(make_lenet(batch_norm=True))

# %% [markdown]
# ## (a) and (b): a learning-rate sweep
# Every variant, rate and seed trains for the same number of epochs with SGD (momentum 0.9, batches
# of 64), evaluated in eval mode every few steps. A run "trains" when it ends at >= 90% test accuracy.

# %%
VARIANTS = {"without BatchNorm": False, "with BatchNorm": True}
SEEDS = [0] if args.quick else [0, 1]
EPOCHS = 1 if args.quick else (3 if DATA_PATH else 10)
RATES = [0.1, 1.0] if args.quick else [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
SCALES = [1.0, 10.0] if args.quick else [0.1, 0.3, 1.0, 3.0, 10.0]
TARGET = 0.97
EVAL_EVERY = 5 if args.quick else (50 if DATA_PATH else 10)
if args.quick:  # a few batches of each split: the code path, not a measurement
    sweep_data = Split(*(a[:512] for a in sweep_data))
    full = sweep_data


def run(batch_norm, lr, seed, init_scale=1.0, epochs=EPOCHS, data=None):
    mg.manual_seed(seed)
    model = make_lenet(batch_norm, init_scale)
    history = train(model, data or sweep_data, epochs=epochs, lr=lr, seed=seed, eval_every=EVAL_EVERY,
                    progress=False)
    return model, history


def final_accuracy(history):
    return history["test_acc"][-1] if history["test_acc"] and np.isfinite(history["loss"][-1]) else 0.1


def steps_to_target(history):
    return next((s for s, acc in zip(history["eval_step"], history["test_acc"]) if acc >= TARGET), np.inf)


sweep = sweep_variants(VARIANTS, RATES, SEEDS, lambda bn, lr, seed: run(bn, lr, seed)[1], "learning-rate sweep")

print(f"{'variant':<20} {'lr':>6} {'final test acc':>15} {'median steps to ' + format(TARGET, '.0%'):>22}")
summary = {}
for name in VARIANTS:
    for lr in RATES:
        histories = sweep[name][lr]
        summary[name, lr] = (np.mean([final_accuracy(h) for h in histories]),
                             float(np.median([steps_to_target(h) for h in histories])))
        print(f"{name:<20} {lr:>6g} {summary[name, lr][0]:>15.3f} {summary[name, lr][1]:>22.0f}")

# each variant's best rate: fewest steps to the target (ties: higher final accuracy)
best_lr = {name: min(RATES, key=lambda lr: (summary[name, lr][1], -summary[name, lr][0])) for name in VARIANTS}
largest_lr = {name: max([lr for lr in RATES if summary[name, lr][0] >= 0.9], default=None) for name in VARIANTS}

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for index, name in enumerate(VARIANTS):
    left.plot(RATES, [summary[name, lr][0] for lr in RATES], marker="o", label=name)
    for history in sweep[name][best_lr[name]]:
        right.plot(history["eval_step"], history["test_acc"], color=f"C{index}", alpha=0.7)
    right.plot([], [], color=f"C{index}", label=f"{name}, lr={best_lr[name]:g}")
left.axhline(0.9, color="grey", linestyle=":", linewidth=1)
left.set(xscale="log", xlabel="learning rate", ylabel=f"test accuracy after {EPOCHS} epochs", ylim=(0, 1.02),
         title="(b) learning-rate sweep (mean over seeds)")
left.legend()
right.axhline(TARGET, color="grey", linestyle=":", linewidth=1)
right.set(xlabel="step", ylabel="test accuracy", ylim=(0.5, 1.0), title="(a) convergence at each best rate")
right.legend()
save_figure(fig, "07_learning_rates", args.quick)

# %% [markdown]
# ## (c) Initialisation scale
# The default initialisation of every Conv2d and Linear layer multiplied by a scale, at lr 0.03.

# %%
init = sweep_variants(VARIANTS, SCALES, SEEDS,
                      lambda bn, scale, seed: final_accuracy(run(bn, 0.03, seed, init_scale=scale)[1]),
                      "initialisation sweep")
trains_at = {name: [s for s in SCALES if np.mean(init[name][s]) >= 0.9] for name in VARIANTS}
initialisation_figure(init, EPOCHS, "07_initialisation", args.quick)

# %% [markdown]
# ## The final model
# The BatchNorm LeNet at its best rate from sweep (a), trained on the whole training set for longer;
# then its learned first-layer filters are drawn, and it is saved and loaded into a fresh model that
# must predict exactly the same. (With momentum 0.9, lr 1.0 steps like plain SGD at lr 10: the
# classic demo's lr 1.0 is plain SGD.)

# %%
final_epochs = 1 if args.quick else (5 if DATA_PATH else 30)
final_lr = best_lr["with BatchNorm"]
model, history = run(True, final_lr, 0, epochs=final_epochs, data=full)
final_test = accuracy(model, full.x_test, full.y_test)
print(f"BatchNorm LeNet, lr {final_lr:g}, {final_epochs} epochs: test accuracy {final_test:.4f}")

filters = model[0].weight.detach().numpy()[:, 0]  # (6, 5, 5)
fig, axes = plt.subplots(1, len(filters), figsize=(1.6 * len(filters), 1.9))
for index, (ax, kernel) in enumerate(zip(axes, filters)):
    bound = np.abs(kernel).max()
    ax.imshow(kernel, cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax.set(xticks=[], yticks=[], title=f"filter {index}")
fig.suptitle("first-layer filters of the BatchNorm LeNet (red positive, blue negative)", y=1.05)
save_figure(fig, "07_filters", args.quick)

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "lenet_bn.npz"
    mg.save(model.state_dict(), path)
    restored = make_lenet(batch_norm=True)
    restored.load_state_dict(mg.load(path))
model.eval()
restored.eval()
probe = mg.tensor(full.x_test[:256])
same = np.array_equal(model(probe).detach().numpy(), restored(probe).detach().numpy())
print(f"saved and reloaded: predictions identical = {same}")
assert same, "a reloaded model must predict exactly as the saved one"

# %% [markdown]
# ## The numbers, and what holds

# %%
table = [
    (f"(a) median steps to {TARGET:.0%} at the best lr",
     *(f"{summary[n, best_lr[n]][1]:.0f} (lr {best_lr[n]:g})" for n in VARIANTS)),
    ("(b) largest lr ending >= 90%", *(f"{largest_lr[n]:g}" if largest_lr[n] else "none" for n in VARIANTS)),
    ("(c) init scales ending >= 90% (lr 0.03)", *(", ".join(f"{s:g}" for s in trains_at[n]) or "none" for n in VARIANTS)),
]
print(f"\n| {'measure':<42} | {'without BatchNorm':<20} | {'with BatchNorm':<20} |")
print(f"|{'-' * 44}|{'-' * 22}|{'-' * 22}|")
for measure, without, with_bn in table:
    print(f"| {measure:<42} | {without:<20} | {with_bn:<20} |")
print(f"final BatchNorm LeNet (lr {final_lr:g}, {final_epochs} epochs): {final_test:.2%} test accuracy; "
      f"whole run {time.perf_counter() - started:.0f} s")

if args.quick:
    print("\nquick run: too few steps to judge any claim; run without --quick for the verdict.")
else:
    steps_plain, steps_bn = (summary[n, best_lr[n]][1] for n in VARIANTS)
    if not np.isfinite(steps_bn):
        verdict_a = f"(a) not measured: the BatchNorm LeNet never reached {TARGET:.0%} in {EPOCHS} epochs."
    elif not np.isfinite(steps_plain):
        verdict_a = f"(a) holds: only the BatchNorm LeNet reached {TARGET:.0%} within {EPOCHS} epochs."
    else:
        ratio = steps_plain / steps_bn
        verdict_a = (f"(a) {'holds' if ratio > 1.2 else 'does not hold here'}: {ratio:.1f}x "
                     f"{'fewer' if ratio >= 1 else 'more'} steps to {TARGET:.0%} with BatchNorm, each at its best rate.")
    bn_lr, plain_lr = largest_lr["with BatchNorm"] or 0, largest_lr["without BatchNorm"] or 0
    verdict_b = (f"(b) {'holds' if bn_lr > plain_lr else 'does not hold here'}: the largest rate that still trains "
                 f"is {bn_lr or 'none'} with BatchNorm and {plain_lr or 'none'} without"
                 f"{'; lr 1.0 trains the BatchNorm LeNet, as in the classic demo' if bn_lr >= 1.0 else ''}.")
    counts = {n: len(trains_at[n]) for n in VARIANTS}
    verdict_c = (f"(c) {'holds' if counts['with BatchNorm'] > counts['without BatchNorm'] else 'does not hold here'}: "
                 f"{counts['with BatchNorm']} of {len(SCALES)} initial scales train with BatchNorm, "
                 f"{counts['without BatchNorm']} without.")
    print("\n" + "\n".join([verdict_a, verdict_b, verdict_c]))
