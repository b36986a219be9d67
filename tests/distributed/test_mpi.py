"""The MPI tests: each launches ``mpiexec -n N python worker.py SCENARIO`` with a time limit.

They skip, saying why, where mpi4py or mpiexec is missing (``pip install "minigrad[distributed]"``
brings both). A scenario passes when the job exits 0 and every rank printed ``OK <rank>``.
"""
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("worker.py")
ROOT = Path(__file__).resolve().parents[2]
LIMIT_S = 60


def _mpiexec():
    # the launcher installed beside this Python (the mpich wheel) first, then PATH
    local = Path(sys.executable).with_name("mpiexec")
    return str(local) if local.exists() else shutil.which("mpiexec")


MISSING = ("mpi4py is not installed (pip install 'minigrad[distributed]')" if importlib.util.find_spec("mpi4py") is None
           else "no mpiexec on PATH or beside this Python" if _mpiexec() is None else None)
pytestmark = pytest.mark.skipif(MISSING is not None, reason=str(MISSING))


def _cupy_is_emulated():
    return importlib.util.find_spec("cupy") is not None and importlib.util.find_spec("cupy._emu") is not None


def launch(scenario, processes, limit_s=LIMIT_S, workdir=None):
    """(return code, output) of the scenario on ``processes`` ranks; a job still running after
    ``limit_s`` is killed (with all its processes) and fails the test as a hang.

    A job that ends non-zero having printed nothing, not even mpiexec's own report, is launched
    once more, with a warning that names its exit code: the scenario never ran. That was seen about
    once in a hundred fault launches on a loaded host; 600 launches under load (300 one after
    another beside two busy loops, 300 in three concurrent streams beside other builds) did not
    show it again, so its cause (mpich's hydra launcher or the host) is not known. The warning
    keeps the evidence where the suite's summary shows it."""
    code, output = _launch_once(scenario, processes, limit_s, workdir)
    if code != 0 and not output.strip():
        warnings.warn(f"mpiexec -n {processes} worker.py {scenario} exited {code} having printed nothing; "
                      "launched once more")
        code, output = _launch_once(scenario, processes, limit_s, workdir)
    return code, output


def _launch_once(scenario, processes, limit_s, workdir):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               OMP_NUM_THREADS="1")
    job = subprocess.Popen([_mpiexec(), "-n", str(processes), sys.executable, str(WORKER), scenario]
                           + ([str(workdir)] if workdir else []), cwd=ROOT,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)
    try:
        output, _ = job.communicate(timeout=limit_s)
    except subprocess.TimeoutExpired:
        os.killpg(job.pid, signal.SIGKILL)
        output, _ = job.communicate()
        pytest.fail(f"mpiexec -n {processes} worker.py {scenario} hung for {limit_s} s:\n{output}")
    return job.returncode, output


def run_ok(scenario, processes, workdir=None):
    code, output = launch(scenario, processes, workdir=workdir)
    assert code == 0, f"mpiexec -n {processes} worker.py {scenario} exited {code}:\n{output}"
    for rank in range(processes):
        assert f"OK {rank}" in output, f"rank {rank} did not finish {scenario}:\n{output}"


@pytest.mark.parametrize("processes", [2, 3])
def test_collectives_float32_float64_and_mismatched_arguments(processes):
    run_ok("collectives", processes)


def test_ddp_broadcast_average_buckets_no_sync_checkpoint_and_bad_models(tmp_path):
    run_ok("ddp", 2, workdir=tmp_path)


def test_sync_batchnorm_matches_batchnorm_on_the_concatenated_unequal_batches():
    run_ok("sync_batchnorm", 3)


def test_sync_batchnorm_double_backward_matches_batchnorm_on_the_concatenated_batches():
    run_ok("sync_batchnorm_double_backward", 3)


@pytest.mark.parametrize("processes", [2, 4])
def test_ddp_sync_batchnorm_and_sampler_train_as_one_process_on_the_global_batch(processes):
    run_ok("equivalence", processes)


@pytest.mark.gpu
@pytest.mark.skipif(not _cupy_is_emulated(), reason="the stand-in NCCL reads device memory through host pointers: "
                    "it needs the CPU emulation of CuPy (PYTHONPATH=../shared/cuda-emu/python)")
def test_cuda_collectives_ddp_and_sync_batchnorm_go_through_nccl_and_match_the_cpu():
    run_ok("nccl", 2)


def test_ranks_that_all_end_with_sys_exit_end_cleanly():
    run_ok("all_end_with_sys_exit", 2)


# what each fault must print (worker.py FAULTS run with timeout=3 s); each one hung or summed
# wrongly before the check-ins, the exit check and the timeout
FAULT_REPORTS = {
    "exits": ["DistDesyncError", "collective #1", "rank 0 called barrier() at worker.py", "rank 1 called exit()"],
    "sigterm": ["signal 15"],  # mpiexec ends the job itself when a rank dies of a signal
    "skips_backward": ["DistDesyncError", "rank 0 called DistributedDataParallel gradients", "backward of forward #2",
                       "rank 1 called DistributedDataParallel gradients", "backward of forward #3"],
    "extra_batch": ["DistDesyncError", "rank 0 called barrier()", "rank 1 called DistributedDataParallel gradients",
                    "backward of forward #4"],
    "allreduce_vs_barrier": ["DistDesyncError", "rank 0 called all_reduce(op=ReduceOp.SUM float32 (3,)",
                             "rank 1 called barrier()"],
    "extra_allreduce": ["DistDesyncError", "rank 0 called all_reduce(op=ReduceOp.SUM float32 (1,) on cpu) at worker.py",
                        "rank 1 called all_reduce(op=ReduceOp.SUM float32 (1,) on cpu) at worker.py"],
    "hangs": ["DistTimeoutError", "rank 0 of 2: all_reduce(op=ReduceOp.SUM float32 (3,) on cpu) at worker.py",
              "(collective #1) did not complete within the timeout (3 s)", "has not reached collective #1"],
}


@pytest.mark.parametrize("fault", list(FAULT_REPORTS))
def test_a_fault_on_one_rank_ends_the_job_with_a_clear_error_within_the_timeout(fault):
    code, output = launch(fault, 2, limit_s=60)
    ended = time.monotonic()
    assert code != 0, output
    # from the moment both ranks were in the process group: importing and starting MPI on a busy
    # machine can take longer than the whole fault budget, and is not what this test is about
    # (mpiexec may join the ranks' lines: read them by pattern, not by line)
    starts = dict(re.findall(r"STARTED (\d+) at (\d+\.\d+)", output))
    assert len(starts) == 2, output
    started = max(map(float, starts.values()))
    elapsed = ended - started
    missing = [words for words in FAULT_REPORTS[fault] if words not in output]
    assert not missing, f"{fault}: the output lacks {missing}:\n{output}"
    assert "summed" not in output  # no rank went on with a wrong sum
    assert elapsed < 3 + 10, f"{fault} took {elapsed:.1f} s to end"


def test_a_rank_that_raises_fails_the_job_fast_with_its_error():
    code, output = launch("raises", 2, limit_s=30)  # rank 0 waits in a barrier: only the abort ends it
    assert code != 0
    assert "deliberate failure on rank 1" in output and "MPI_Abort" in output
    assert "OK 0" not in output
