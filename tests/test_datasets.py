import re

import numpy as np
import pytest

from minigrad import datasets


def test_digits_split_is_fixed_by_seed_and_standardised_with_training_statistics():
    data = datasets.load_digits()
    assert data.x_train.shape == (1438, 64) and data.x_test.shape == (359, 64)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert set(np.unique(data.y_train)) == set(range(10))
    varying = data.x_train.std(axis=0) > 0
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.x_train.std(axis=0)[varying], 1, rtol=1e-4)
    assert abs(data.x_test.mean()) > 1e-4  # test data is scaled with training statistics, not its own
    again = datasets.load_digits()
    np.testing.assert_array_equal(data.y_test, again.y_test)
    assert (datasets.load_digits(seed=1).y_test != data.y_test).any()


def test_split_and_standardize_on_known_numbers():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    split = datasets.train_test_split(x, y, test_fraction=0.3, seed=0)
    assert len(split.x_train) == 7 and len(split.x_test) == 3
    assert sorted(np.concatenate([split.y_train, split.y_test])) == list(range(10))
    np.testing.assert_array_equal(split.x_train[:, 0] / 2, split.y_train)
    scaled = datasets.standardize(split)
    train_x = split.x_train
    np.testing.assert_allclose(scaled.x_test, (split.x_test - train_x.mean(0)) / train_x.std(0))
    with pytest.raises(ValueError, match=r"train_test_split: test_fraction must be a number in \(0, 1\), got 1.5"):
        datasets.train_test_split(x, y, test_fraction=1.5)


def test_spirals_are_deterministic_and_balanced():
    x, y = datasets.make_spirals(n_per_class=50, classes=4, seed=1)
    assert x.shape == (200, 2) and x.dtype == np.float32
    assert np.bincount(y).tolist() == [50] * 4
    np.testing.assert_array_equal(datasets.make_spirals(n_per_class=50, classes=4, seed=1)[0], x)
    with pytest.raises(ValueError, match="make_spirals: classes must be an int >= 2, got 1"):
        datasets.make_spirals(classes=1)


# ---- load_mnist on small IDX files written here ------------------------------------------------
def _write_idx(path, array, magic, compress):
    import gzip

    raw = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape) + array.tobytes()
    with (gzip.open if compress else open)(str(path) + (".gz" if compress else ""), "wb") as f:
        f.write(raw)


@pytest.mark.parametrize("kind, stem", [("train", "train"), ("test", "t10k")])
@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_reads_idx_files_gzipped_or_not(kind, stem, compress, tmp_path):
    from minigrad.datasets import load_mnist

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, 5, dtype=np.uint8)
    _write_idx(tmp_path / f"{stem}-images-idx3-ubyte", images, 2051, compress)
    _write_idx(tmp_path / f"{stem}-labels-idx1-ubyte", labels, 2049, compress)
    x, y = load_mnist(tmp_path, kind=kind)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert x.dtype == np.uint8 and y.dtype == np.int64 and x.flags.writeable


def test_load_mnist_names_the_missing_file_and_refuses_bad_files(tmp_path):
    from minigrad.datasets import load_mnist

    with pytest.raises(FileNotFoundError, match="no t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz in"):
        load_mnist(tmp_path, kind="test")
    with pytest.raises(ValueError, match="load_mnist: kind must be one of 'train', 'test'"):
        load_mnist(tmp_path, kind="validation")
    _write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 3, 3), np.uint8), 2049, False)
    with pytest.raises(ValueError, match="magic number 2049, expected 2051"):
        load_mnist(tmp_path)
    _write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 3, 3), np.uint8), 2051, False)
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        load_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes((2049).to_bytes(4, "big") + (3).to_bytes(4, "big") + b"\x01")
    with pytest.raises(ValueError, match=r"holds 1 bytes of data, but its header says shape \(3,\)"):
        load_mnist(tmp_path)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3, np.uint8), 2049, False)
    with pytest.raises(ValueError, match="2 images but 3 labels"):
        load_mnist(tmp_path)


def _labels_gz(path, raw):
    import gzip

    with gzip.open(path / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(raw)
    return path / "train-labels-idx1-ubyte.gz"


def _images(path, n=3):
    _write_idx(path / "train-images-idx3-ubyte", np.zeros((n, 2, 2), np.uint8), 2051, False)


def _idx_header(magic, *dims):
    return b"".join(v.to_bytes(4, "big") for v in (magic, *dims))


@pytest.mark.parametrize("damage, problem", [
    (lambda gz: gz[:len(gz) // 2], "is a damaged or truncated gzip file"),
    (lambda gz: gz[:-3], "is a damaged or truncated gzip file"),
    (lambda gz: gz[:-100] + bytes(b ^ 0x55 for b in gz[-100:-90]) + gz[-90:], "is a damaged or truncated gzip file"),
    (lambda gz: b"\x1f\x8b\x08" + b"\xff" * 20, "is a damaged or truncated gzip file"),
    (lambda gz: b"PK\x03\x04 a zip, not a gzip", "is a damaged or truncated gzip file"),
])
def test_load_mnist_names_a_damaged_gzip_file(tmp_path, damage, problem):
    from minigrad.datasets import load_mnist

    _images(tmp_path, n=300)
    good = _labels_gz(tmp_path, _idx_header(2049, 300) + bytes(range(256)) + bytes(44))
    good.write_bytes(damage(good.read_bytes()))
    with pytest.raises(ValueError, match=f"load_mnist: {re.escape(str(good))} {problem}"):
        load_mnist(tmp_path)


@pytest.mark.parametrize("compress", [True, False])
def test_load_mnist_refuses_a_header_larger_than_the_file_before_allocating(tmp_path, compress):
    from minigrad.datasets import load_mnist

    raw = _idx_header(2051, 2 ** 31, 2 ** 31, 4)  # 2**64 bytes: 0 in int64
    if compress:
        import gzip
        path = tmp_path / "train-images-idx3-ubyte.gz"
        path.write_bytes(gzip.compress(raw))
    else:
        path = tmp_path / "train-images-idx3-ubyte"
        path.write_bytes(raw)
    holds = r"can hold at most \d+ bytes of data \(deflate expands at most 1032:1\)" if compress else "holds 0 bytes of data"
    with pytest.raises(ValueError, match=rf"load_mnist: {re.escape(str(path))} {holds}, but its header "
                                         rf"says shape \(2147483648, 2147483648, 4\) \(18446744073709551616 bytes\)"):
        load_mnist(tmp_path)


def test_load_mnist_stops_decompressing_a_gzip_bomb_at_the_declared_size(tmp_path):
    import gzip
    import time
    import tracemalloc

    from minigrad.datasets import load_mnist

    _images(tmp_path, n=3)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:  # 3 labels declared, 128 MB of zeros follow
        f.write(_idx_header(2049, 3) + bytes(3))
        zeros = bytes(1 << 24)
        for _ in range(8):
            f.write(zeros)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError, match=f"load_mnist: {re.escape(str(path))} holds more than the 3 bytes "
                                             r"of data its header declares \(shape \(3,\)\)"):
            load_mnist(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 2 and peak < 16 << 20
