# %% [markdown]
# # BatchNorm and Dropout together
#
# Four versions of the same MLP on the digits: plain, with Dropout, with BatchNorm, with both.
# For each: train and test accuracy and the gap between them (a measure of overfitting), averaged
# over seeds. Then what `model.eval()` changes, and why it matters.

# %%
import numpy as np
import matplotlib.pyplot as plt

import minigrad as mg
from minigrad.datasets import load_digits

from tqdm.auto import tqdm

from _common import accuracy, make_mlp, options, print_verdict, save_figure, train

args = options("BatchNorm and Dropout: regularisation and eval mode")
data = load_digits()
SEEDS = [0] if args.quick else [0, 1, 2, 3, 4]
EPOCHS = 3 if args.quick else 40
VARIANTS = {"none": dict(batch_norm=False, dropout=0.0), "Dropout(0.3)": dict(batch_norm=False, dropout=0.3),
            "BatchNorm": dict(batch_norm=True, dropout=0.0), "both": dict(batch_norm=True, dropout=0.3)}

# %% [markdown]
# ## Train each variant
# Same rate (0.03, momentum 0.9), same epochs, hidden width 256 so that the plain network can
# overfit the 1438 training images.

# %%
results = {}
for name, kwargs in tqdm(VARIANTS.items(), desc="variants"):
    train_acc, test_acc = [], []
    for seed in SEEDS:
        mg.manual_seed(seed)
        model = make_mlp(hidden=256, **kwargs)
        train(model, data, epochs=EPOCHS, lr=0.03, seed=seed, progress=False)
        train_acc.append(accuracy(model, data.x_train, data.y_train))
        test_acc.append(accuracy(model, data.x_test, data.y_test))
    results[name] = (np.array(train_acc), np.array(test_acc))

print(f"{'variant':<14} {'train acc':>10} {'test acc':>10} {'gap':>8}")
for name, (tr, te) in results.items():
    print(f"{name:<14} {tr.mean():>10.4f} {te.mean():>10.4f} {(tr - te).mean():>8.4f}")

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
names = list(results)
positions = np.arange(len(names))
left.bar(positions - 0.2, [results[n][0].mean() for n in names], 0.4, label="train")
left.bar(positions + 0.2, [results[n][1].mean() for n in names], 0.4, yerr=[results[n][1].std() for n in names],
         capsize=3, label="test")
left.set(xticks=positions, xticklabels=names, ylim=(0.9, 1.005), ylabel="accuracy", title="accuracy (mean over seeds)")
left.legend(loc="lower right")
right.bar(positions, [(results[n][0] - results[n][1]).mean() for n in names],
          yerr=[(results[n][0] - results[n][1]).std() for n in names], capsize=3, color="C2")
right.set(xticks=positions, xticklabels=names, ylabel="train - test accuracy", title="generalisation gap")
save_figure(fig, "04_regularisation", args.quick)

# %% [markdown]
# ## What eval mode changes
# In training mode BatchNorm normalises each batch with that batch's own mean and variance, and
# Dropout zeroes a random 30% of the units. Both make a prediction depend on
# things other than the input: the other examples in the batch, and chance. `model.eval()` switches
# BatchNorm to the running statistics it accumulated during training and turns Dropout off, so a
# prediction depends on its input alone.

# %%
mg.manual_seed(0)
model = make_mlp(hidden=256, batch_norm=True, dropout=0.3)
train(model, data, epochs=EPOCHS, lr=0.03, progress=False)
x = mg.tensor(data.x_test[:8])
other = mg.tensor(data.x_test[8:16])

model.train()
with mg.no_grad():
    first, second = model(x).numpy(), model(x).numpy()
    mixed = model(mg.tensor(np.concatenate([data.x_test[:4], data.x_test[8:12]]))).numpy()[:4]
print("train mode, same input twice, max difference:", np.abs(first - second).max())
print("train mode, same 4 images in another batch, max difference:", np.abs(first[:4] - mixed).max())

model.eval()
with mg.no_grad():
    first, second = model(x).numpy(), model(x).numpy()
    mixed = model(mg.tensor(np.concatenate([data.x_test[:4], data.x_test[8:12]]))).numpy()[:4]
    single = model(mg.tensor(data.x_test[:1])).numpy()
print("eval mode, same input twice, max difference:", np.abs(first - second).max())
print("eval mode, same 4 images in another batch, max difference:", np.abs(first[:4] - mixed).max())
print("eval mode also predicts a single image:", single.argmax(), "(label", data.y_test[0], ")")
assert np.abs(first - second).max() == 0 and np.abs(first[:4] - mixed).max() < 1e-5

# %% [markdown]
# A batch of one cannot be normalised by its own statistics (its variance is 0 and carries no
# information), so training mode refuses it with an error that says so:

# %%
model.train()
try:
    model(mg.tensor(data.x_test[:1]))
except ValueError as error:
    print("train mode, one image:", error)

# %% [markdown]
# ## What this shows
# On the digits, all four variants fit the training set almost perfectly; the test accuracies and
# gaps below say how much each regulariser bought here, next to the spread across seeds. A run on
# fewer than 3 seeds (`--quick`) has no spread to compare with, and draws no conclusion.

# %%
spread = max(results[n][1].std() for n in names)
best_test = max(names, key=lambda n: results[n][1].mean())
smallest_gap = min(names, key=lambda n: (results[n][0] - results[n][1]).mean())
difference = results[best_test][1].mean() - results["none"][1].mean()
print_verdict([f"best test accuracy: {best_test}; smallest gap: {smallest_gap}; best minus plain: {difference:+.4f} "
               f"against a seed-to-seed spread of {spread:.4f}.",
               "The regularising effect is " + ("clear" if difference > 2 * spread else "small on this data set: "
               "within about two seed spreads, so it should not be over-read") + "."], SEEDS)
