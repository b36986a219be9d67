# %% [markdown]
# # Adam, AdamW and the one-cycle schedule; LayerNorm against BatchNorm
#
# Tutorial 02 trained the digits MLP with SGD at a constant learning rate. Here the same network is
# trained with Adam and AdamW, with and without a learning-rate schedule (`OneCycleLR`), and with
# LayerNorm in place of BatchNorm. We look at the schedules first, then train every combination on
# several seeds and compare the curves and the final test accuracy, with the spread across seeds.
#
# Run it with `python tutorials/08_adam_onecycle_layernorm.py` (add `--quick` for a few-second run,
# which trains too little to conclude anything).

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.optim as optim
from minigrad.datasets import load_digits
from minigrad.optim import lr_scheduler

from _common import options, save_figure, smooth, train

args = options("Adam/AdamW with OneCycleLR, LayerNorm vs BatchNorm, on the digits")
data = load_digits()
EPOCHS = 2 if args.quick else 30
SEEDS = [0] if args.quick else [0, 1, 2]
BATCH = 64
STEPS_PER_EPOCH = math.ceil(len(data.x_train) / BATCH)

# %% [markdown]
# ## The schedules
# A scheduler changes `group["lr"]` of its optimizer each time `scheduler.step()` is called (after
# `optimizer.step()`). The values are PyTorch's: the tests compare each sequence with PyTorch's
# closed forms. `OneCycleLR` (Smith & Topin) warms up from `max_lr / 25` to `max_lr` over the first
# 30% of the steps, then anneals to `max_lr / 25 / 1e4`; it also moves the momentum the other way
# (for Adam, beta1 goes from 0.95 down to 0.85 and back), so that large steps come with less
# momentum.

# %%
def schedule(make, steps, optimizer_class=optim.SGD, **opt_kwargs):
    """The learning rates (and the momentum or beta1) a scheduler sets over ``steps`` steps."""
    opt = optimizer_class([mg.zeros(1, requires_grad=True)], **opt_kwargs)
    scheduler = make(opt)
    lrs, momenta = [], []
    for _ in range(steps):
        group = opt.param_groups[0]
        lrs.append(scheduler.get_last_lr()[0])
        momenta.append(group["betas"][0] if "betas" in group else group.get("momentum", 0.0))
        opt.step()
        scheduler.step()
    return lrs, momenta


total = EPOCHS * STEPS_PER_EPOCH
one_cycle_lr, one_cycle_beta1 = schedule(lambda o: lr_scheduler.OneCycleLR(o, max_lr=1e-2, total_steps=total),
                                         total, optim.AdamW)
