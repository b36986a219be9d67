"""The MPI tests: each launches ``mpiexec -n N python worker.py SCENARIO`` with a time limit.

They skip, saying why, where mpi4py or mpiexec is missing (``pip install "minigrad[distributed]"``
brings both). A scenario passes when the job exits 0 and every rank printed ``OK <rank>``.
"""
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
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
    ``limit_s`` is killed (with all its processes) and fails the test as a hang."""
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


@pytest.mark.parametrize("processes", [2, 4])
def test_ddp_sync_batchnorm_and_sampler_train_as_one_process_on_the_global_batch(processes):
    run_ok("equivalence", processes)


@pytest.mark.gpu
@pytest.mark.skipif(not _cupy_is_emulated(), reason="the stand-in NCCL reads device memory through host pointers: "
                    "it needs the CPU emulation of CuPy (PYTHONPATH=../shared/cuda-emu/python)")
def test_cuda_collectives_ddp_and_sync_batchnorm_go_through_nccl_and_match_the_cpu():
    run_ok("nccl", 2)


def test_a_rank_that_raises_fails_the_job_fast_with_its_error():
    code, output = launch("raises", 2, limit_s=30)  # rank 0 waits in a barrier: only the abort ends it
    assert code != 0
    assert "deliberate failure on rank 1" in output and "MPI_Abort" in output
    assert "OK 0" not in output
