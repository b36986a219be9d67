"""Shared by the tutorials: the --quick flag, where figures go, the digits MLP and its training loop."""
import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are written to files; no display is needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.functional as F  # noqa: E402
import minigrad.nn as nn  # noqa: E402
import minigrad.optim as optim  # noqa: E402
from minigrad.data import DataLoader, TensorDataset  # noqa: E402

HERE = Path(__file__).resolve().parent


def options(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="a run of a few seconds (CI); figures go to figures/quick/")
    args, _ = parser.parse_known_args()  # a notebook kernel passes arguments of its own
    return args


def save_figure(fig, name, quick):
    folder = HERE / "figures" / ("quick" if quick else "")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {path.relative_to(HERE.parent)}")
    return path


def make_mlp(batch_norm=True, dropout=0.0, hidden=128, inputs=64, classes=10, init_scale=1.0, device="cpu"):
    """Linear -> [BatchNorm] -> ReLU -> [Dropout], twice, then Linear to the classes.
    ``init_scale`` multiplies PyTorch's default initialisation of every Linear layer."""
    layers = []
    for size_in in (inputs, hidden):
        layers.append(nn.Linear(size_in, hidden))
        if batch_norm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, classes))
    model = nn.Sequential(*layers)
    for module in model:
        if isinstance(module, nn.Linear):
            module.weight.data *= init_scale
            module.bias.data *= init_scale
    return model.to(device)


def accuracy(model, x, y, batch_size=512):
    """Fraction of correct predictions, in eval mode (the model's mode is restored)."""
    was_training = model.training
    model.eval()
    correct = 0
    with mg.no_grad():
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=batch_size, device=model_device(model)):
            correct += int((model(xb).numpy().argmax(axis=1) == yb.numpy()).sum())
    model.train(was_training)
    return correct / len(x)


def model_device(model):
    return next(model.parameters()).device


def train(model, data, epochs, lr, momentum=0.9, batch_size=64, seed=0, eval_every=None, record=None,
          progress=True, sampler=None, drop_last=False):
    """SGD on cross-entropy. Returns a history dict of per-step loss and, every ``eval_every`` steps
    (default: each epoch), train and test accuracy. ``record(step, model)`` is called at each
    evaluation. Training stops early if the loss becomes NaN. A ``sampler`` (e.g. a
    DistributedSampler, told each epoch by set_epoch) replaces the shuffled order."""
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=batch_size, shuffle=sampler is None,
                        sampler=sampler, drop_last=drop_last, seed=seed, device=model_device(model))
    eval_every = eval_every or len(loader)
    history = {"step": [], "loss": [], "eval_step": [], "train_acc": [], "test_acc": []}
    step = 0
    bar = tqdm(total=epochs * len(loader), disable=not progress, leave=False, desc=f"lr={lr:g}")
    for epoch in range(epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            bar.update()
            history["step"].append(step)
            history["loss"].append(loss.item())
            if not math.isfinite(history["loss"][-1]):
                bar.close()
                return history
            if step % eval_every == 0:
                history["eval_step"].append(step)
                history["train_acc"].append(accuracy(model, data.x_train, data.y_train))
                history["test_acc"].append(accuracy(model, data.x_test, data.y_test))
                if record:
                    record(step, model)
    bar.close()
    return history


def smooth(values, width=20):
    values = np.asarray(values, dtype=np.float64)
    if len(values) < width:
        return values
    return np.convolve(values, np.ones(width) / width, mode="valid")
