"""mg.set_num_threads is process-wide: every thread, including ones started later, reads the count
and runs its kernels with it (OpenMP alone keeps one count per thread)."""
import threading

import numpy as np
import pytest

import minigrad as mg
from minigrad._kernels import cpu, runtime

needs_openmp = pytest.mark.skipif(not runtime.has_openmp(), reason="kernels built without OpenMP: always 1 thread")


def _in_new_thread(work):
    result = {}
    thread = threading.Thread(target=lambda: result.update(work()))
    thread.start()
    thread.join()
    return result


@pytest.fixture
def fresh_thread_default():
    """The count a parallel region gets in a new thread before minigrad hands it one; the process
    count is restored after the test."""
    saved = mg.get_num_threads()
    default = _in_new_thread(lambda: {"threads": runtime.parallel_region_threads()})["threads"]
    yield default
    mg.set_num_threads(saved)


@needs_openmp
def test_a_thread_started_after_set_num_threads_runs_its_kernels_with_that_count(fresh_thread_default):
    count = fresh_thread_default + 1  # differs from OpenMP's default, so the hand-over is visible
    mg.set_num_threads(count)

    def work():
        seen = {"get_num_threads": mg.get_num_threads(), "region before a kernel": runtime.parallel_region_threads()}
        cpu.relu_forward(np.ones(8))
        seen["region after a kernel"] = runtime.parallel_region_threads()
        return seen

    seen = _in_new_thread(work)
    assert seen["get_num_threads"] == count
    assert seen["region before a kernel"] == fresh_thread_default  # OpenMP's own per-thread setting
    assert seen["region after a kernel"] == count


@needs_openmp
def test_a_count_set_in_another_thread_reaches_this_one(fresh_thread_default):
    count = fresh_thread_default + 2
    _in_new_thread(lambda: mg.set_num_threads(count) or {})
    assert mg.get_num_threads() == count
    x = mg.randn(4, 3)
    x.relu()  # through an op, as a user reaches the kernels
    assert runtime.parallel_region_threads() == count


@needs_openmp
def test_every_kernel_family_hands_over_the_count(fresh_thread_default):
    count = fresh_thread_default + 1
    mg.set_num_threads(count)
    x, ones = np.ones((4, 3)), np.ones(3)
    calls = {
        "batch norm": lambda: cpu.batch_norm_forward_train(x, ones, ones, None, None, 0.1, 1e-5),
        "dropout": lambda: cpu.dropout_forward(x, 0.5, 0, 0),
        "sgd": lambda: cpu.sgd_step(ones.copy(), ones, None, 0.1, 0.0, 0.0, 0.0, False, False, True),
    }
    for name, call in calls.items():
        def work():
            call()
            return {"threads": runtime.parallel_region_threads()}

        assert _in_new_thread(work)["threads"] == count, name


@pytest.mark.parametrize("bad", [0, -2, 1025, 100000, 1.5, True, "2"])
def test_set_num_threads_refuses_what_is_not_an_int_in_range(bad):
    before = mg.get_num_threads()
    with pytest.raises(ValueError, match=r"number of threads must be an int in \[1, 1024\], got"):
        mg.set_num_threads(bad)
    assert mg.get_num_threads() == before
