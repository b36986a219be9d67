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
    with pytest.raises(ValueError, match="test_fraction"):
        datasets.train_test_split(x, y, test_fraction=1.5)


def test_spirals_are_deterministic_and_balanced():
    x, y = datasets.make_spirals(n_per_class=50, classes=4, seed=1)
    assert x.shape == (200, 2) and x.dtype == np.float32
    assert np.bincount(y).tolist() == [50] * 4
    np.testing.assert_array_equal(datasets.make_spirals(n_per_class=50, classes=4, seed=1)[0], x)
    with pytest.raises(ValueError, match="classes >= 2"):
        datasets.make_spirals(classes=1)
