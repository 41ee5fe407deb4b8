"""Subprocess helpers for the distributed and fault-tolerance tests."""

import json
import os
import socket
import subprocess
import sys

import numpy as np

from stargan_tf.models.registry import REGISTRY

# Every comparison between runs trains on TensorFlow's Eigen kernels. oneDNN's are not
# reproducible between processes: 12 processes training the same tiny StarGAN run (4 at a
# time on a 2-core AMD EPYC) gave 3 different final weights, the first difference a 0.15%
# change of the gradient penalty at iteration 2 with every other loss bit-equal; on Eigen's
# kernels 16 of 16 were bit-equal. oneDNN also picks kernels by batch size: on an
# AVX-512/AMX Xeon that alone put two logical CPU replicas 6e-5 to 3e-4 away from one device
# after 4 SGD iterations, the size of the bugs the split tests catch.
EIGEN_KERNELS = dict(eigen_kernels=True)

# Kill/resume tests: the resumed run's weights and optimizer slots vs an uninterrupted run's.
# They train with SGD + momentum 0.9 rather than Adam (with Adam, a 1e-7 perturbation moves
# the slots more than a lost-slot bug moves the weights) and a learning rate decaying to 0,
# so a resume that lost the step counter, the slots or the schedule position does not
# reproduce the uninterrupted run. Measured on the default system's tiny preset over 10
# iterations: weights scaled by (1 + 1e-7) at the start end 4.2e-5 away, a resume at
# iteration 6 that zeroes the momentum slots 5.6e-2, a correct resume 0.
RESUME_FLAGS = dict(optimizer="momentum", lr=0.01, **EIGEN_KERNELS)
RESUME_TOLERANCE = 1e-3

# Two iterations of plain SGD from He-scale kernels, global batch 8 (see test_replica_equivalence).
SPLIT_RUN = dict(num_iters=2, optimizer="sgd", lr=1e-3, he_init=True, global_batch_size=8, **EIGEN_KERNELS)
ALL_SYSTEMS = ",".join(REGISTRY)
# The multi-worker runs: the cross-process parts the mirrored run (every system) cannot show,
# on three systems: the default one, DRIT (batches of pairs, a clipped global gradient, five
# optimizers) and SaGAN (batch statistics synchronised between processes). U-GAT-IT's and
# CycleGAN's maths is the same under both strategies and their compiles are the longest;
# Contextual GAN's sample grids complete sketches at every step.
MULTI_WORKER_SYSTEMS = ",".join(["stargan", "drit", "sagan"])
# Bound of ``relative_update_difference`` between a split run and one device, per system.
# Without bugs, measured on an AMD EPYC Zen 4 (AVX-512) with oneDNN's and with Eigen's kernels:
# at most 1.5e-5; on an AVX2-only Zen 3 with Eigen's: CycleGAN's generator_b2a 8.3e-4 (its
# generators amplify rounding differences most, see ``harness.reinitialise_kernels``), every
# other system under 1e-4. With the local-batch bug: at least 1.3e-3 for U-GAT-IT's
# discriminators (whose spectral normalisation dominates their movement), about 1 for every
# other network. So CycleGAN gets 1e-2 (12 times its Zen 3 noise, about 100 times below the
# bug); every other system keeps 1e-4 (7 times the Zen 4 noise, 13 times below U-GAT-IT's bug).
SPLIT_TOLERANCE = {"cyclegan": 1e-2}
DEFAULT_SPLIT_TOLERANCE = 1e-4
DEFAULT_SYSTEM = next(iter(REGISTRY))  # main.py's default --model: the process-level tests train it
# The run every kill-and-resume test interrupts (one device or two workers) and compares with
# the uninterrupted one (the ``uninterrupted_default_run`` fixture).
RESUME_RUN = dict(systems=DEFAULT_SYSTEM, num_iters=10, model_save_step=2, global_batch_size=8, **RESUME_FLAGS)

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


def to_argv(values):
    """``{flag: value}`` -> ``["--flag=value", ...]`` as main.py takes them (lists joined by
    commas, booleans as ``--flag`` / ``--noflag``)."""
    argv = []
    for name, value in values.items():
        if isinstance(value, bool):
            argv.append(f"--{name}" if value else f"--no{name}")
        elif isinstance(value, (tuple, list)):
            argv.append(f"--{name}={','.join(map(str, value))}")
        else:
            argv.append(f"--{name}={value}")
    return argv


