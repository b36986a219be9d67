"""Shared fixtures: ``device`` runs a test body on every available backend."""
import pathlib
import sys

import numpy as np
import pytest

import minigrad as mg


# The op table (tests/op_db.py) is a plain module that test files import by name.
sys.path.insert(0, str(pathlib.Path(__file__).parent))

CUDA_SKIP_REASON = mg.cuda.unavailable_reason()
needs_gpu = [pytest.mark.gpu, pytest.mark.skipif(CUDA_SKIP_REASON is not None, reason=str(CUDA_SKIP_REASON))]


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=needs_gpu)])
def device(request):
    """'cpu', and 'cuda' when CuPy and a GPU are present."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True, scope="session")
def _no_backoff_under_load():
    # A loaded host would otherwise let a late region run the rest of a 2-thread pass on one thread, and
    # the tests that compare thread counts bit for bit would compare one with one; test_runtime.py turns
    # the back-off on where it is the subject.
    from minigrad._kernels import runtime

    previous = runtime._allow_backoff(False)
    yield
    runtime._allow_backoff(previous)


@pytest.fixture(autouse=True)
def _seed():
    mg.manual_seed(0)


@pytest.fixture
def kept_channels():
    """The checker of a channel dropout (F.dropout2d, nn.Dropout2d): ``kept_channels(x, y, p)``."""
    def check(x, y, p):
        """The (N, C) bool mask of kept channels, after checking that y is x / (1 - p) on them and 0
        on the others (x has no zeros)."""
        zero = (y == 0).reshape(x.shape[0], x.shape[1], -1)
        kept = ~zero.all(axis=2)
        assert (kept | zero.all(axis=2)).all(), "a channel was partly dropped"
        scale = np.where(kept, 1 / (1 - p), 0.0).reshape(kept.shape + (1,) * (x.ndim - 2))
        np.testing.assert_allclose(y, x * scale, rtol=1e-6 if y.dtype == np.float32 else 1e-12)
        return kept
    return check


@pytest.fixture
def same_state():
    """``same_state(model_a, model_b)``: their state dicts agree entry by entry (float32 steps on two
    devices: rtol 1e-4, atol 1e-5), each mismatch named."""
    def check(model_a, model_b):
        for (name, a), (_, b) in zip(model_a.state_dict().items(), model_b.state_dict().items()):
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    return check


def pytest_collection_modifyitems(items):
    """A test marked gpu is skipped, with the reason, where the GPU backend cannot run."""
    if CUDA_SKIP_REASON is not None:
        for item in items:
            if item.get_closest_marker("gpu"):
                item.add_marker(pytest.mark.skip(reason=str(CUDA_SKIP_REASON)))
