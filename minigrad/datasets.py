"""Small datasets for examples and tutorials, all offline."""
import math
import os
from collections import namedtuple

import numpy as np

from . import _args

Split = namedtuple("Split", ["x_train", "y_train", "x_test", "y_test"])


def train_test_split(x, y, test_fraction=0.2, seed=0):
    """Shuffle with ``seed`` and split off the last ``test_fraction`` as the test set."""
    _args.real(test_fraction, "train_test_split: test_fraction", 0, 1, low_open=True, high_open=True)
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
    _args.positive_int(n_per_class, "make_spirals: n_per_class")
    _args.integer(classes, "make_spirals: classes", 2)
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.05, 1, n_per_class), classes)
    labels = np.repeat(np.arange(classes), n_per_class)
    angle = labels * 2 * np.pi / classes + radius * 4 + rng.standard_normal(radius.shape) * noise
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return x.astype(dtype), labels.astype(np.int64)


# ---- MNIST / Fashion-MNIST (IDX files the user has downloaded) --------------------------------
_IDX_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
_IDX_IMAGES, _IDX_LABELS = 2051, 2049  # magic numbers: unsigned bytes, 3 dims / 1 dim


def load_mnist(path, kind="train"):
    """MNIST or Fashion-MNIST from the standard IDX files in folder ``path`` (each gzipped,
    ``*.gz``, or not): ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte`` for kind="train",
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` for kind="test". Nothing is downloaded.

    Returns (images uint8 of shape (N, rows, cols), labels int64 of shape (N,)).
    Example: ``x, y = load_mnist("~/data/fashion", kind="test"); x.shape`` -> (10000, 28, 28)
    """
    from pathlib import Path

    _args.choice(kind, "load_mnist: kind", tuple(_IDX_FILES))
    folder = Path(path).expanduser()
    arrays = []
    for stem, magic in zip(_IDX_FILES[kind], (_IDX_IMAGES, _IDX_LABELS)):
        candidates = [folder / stem, folder / f"{stem}.gz"]
        found = next((p for p in candidates if p.is_file()), None)
        if found is None:
            raise FileNotFoundError(f"load_mnist: no {stem} or {stem}.gz in {folder} (download the IDX files of "
                                    "MNIST or Fashion-MNIST there; nothing is downloaded automatically)")
        arrays.append(_read_idx_file(found, magic))
    images, labels = arrays
    if len(images) != len(labels):
        raise ValueError(f"load_mnist: {len(images)} images but {len(labels)} labels in {folder}")
    return images, labels.astype(np.int64)


# deflate (gzip) expands at most 1032:1, so a .gz file of n bytes holds less than 1032 n bytes
_DEFLATE_MAX_RATIO = 1032
_READ_CHUNK = 1 << 20


def _read_idx_file(path, magic):
    """The uint8 array of the IDX file at ``path`` (gzipped when its name ends in .gz). The header's
    declared size is checked against what the file can hold before anything is allocated, and the
    data is read in bounded chunks up to one byte past it, so a gzip bomb is never inflated whole.
    Every error is a ValueError naming the file."""
    import gzip
    import zlib

    gzipped = path.suffix == ".gz"
    capacity = os.path.getsize(path) * (_DEFLATE_MAX_RATIO if gzipped else 1)
    try:
        with (gzip.open if gzipped else open)(path, "rb") as file:
            return _read_idx(file, magic, path, capacity, gzipped)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise ValueError(f"load_mnist: {path} is a damaged or truncated gzip file ({error})") from None


def _read_idx(file, magic, path, capacity, gzipped):
    """The uint8 array after the IDX header (big-endian: magic, then one count per dim) in ``file``,
    whose uncompressed content is at most ``capacity`` bytes."""
    ndim = 3 if magic == _IDX_IMAGES else 1
    header = file.read(4 * (1 + ndim))
    if len(header) < 4 * (1 + ndim) or int.from_bytes(header[:4], "big") != magic:
        found = int.from_bytes(header[:4], "big") if len(header) >= 4 else None
        raise ValueError(f"load_mnist: {path} is not an IDX file of {ndim}-D unsigned bytes "
                         f"(magic number {found}, expected {magic})")
    shape = tuple(int.from_bytes(header[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    size = math.prod(shape)

    def mismatch(holds):
        return ValueError(f"load_mnist: {path} {holds}, but its header says shape {shape} ({size} bytes); "
                          "the file is truncated or corrupt")

    room = capacity - len(header)
    if size > room:
        raise mismatch(f"can hold at most {room} bytes of data (deflate expands at most {_DEFLATE_MAX_RATIO}:1)"
                       if gzipped else f"holds {room} bytes of data")
    data = np.empty(size, dtype=np.uint8)
    view, filled = memoryview(data), 0
    while filled < size:
        count = file.readinto(view[filled:filled + _READ_CHUNK])
        if not count:
            raise mismatch(f"holds {filled} bytes of data")
        filled += count
    if file.read(1):
        raise ValueError(f"load_mnist: {path} holds more than the {size} bytes of data its header declares "
                         f"(shape {shape}); the file is corrupt")
    return data.reshape(shape)