def tiny_argv(system, builtin_data, **extra):
    """main.py flags of ``system``'s tiny preset on the session's built-in data."""
    return [f"--model={system}"] + to_argv({**REGISTRY[system].presets["tiny"], **builtin_data, **extra})


def run_main(*args, cwd, timeout=600):
    """main.py in a fresh process: (exit code, stdout, stderr)."""
    done = subprocess.run([sys.executable, os.path.join(REPO, "main.py"), *map(str, args)], cwd=cwd, env=env(),
                          capture_output=True, text=True, timeout=timeout)
    return done


def harness_command(**flags):
    command = [sys.executable, HARNESS]
    for name, value in flags.items():
        if value is True:
            command.append(f"--{name}")
        elif value is not False and value is not None:
            command.append(f"--{name}={value}")
    return command


def run_harness(timeout=900, expect_rc=0, extra_env=None, **flags):
    """Run the harness to completion; return ``{system (+jit): result JSON of task 0}``.

    ``timeout`` only guards against a hang: the mirrored run of all six systems took more
    than 300 s on 2 AVX2-only Zen 3 cores shared with the suite's other worker."""
    done = subprocess.run(harness_command(**flags), env=env(**(extra_env or {})), capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != expect_rc:
        raise AssertionError(
            f"harness exited {done.returncode} (expected {expect_rc})\n"
            f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-5000:]}"
        )
    keys = [name + ("+jit" if mode == "on" else "") for name in flags["systems"].split(",")
            for mode in flags.get("jit", "off").split(",")]
    return {key: read_result(flags["out"], key) for key in keys}


def start_harness(extra_env=None, log_path=None, **flags):
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    return subprocess.Popen(harness_command(**flags), env=env(**(extra_env or {})), stdout=log,
                            stderr=subprocess.STDOUT)


def read_result(out, system, task=0):
    with open(os.path.join(out, system, f"result-{task}.json")) as handle:
        return json.load(handle)


def read_weights(out, system, task=0, prefix="weights"):
    with np.load(os.path.join(out, system, f"{prefix}-{task}.npz")) as data:
        return {k: data[k] for k in data.files}


def max_abs_diff(a, b, only=None):
    assert sorted(a) == sorted(b)
    keys = [k for k in a if only is None or k.startswith(only)]
    return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k].astype(np.float64)))) for k in keys)


def network_names(weights):
    return sorted({key.split("/")[0] for key in weights if not key.startswith(("opt_", "state_"))})


def relative_update_difference(init, expected, got, network):
    """||got - expected|| / ||expected - init|| over one network's weights (L2): how far
    another run's update of the network is from the expected update, relative to its size.
    Independent of the learning rate and of the weights' scale; a network that did not
    move gives inf."""
    keys = [k for k in expected if k.startswith(network + "/")]
    def norm(a, b):
        return np.sqrt(sum(float(np.sum((a[k].astype(np.float64) - b[k].astype(np.float64)) ** 2)) for k in keys))
    moved = norm(expected, init)
    return norm(got, expected) / moved if moved else float("inf")


def free_ports(count):
    """Ports that were free a moment ago. Another process may take one before a worker binds
    it; ``run_workers`` in the multi-worker tests retries with new ports when that happens."""
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


def assert_same_training(system, single_out, other_out, single_logs, other_logs):
    """Same initial weights, every network's update within ``SPLIT_TOLERANCE``, same losses."""
    init = read_weights(single_out, system, prefix="init")
    assert max_abs_diff(init, read_weights(other_out, system, prefix="init")) == 0.0, \
        "same seed must give the same initial weights"
    expected, got = read_weights(single_out, system), read_weights(other_out, system)
    for network in network_names(expected):
        difference = relative_update_difference(init, expected, got, network)
        tolerance = SPLIT_TOLERANCE.get(system, DEFAULT_SPLIT_TOLERANCE)
        assert difference < tolerance, f"{system}/{network}: the split run's update is {difference:.2e} off"
    for name, value in single_logs.items():
        assert np.isclose(other_logs[name], value, rtol=1e-4, atol=1e-6), (system, name, value, other_logs[name])
