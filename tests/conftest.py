"""Shared fixtures: ``device`` runs a test body on every available backend."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import backend


def _cuda_skip_reason():
    if backend.cupy_or_none() is None:
        return "CuPy is not installed (pip install 'minigrad[gpu]')"
    if not backend.cuda_is_available():
        return "CuPy is installed but no NVIDIA GPU is visible"
    return None


CUDA_SKIP_REASON = _cuda_skip_reason()
needs_gpu = [pytest.mark.gpu, pytest.mark.skipif(CUDA_SKIP_REASON is not None, reason=str(CUDA_SKIP_REASON))]


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=needs_gpu)])
def device(request):
    """'cpu', and 'cuda' when CuPy and a GPU are present."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _seed():
    mg.manual_seed(0)
