"""Grad mode: per thread, nesting, and the three switches as context managers and decorators."""
import threading

import pytest

import minigrad as mg


def records(t):
    """Whether an op on ``t`` (which requires grad) is recorded in the calling thread right now."""
    return (t * 2).requires_grad


def test_no_grad_and_enable_grad_nest_and_restore():
    x = mg.randn(2, requires_grad=True)
    assert mg.is_grad_enabled() and records(x)
    with mg.no_grad():
        assert not mg.is_grad_enabled() and not records(x)
        with mg.enable_grad():
            assert mg.is_grad_enabled() and records(x)
            with mg.no_grad():
                assert not records(x)
            assert records(x)
        assert not records(x)
    assert mg.is_grad_enabled() and records(x)


def test_a_reused_instance_nests_and_an_exception_restores_the_mode():
    block = mg.no_grad()
    with block:
        with block:
            pass
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    with pytest.raises(KeyError):
        with mg.no_grad():
            raise KeyError("inside")
    assert mg.is_grad_enabled()


def test_set_grad_enabled_as_a_call_a_block_and_a_decorator():
    x = mg.randn(2, requires_grad=True)
    mg.set_grad_enabled(False)  # a plain call switches the mode now, as torch
    try:
        assert not records(x)
    finally:
        mg.set_grad_enabled(True)
    assert records(x)
    with mg.no_grad():
        with mg.set_grad_enabled(True):
            assert records(x)
        assert not records(x)
    with mg.set_grad_enabled(False):
        assert not records(x)
    assert records(x)

    @mg.set_grad_enabled(False)
    def double(t):
        """Doubles t."""
        return t * 2

    assert mg.is_grad_enabled()  # decorating did not switch the mode
    assert not double(x).requires_grad and records(x)
    assert double.__name__ == "double" and double.__doc__ == "Doubles t."
    with pytest.raises(TypeError, match="takes a bool, got str"):
        mg.set_grad_enabled("no")


def test_decorators_keep_the_function_name_and_restore_after_an_exception():
    x = mg.randn(2, requires_grad=True)

    @mg.no_grad()
    def no_grad_double(t):
        """Doubles t without recording."""
        return t * 2

    @mg.enable_grad()
    def recorded_double(t):
        return t * 2

    @mg.no_grad()
    def fails():
        raise ValueError("boom")

    assert no_grad_double.__name__ == "no_grad_double" and "without recording" in no_grad_double.__doc__
    assert not no_grad_double(x).requires_grad
    with mg.no_grad():
        assert recorded_double(x).requires_grad
        assert not mg.is_grad_enabled()
    with pytest.raises(ValueError, match="boom"):
        fails()
    assert mg.is_grad_enabled()


def run_in_thread(fn):
    result = {}

    def target():
        try:
            result["value"] = fn()
        except BaseException as error:  # reported in the main thread
            result["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "thread did not finish"
    if "error" in result:
        raise result["error"]
    return result.get("value")


def test_a_new_thread_starts_with_grad_enabled_and_does_not_see_this_threads_no_grad():
    x = mg.randn(2, requires_grad=True)
    with mg.no_grad():
        assert run_in_thread(lambda: (mg.is_grad_enabled(), records(x))) == (True, True)
        assert not records(x)
    run_in_thread(lambda: mg.set_grad_enabled(False))  # leaves the other thread's mode off
    assert records(x)


def test_no_grad_in_one_thread_leaves_recording_on_in_another():
    x = mg.randn(2, requires_grad=True)
    inside, release = threading.Event(), threading.Event()

    def hold_no_grad():
        with mg.no_grad():
            inside.set()
            assert release.wait(10)
            return records(x)

    thread_result = {}
    worker = threading.Thread(target=lambda: thread_result.setdefault("recorded", hold_no_grad()))
    worker.start()
    try:
        assert inside.wait(10)
        assert mg.is_grad_enabled() and records(x)  # the worker is inside no_grad right now
    finally:
        release.set()
        worker.join(10)
    assert thread_result == {"recorded": False}


def test_overlapping_no_grad_blocks_in_two_threads_leave_grad_on_everywhere():
    # A enters, B enters, A exits, B exits: with one process-wide flag B would restore "off".
    x = mg.randn(2, requires_grad=True)
    a_inside, b_inside, a_left = threading.Event(), threading.Event(), threading.Event()
    after = {}

    def thread_a():
        with mg.no_grad():
            a_inside.set()
            assert b_inside.wait(10)
        a_left.set()
        after["a"] = records(x)

    def thread_b():
        assert a_inside.wait(10)
        with mg.no_grad():
            b_inside.set()
            assert a_left.wait(10)
        after["b"] = records(x)

    threads = [threading.Thread(target=thread_a), threading.Thread(target=thread_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert after == {"a": True, "b": True}
    assert mg.is_grad_enabled() and records(x)
    assert run_in_thread(lambda: records(x))


def test_threads_backpropagate_concurrently_while_another_holds_no_grad():
    barrier = threading.Barrier(3, timeout=10)

    def train_step(seed):
        x = mg.tensor([float(seed)], dtype="float64", requires_grad=True)
        barrier.wait()
        (x * x).sum().backward()
        return x.grad.item()

    def inference():
        with mg.no_grad():
            barrier.wait()
            return records(mg.randn(1, requires_grad=True))

    results = {}
    threads = [threading.Thread(target=lambda s=s: results.setdefault(s, train_step(s))) for s in (2, 3)]
    threads.append(threading.Thread(target=lambda: results.setdefault("inference", inference())))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {2: 4.0, 3: 6.0, "inference": False}
