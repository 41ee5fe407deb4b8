"""Subprocess helpers for the distributed and fault-tolerance tests."""

import json
import os
import socket
import subprocess
import sys

import numpy as np

# Kill/resume tests: the resumed run's weights and optimizer slots vs an uninterrupted run's.
# In CI about one process in ten computed a different gradient penalty at one iteration (10%
# off, everything else bit-equal). Runs with grappler's remapper turned off match the usual
# result exactly, so the remapper is the suspect (it also logs failed rewrites of LeakyReLU
# gradient graphs in the U-GAT-IT and CycleGAN steps); the kill tests run without it. They
# train with SGD + momentum 0.9 rather than Adam: on the tiny StarGAN over 10 iterations at lr
# 0.01, every weight scaled by (1 + 1e-7) at the start ends 4.6e-5 away, a resume that zeroes
# the momentum slots ends 2.4e-2 away, and the networks move 5.2e-2 in all; with Adam the same
# 1e-7 perturbation moves the slots by 2.7e-2, more than a lost-slot bug moves the weights.
RESUME_FLAGS = dict(optimizer="momentum", lr=0.01, no_remapper=True)
RESUME_TOLERANCE = 1e-3

# Comparisons between batch splits (one device with 8 examples vs two replicas or workers with 4)
# run on TensorFlow's Eigen kernels. With oneDNN's kernels on an AVX-512/AMX Xeon, two logical
# CPU replicas in one process end 4 SGD iterations 6.4e-5 away from one device for StarGAN's D
# and 3.3e-4 for CycleGAN's G (3e-8 after iteration 1, 1.5e-5 after iteration 2; the same with
# the remapper off; reproducible to the bit, so not a race), the size of the bugs these tests
# must catch; two MWMS worker processes stay 1.2e-7 away there. With Eigen's kernels the same
# runs end <= 3e-7 apart (U-GAT-IT's G 4.6e-6, MWMS 6e-8). A machine without AVX-512 gave
# 3e-8 for StarGAN with oneDNN on and 6e-5 for MWMS.
SPLIT_COMPARISON_ENV = {"TF_ENABLE_ONEDNN_OPTS": "0"}

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HARNESS = os.path.join(HERE, "harness.py")


def env(**extra):
    """The environment of a child: the repo on PYTHONPATH, quiet TF, one intra-op pool."""
    child = dict(os.environ)
    child["PYTHONPATH"] = REPO + os.pathsep + child.get("PYTHONPATH", "")
    child.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    child.pop("TF_CONFIG", None)
    child.update({k: v for k, v in extra.items() if v is not None})
    return child


def harness_command(**flags):
    command = [sys.executable, HARNESS]
    for name, value in flags.items():
        if value is True:
            command.append(f"--{name}")
        elif value is not False and value is not None:
            command.append(f"--{name}={value}")
    return command


def run_harness(timeout=120, expect_rc=0, extra_env=None, **flags):
    """Run the harness to completion; return the result JSON of task 0."""
    done = subprocess.run(harness_command(**flags), env=env(**(extra_env or {})), capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != expect_rc:
        raise AssertionError(
            f"harness exited {done.returncode} (expected {expect_rc})\n"
            f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-5000:]}"
        )
    return read_result(flags["out"])


def start_harness(extra_env=None, log_path=None, **flags):
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    return subprocess.Popen(harness_command(**flags), env=env(**(extra_env or {})), stdout=log,
                            stderr=subprocess.STDOUT)


def read_result(out, task=0):
    with open(os.path.join(out, f"result-{task}.json")) as handle:
        return json.load(handle)


def read_weights(out, task=0, prefix="weights"):
    with np.load(os.path.join(out, f"{prefix}-{task}.npz")) as data:
        return {k: data[k] for k in data.files}


def max_abs_diff(a, b, only=None):
    assert sorted(a) == sorted(b)
    keys = [k for k in a if only is None or k.startswith(only)]
    return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)))) for k in keys)


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def tf_config(ports, index):
    return json.dumps({
        "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
        "task": {"type": "worker", "index": index},
    })
