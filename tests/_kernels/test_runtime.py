"""mg.set_num_threads is process-wide: every thread, including ones started later, reads the count
and runs its kernels with it (OpenMP alone keeps one count per thread)."""
import threading
import time

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


# ---- Back-off under load (runtime.pyx, LATE_NS) ------------------------------------------------------
# Each test runs in a thread of its own, which starts with no back-off (the state is per thread), and
# feeds the judge simulated regions: 2 jobs of 1 ms each on 2 threads, the calling thread running one.
MS = 1_000_000
BACKOFF_MIN = 20 * MS


def _late_region():
    runtime._close_region(10 * MS, 1 * MS, 1, 2, 2)  # 10 ms for what one thread does in 2 ms


def _on_time_region():
    runtime._close_region(1 * MS + MS // 10, 1 * MS, 1, 2, 2)


@pytest.fixture
def two_threads():
    saved = mg.get_num_threads()
    mg.set_num_threads(2)
    yield
    mg.set_num_threads(saved)


@pytest.fixture
def backoff():
    """The back-off on (conftest.py turns it off for the rest of the suite)."""
    previous = runtime._allow_backoff(True)
    yield
    runtime._allow_backoff(previous)


def _threads_after_sync():
    runtime.sync_threads()
    return runtime.parallel_region_threads()


@needs_openmp
def test_a_late_region_narrows_the_next_regions_to_one_thread_then_two_threads_are_tried_again(two_threads, backoff):
    def work():
        seen = {"before": _threads_after_sync()}
        _late_region()
        seen["state"] = runtime._backoff_state()
        seen["at once"] = runtime.parallel_region_threads()  # within the same kernel, no sync between
        seen["next kernel"] = _threads_after_sync()
        seen["get_num_threads"] = mg.get_num_threads()
        time.sleep(2 * BACKOFF_MIN / 1e9)
        seen["after the window"] = _threads_after_sync()
        return seen

    seen = _in_new_thread(work)
    assert seen["before"] == 2
    assert seen["state"][1:] == (BACKOFF_MIN, True)
    assert seen["at once"] == seen["next kernel"] == 1
    assert seen["get_num_threads"] == 2  # the setting, not the back-off
    assert seen["after the window"] == 2


@needs_openmp
def test_the_window_doubles_while_regions_stay_late_up_to_a_cap_and_a_region_on_time_ends_it(two_threads, backoff):
    def work():
        windows = []
        for _ in range(8):
            _late_region()
            windows.append(runtime._backoff_state()[1])
        seen = {"windows": windows, "during": _threads_after_sync()}
        _on_time_region()
        seen["after one on time"] = runtime._backoff_state()[1:], _threads_after_sync()
        _late_region()
        seen["late again"] = runtime._backoff_state()[1]
        return seen

    seen = _in_new_thread(work)
    assert seen["windows"] == [BACKOFF_MIN << i for i in range(6)] + [BACKOFF_MIN << 5] * 2
    assert seen["during"] == 1
    assert seen["after one on time"] == ((0, False), 2)
    assert seen["late again"] == BACKOFF_MIN  # starts afresh


@needs_openmp
@pytest.mark.parametrize("elapsed_ms, late", [(1.5, False), (2.25, False), (2.251, True), (5, True)])
def test_late_means_a_quarter_millisecond_longer_than_the_calling_thread_alone(two_threads, backoff, elapsed_ms, late):
    """1 ms per job over 2 jobs: alone, 2 ms; late beyond 2.25 ms (the judge takes the closing time given)."""
    def work():
        runtime._close_region(int(elapsed_ms * MS), 1 * MS, 1, 2, 2)
        return {"open": runtime._backoff_state()[2]}

    assert _in_new_thread(work)["open"] is late


@needs_openmp
def test_regions_of_one_thread_or_where_the_calling_thread_ran_no_job_are_not_judged(two_threads, backoff):
    def work():
        runtime._close_region(10 * MS, 1 * MS, 1, 2, 1)  # a region of one thread
        runtime._close_region(10 * MS, 0, 0, 2, 2)  # the calling thread was held back itself
        return {"state": runtime._backoff_state()}

    assert _in_new_thread(work)["state"] == (1, 0, False)


@needs_openmp
def test_with_the_back_off_turned_off_a_late_region_changes_nothing(two_threads):
    def work():  # conftest.py turns it off for the suite, so the thread-count tests compare 2 with 1
        _late_region()
        return {"state": runtime._backoff_state(), "threads": _threads_after_sync()}

    assert _in_new_thread(work) == {"state": (1, 0, False), "threads": 2}


@needs_openmp
def test_set_num_threads_voids_a_back_off(two_threads, backoff):
    def work():
        _late_region()
        _late_region()
        mg.set_num_threads(2)
        seen = {"threads": _threads_after_sync()}
        _late_region()
        seen["window"] = runtime._backoff_state()[1]
        return seen

    assert _in_new_thread(work) == {"threads": 2, "window": BACKOFF_MIN}


@needs_openmp
@pytest.mark.parametrize("kernel", ["split product", "batch of products", "convolution"])
def test_the_job_regions_are_timed(two_threads, kernel, rng):
    """Each kernel's job region reports to the judge once (a dropped report leaves the back-off blind)."""
    x = rng.standard_normal((8, 16, 32, 32)).astype(np.float32)
    weight = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    calls = {"split product": lambda: cpu.matmul(np.ones((256, 784)), np.ones((784, 256))),
             "batch of products": lambda: cpu.matmul(np.ones((8, 128, 128)), np.ones((8, 128, 128))),
             "convolution": lambda: mg.functional.conv2d(mg.tensor(x), mg.tensor(weight), padding=1)}

    def work():
        runtime.sync_threads()
        before = runtime._backoff_state()[0]
        calls[kernel]()
        return {"timed": runtime._backoff_state()[0] - before}

    assert _in_new_thread(work)["timed"] == 1
