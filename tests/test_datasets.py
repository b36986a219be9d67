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
