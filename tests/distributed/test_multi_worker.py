"""MultiWorkerMirroredStrategy with two worker processes on 127.0.0.1 (issue #5, part 2).

Each worker gets its own --run_dir (as on two machines without shared storage), so we can
see that the non-chief writes nothing there while still taking part in every collective,
including the checkpoint saves. Both must end with identical weights, and (global batch 8
split 4 + 4) with the same weights as one device trained on the same data.
"""

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procs  # noqa: E402
import test_mirrored_equivalence  # noqa: E402

RUN = dict(num_iters=4, n_critic=2, model_save_step=2, sample_step=2, optimizer="sgd", lr=0.02,
           global_batch_size=8)


def run_workers(tmp_path, timeout=85, extra_env=None, **flags):
    ports = procs.free_ports(2)
    workers = []
    for index in range(2):
        workers.append(procs.start_harness(
            extra_env={"TF_CONFIG": procs.tf_config(ports, index), **(extra_env or {})},
            log_path=tmp_path / f"worker{index}.log", strategy="multi_worker",
            run_dir=tmp_path / f"run{index}", out=tmp_path / "out", **flags))
    try:
        codes = [w.wait(timeout) for w in workers]
    except subprocess.TimeoutExpired:
        for w in workers:
            w.kill()
        raise AssertionError("workers hung:\n" + "\n".join(
            open(tmp_path / f"worker{i}.log").read()[-2000:] for i in range(2)))
    logs = [open(tmp_path / f"worker{i}.log").read() for i in range(2)]
    return codes, logs


def test_two_workers_agree_and_only_the_chief_writes(tmp_path):
    codes, logs = run_workers(tmp_path, extra_env=procs.SPLIT_COMPARISON_ENV, **RUN)
    assert codes == [0, 0], "\n".join(log[-3000:] for log in logs)
    chief, other = (procs.read_result(tmp_path / "out", task) for task in (0, 1))
    assert chief["chief"] and not other["chief"]
    assert chief["replicas"] == 2
    assert chief["digest"] == other["digest"], "workers ended with different weights"
    assert sorted(os.listdir(tmp_path / "run0")) == ["checkpoints", "logs", "samples"]
    assert sorted(os.listdir(tmp_path / "run0" / "checkpoints"))[-1].startswith("ckpt-4")
    assert not os.path.exists(tmp_path / "run1") or os.listdir(tmp_path / "run1") == []

    # Same maths as one device (see test_mirrored_equivalence for the tolerance).
    single = procs.run_harness(run_dir=tmp_path / "single", out=tmp_path / "single_out",
                               extra_env=procs.SPLIT_COMPARISON_ENV, **RUN)
    difference = procs.max_abs_diff(procs.read_weights(tmp_path / "out"),
                                    procs.read_weights(tmp_path / "single_out"))
    assert difference < test_mirrored_equivalence.SYSTEMS["stargan"]["tolerance"], difference
    assert single["replicas"] == 1


def test_kill_one_worker_then_restart_all_resumes(tmp_path):
    """A worker dies (kill -9); the job is restarted (all workers, same command, shared
    --run_dir) and resumes from the chief's last checkpoint to the uninterrupted result."""
    import signal
    import time

    flags = dict(RUN, num_iters=8, sample_step=1000, num_iters_decay=8, **procs.RESUME_FLAGS)
    reference = tmp_path / "reference"
    reference.mkdir()
    codes, logs = run_workers(reference, **flags)
    assert codes == [0, 0], "\n".join(log[-3000:] for log in logs)
    expected = procs.read_result(reference / "out")["digest"]

    shared = tmp_path / "shared"
    ports = procs.free_ports(2)
    workers = [procs.start_harness(
        extra_env={"TF_CONFIG": procs.tf_config(ports, index)}, log_path=tmp_path / f"killed{index}.log",
        strategy="multi_worker", run_dir=shared, out=tmp_path / "killed_out", throttle=0.4, **flags)
        for index in range(2)]
    index_file = shared / "checkpoints" / "checkpoint"
    try:
        deadline = time.time() + 60
        while not (index_file.exists() and "ckpt-4" in index_file.read_text().splitlines()[0]):
            assert all(w.poll() is None for w in workers), open(tmp_path / "killed0.log").read()[-3000:]
            assert time.time() < deadline, "no checkpoint 4 within 60 s"
            time.sleep(0.05)
        workers[1].send_signal(signal.SIGKILL)
        workers[1].wait(10)
        workers[0].send_signal(signal.SIGKILL)  # the job scheduler restarts the whole job
        workers[0].wait(10)
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()

    ports = procs.free_ports(2)
    restarted = [procs.start_harness(
        extra_env={"TF_CONFIG": procs.tf_config(ports, index)}, log_path=tmp_path / f"restart{index}.log",
        strategy="multi_worker", run_dir=shared, out=tmp_path / "restart_out", **flags) for index in range(2)]
    codes = [w.wait(85) for w in restarted]
    assert codes == [0, 0], open(tmp_path / "restart0.log").read()[-3000:]
    results = [procs.read_result(tmp_path / "restart_out", task) for task in (0, 1)]
    assert all(r["resumed_from"] and "ckpt-" in r["resumed_from"] for r in results)
    assert results[0]["digest"] == results[1]["digest"]
    difference = procs.max_abs_diff(procs.read_weights(tmp_path / "restart_out"), procs.read_weights(reference / "out"))
    assert difference <= procs.RESUME_TOLERANCE, (difference, expected)
