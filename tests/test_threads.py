"""One pool of threads: after ``import minigrad`` every BLAS library in the process runs on one thread
(minigrad calls it from its own threads), and idle OpenMP threads sleep unless the user chose
otherwise. Each check runs in a fresh interpreter, where the libraries load for the first time."""
import json
import os
import subprocess
import sys

import pytest

# a user's thread settings would decide what these tests observe
ENVIRONMENT = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}


def _run(code, **environment):
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**ENVIRONMENT, **environment}, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def _blas_threads(code):
    code += """
import json, threadpoolctl
print(json.dumps([(i["filepath"], i["num_threads"]) for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]))
"""
    return json.loads(_run(code).stdout.splitlines()[-1])


def test_every_blas_is_single_threaded_after_import():
    libraries = _blas_threads("import numpy, minigrad")
    assert len(libraries) >= 2  # NumPy's and SciPy's (the kernels')
    assert all(threads == 1 for _, threads in libraries), libraries


def test_set_num_threads_sets_blas_back_to_one_thread():
    code = "import minigrad, threadpoolctl; threadpoolctl.threadpool_limits(2, user_api='blas'); minigrad.set_num_threads(2)"
    assert {threads for _, threads in _blas_threads(code)} == {1}


# what libgomp prints (OMP_DISPLAY_ENV=VERBOSE) for each policy: an unset policy also reads
# 'PASSIVE' there, but spins 300000 times before sleeping
SETTINGS_SHOWN = {"PASSIVE": ["OMP_WAIT_POLICY = 'PASSIVE'", "GOMP_SPINCOUNT = '0'"],
                  "ACTIVE": ["OMP_WAIT_POLICY = 'ACTIVE'"]}


@pytest.mark.parametrize("user_setting, expected", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_idle_threads_sleep_by_default_and_a_users_policy_is_kept(user_setting, expected):
    environment = {"OMP_DISPLAY_ENV": "VERBOSE"}  # OpenMP prints the settings it loaded with, on stderr
    if user_setting is not None:
        environment["OMP_WAIT_POLICY"] = user_setting
    shown = _run("import minigrad", **environment).stderr
    for line in SETTINGS_SHOWN[expected]:
        assert line in shown
