"""Small datasets for examples and tutorials, all offline."""
from collections import namedtuple

import numpy as np

Split = namedtuple("Split", ["x_train", "y_train", "x_test", "y_test"])


def train_test_split(x, y, test_fraction=0.2, seed=0):
    """Shuffle with ``seed`` and split off the last ``test_fraction`` as the test set."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return Split(x[train], y[train], x[test], y[test])


def standardize(split):
    """Scale features to zero mean and unit variance with the *training* statistics (a feature
    that is constant in training is only centred)."""
    mean = split.x_train.mean(axis=0)
    std = split.x_train.std(axis=0)
    std[std == 0] = 1
    return Split((split.x_train - mean) / std, split.y_train, (split.x_test - mean) / std, split.y_test)


def load_digits(test_fraction=0.2, seed=0, dtype=np.float32):
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, 64 features, 10 classes), split
    into train and test with a fixed seed and standardised with the training statistics.

    Returns Split(x_train, y_train, x_test, y_test): x of shape (n, 64) in ``dtype``, y int64.
    Example: ``data = load_digits(); data.x_train.shape`` -> (1438, 64)
    """
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn: pip install 'minigrad[tutorials]'") from None
    digits = sklearn_digits()
    split = standardize(train_test_split(digits.data.astype(np.float64), digits.target.astype(np.int64),
                                         test_fraction, seed))
    return Split(split.x_train.astype(dtype), split.y_train, split.x_test.astype(dtype), split.y_test)


def make_spirals(n_per_class=200, classes=3, noise=0.2, seed=0, dtype=np.float32):
    """Interleaved 2-D spirals, one arm per class: a small problem no linear model solves.

    Returns (x of shape (classes * n_per_class, 2), y int64 labels). No dependencies.
    """
    if n_per_class < 1 or classes < 2:
        raise ValueError(f"need n_per_class >= 1 and classes >= 2, got {n_per_class}, {classes}")
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.05, 1, n_per_class), classes)
    labels = np.repeat(np.arange(classes), n_per_class)
    angle = labels * 2 * np.pi / classes + radius * 4 + rng.standard_normal(radius.shape) * noise
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return x.astype(dtype), labels.astype(np.int64)
