"""Shared by the tutorials: the --quick flag, where figures go, the digits MLP and its training loop."""
import argparse
import math
import shutil
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
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights, dropout and batch order")
    args, _ = parser.parse_known_args()  # a notebook kernel passes arguments of its own
    return args


# Fewer seeds than this cannot tell an effect from seed-to-seed noise, so such a run draws no conclusion.
MIN_SEEDS_FOR_VERDICT = 3


def print_verdict(conclusions, seeds):
    """Print the lines of ``conclusions``, or, for a run on fewer than MIN_SEEDS_FOR_VERDICT seeds
    (a --quick run), say that its data cannot support one.

    Example: ``print_verdict(["(a) holds: 3.1x fewer steps"], seeds=[0, 1, 2])``
    """
    if len(seeds) < MIN_SEEDS_FOR_VERDICT:
        print(f"quick run ({len(seeds)} seed{'s' if len(seeds) != 1 else ''}): too little data for a verdict; "
              "run without --quick for the conclusions")
    else:
        print("\n".join(conclusions))


def figures_folder(quick):
    """tutorials/figures, or its quick/ subfolder for --quick runs (created if needed)."""
    folder = HERE / "figures" / ("quick" if quick else "")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_figure(fig, name, quick):
    path = figures_folder(quick) / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {path.relative_to(HERE.parent)}")
    return path


def save_graph(graph, name, quick):
    """Write a make_dot graph's DOT text, and its picture where Graphviz's `dot` program is installed."""
    folder = figures_folder(quick)
    graph.save(folder / f"{name}.dot")
    print(f"wrote {(folder / f'{name}.dot').relative_to(HERE.parent)}")
    if shutil.which("dot"):
        graph.render(folder / name, format="png")
        print(f"wrote {(folder / f'{name}.png').relative_to(HERE.parent)}")
    else:
        print("Graphviz's `dot` program is not installed: the picture is not drawn (the DOT text is)")


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
            correct += int((model(xb).argmax(dim=1) == yb).sum())
    model.train(was_training)
    return correct / len(x)


def model_device(model):
    return next(model.parameters()).device


def train(model, data, epochs, lr, momentum=0.9, batch_size=64, seed=0, eval_every=None, record=None,
          progress=True, make_optimizer=None, make_scheduler=None, sampler=None, drop_last=False):
    """SGD (lr, momentum) on cross-entropy, or the optimizer ``make_optimizer(parameters)`` returns,
    with the scheduler ``make_scheduler(optimizer, steps_per_epoch)`` (if given) stepped after every
    batch. Returns a history dict of per-step loss and, every ``eval_every`` steps (default: each
    epoch), train and test accuracy. ``record(step, model)`` is called at each evaluation. Training
    stops early if the loss becomes NaN. A ``sampler`` (e.g. a DistributedSampler, told each epoch by
    set_epoch) replaces the shuffled order."""
    if make_optimizer is None:
        opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    else:
        opt = make_optimizer(model.parameters())
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=batch_size, shuffle=sampler is None,
                        sampler=sampler, drop_last=drop_last, seed=seed, device=model_device(model))
    scheduler = None if make_scheduler is None else make_scheduler(opt, len(loader))
    eval_every = eval_every or len(loader)
    history = {"step": [], "loss": [], "eval_step": [], "train_acc": [], "test_acc": []}
    step = 0
    bar = tqdm(total=epochs * len(loader), disable=not progress, leave=False,
               desc=f"lr={lr:g}" if make_optimizer is None else type(opt).__name__)
    for epoch in range(epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if scheduler is not None:
                scheduler.step()
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


def sweep_variants(variants, values, seeds, run_one, desc):
    """{name: {value: [run_one(flag, value, seed) for each seed]}} over ``variants`` ({name: flag}),
    with one progress bar."""
    results = {name: {value: [] for value in values} for name in variants}
    with tqdm(total=len(variants) * len(values) * len(seeds), desc=desc) as bar:
        for name, flag in variants.items():
            for value in values:
                for seed in seeds:
                    results[name][value].append(run_one(flag, value, seed))
                    bar.update()
    return results


def initialisation_figure(results, epochs, name, quick):
    """Final test accuracy (mean and spread over seeds) against the initial weight scale, per
    variant; ``results`` as sweep_variants returns them."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for variant, by_scale in results.items():
        scales = list(by_scale)
        ax.errorbar(scales, [np.mean(by_scale[s]) for s in scales], yerr=[np.std(by_scale[s]) for s in scales],
                    marker="o", capsize=3, label=variant)
    ax.set(xscale="log", xlabel="initial weight scale (x default)", ylabel=f"test accuracy after {epochs} epochs",
           title="(c) sensitivity to initialisation", ylim=(0, 1.02))
    ax.legend()
    save_figure(fig, name, quick)