examples = {
    "StepLR(step_size=total/3, gamma=0.3)": lambda o: lr_scheduler.StepLR(o, step_size=max(1, total // 3), gamma=0.3),
    "ExponentialLR(gamma=0.01 ** (1/total))": lambda o: lr_scheduler.ExponentialLR(o, gamma=0.01 ** (1 / total)),
    "CosineAnnealingLR(T_max=total)": lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=total),
    "LinearLR(0.1 -> 1 over total/5)": lambda o: lr_scheduler.LinearLR(o, 0.1, 1.0, total_iters=max(1, total // 5)),
}
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
for name, make in examples.items():
    left.plot(schedule(make, total, lr=1e-2)[0], label=name)
left.plot(one_cycle_lr, color="black", linewidth=2, label="OneCycleLR(max_lr=1e-2)")
left.set(xlabel="step", ylabel="learning rate", title=f"schedules over {total} steps", yscale="log")
left.legend(fontsize=8)
right.plot(one_cycle_beta1, color="black")
right.set(xlabel="step", ylabel="beta1", title="OneCycleLR also cycles Adam's beta1")
save_figure(fig, "08_schedules", args.quick)

# %% [markdown]
# ## The model and the runs
# The MLP of tutorial 02 (64 -> 128 -> 128 -> 10, ReLU, Dropout 0.2) with either `BatchNorm1d` or
# `LayerNorm` after each hidden Linear. BatchNorm normalises each feature over the batch (and keeps
# running statistics for eval mode); LayerNorm normalises each sample over its features, so it
# behaves the same in training and eval and does not depend on the batch.
#
# Four ways of training it, each on every seed (same data order and initialisation per seed):
# Adam at a constant lr = 1e-3 (its default), AdamW with OneCycleLR(max_lr=1e-2), each with BatchNorm
# and with LayerNorm.

# %%
def make_model(norm):
    layers = []
    for size_in in (64, 128):
        layers += [nn.Linear(size_in, 128), nn.BatchNorm1d(128) if norm == "BatchNorm" else nn.LayerNorm(128),
                   nn.ReLU(), nn.Dropout(0.2)]
    return nn.Sequential(*layers, nn.Linear(128, 10))


def run(norm, recipe, seed):
    mg.manual_seed(seed)
    model = make_model(norm)
    if recipe == "Adam, constant lr":
        return train(model, data, EPOCHS, lr=1e-3, batch_size=BATCH, seed=seed, progress=False,
                     make_optimizer=lambda params: optim.Adam(params, lr=1e-3))
    return train(model, data, EPOCHS, lr=1e-2, batch_size=BATCH, seed=seed, progress=False,
                 make_optimizer=lambda params: optim.AdamW(params, lr=1e-2, weight_decay=1e-2),
                 make_scheduler=lambda opt, steps_per_epoch: lr_scheduler.OneCycleLR(
                     opt, max_lr=1e-2, epochs=EPOCHS, steps_per_epoch=steps_per_epoch))


ARMS = [(norm, recipe) for recipe in ("Adam, constant lr", "AdamW + OneCycleLR") for norm in ("BatchNorm", "LayerNorm")]
results = {arm: [run(*arm, seed) for seed in SEEDS] for arm in ARMS}

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
for (norm, recipe), runs in results.items():
    style = dict(color="tab:blue" if norm == "BatchNorm" else "tab:orange",
                 linestyle="-" if recipe.startswith("AdamW") else "--", label=f"{norm}, {recipe}")
    left.plot(smooth(np.mean([r["loss"] for r in runs], axis=0)), **style)
    right.plot(np.arange(1, EPOCHS + 1), np.mean([r["test_acc"] for r in runs], axis=0), **style)
left.set(xlabel="step", ylabel="cross-entropy (moving average, mean over seeds)", yscale="log", title="training loss")
right.set(xlabel="epoch", ylabel="test accuracy (mean over seeds)", title="test accuracy (eval mode)",
          ylim=(0.8, 1.0))
right.legend(fontsize=8)
save_figure(fig, "08_training_curves", args.quick)

print(f"{'arm':<34} final test accuracy over {len(SEEDS)} seed(s)      final train accuracy")
for (norm, recipe), runs in results.items():
    final = np.array([r["test_acc"][-1] for r in runs])
    print(f"{norm + ', ' + recipe:<34} {final.mean():.4f} +- {final.std():.4f} (min {final.min():.4f})"
          f"      {np.mean([r['train_acc'][-1] for r in runs]):.4f}")

# %% [markdown]
# ## What the runs show
# (From the full run, 30 epochs, 3 seeds; a `--quick` run trains too little to say anything.)
#
# | arm (30 epochs, 3 seeds)          | final test accuracy | train accuracy |
# |-----------------------------------|---------------------|----------------|
# | BatchNorm, Adam, constant lr      | 0.981 +- 0.007      | 1.000          |
# | LayerNorm, Adam, constant lr      | 0.978 +- 0.002      | 1.000          |
# | BatchNorm, AdamW + OneCycleLR     | 0.981 +- 0.002      | 1.000          |
# | LayerNorm, AdamW + OneCycleLR     | 0.980 +- 0.007      | 1.000          |
#
# - **On the digits, neither the schedule nor the normalisation changes the test accuracy we can
#   measure.** All four reach 97.8-98.1%; the largest difference (0.3 points, one image of the 360
#   in the test set) is smaller than the spread across seeds (up to 0.7 points). Tutorial 02's SGD
#   reaches about the same. Every arm fits the training set perfectly, so the test accuracy is
#   limited by generalisation, which none of these choices is about.
# - **The training loss does differ.** With OneCycleLR the loss at the end of training is several
#   times lower than with Adam at a constant 1e-3 (the annealed learning rate lets it settle), and
#   LayerNorm ends lower than BatchNorm with either recipe. A lower training loss on a training set
#   that is already classified perfectly did not buy test accuracy here. (The loss is measured in
#   training mode, with Dropout on and BatchNorm on batch statistics, which adds noise to the
#   BatchNorm curves.)
# - What LayerNorm does offer regardless: the same computation in training and eval, and no
#   dependence on the batch (a batch of one works). A harder problem than 8x8 digits, or a smaller
#   budget of epochs, is where the schedule's faster descent would have room to show in accuracy;
#   these runs do not show it.

# %%
if not args.quick:
    for (norm, recipe), runs in results.items():
        assert np.mean([r["test_acc"][-1] for r in runs]) >= 0.95, f"{norm}, {recipe} should reach 95% test accuracy"
