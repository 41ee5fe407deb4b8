"""MultiWorkerMirroredStrategy with two worker processes on 127.0.0.1.

Each worker gets its own run folder (as on two machines without shared storage), so we can
see that the non-chief writes nothing there while still taking part in every collective,
including the checkpoint saves. Both must end with identical weights and, global batch 8
split 4 + 4, with the weights of one device trained on the same data (every system).
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procs  # noqa: E402

WAIT = 600  # seconds: a 2-core CI machine runs both workers and maybe other tests


def start_workers(folder, builtin_data, shared_run_dir=None, extra_env=None, **flags):
    """Two harness workers on free ports, each with its own ``<folder>/run<i>`` (or both in
    ``shared_run_dir``), logging to ``<folder>/worker<i>.log``."""
    ports = procs.free_ports(2)
    return [procs.start_harness(
        extra_env={"TF_CONFIG": procs.tf_config(ports, index), **(extra_env or {})},
        log_path=folder / f"worker{index}.log", strategy="multi_worker",
        run_dir=shared_run_dir or folder / f"run{index}", out=folder / "out", **builtin_data, **flags)
        for index in range(2)]


def lost_port_race(folder):
    """A port ``free_ports`` returned was taken by another process before a worker bound it."""
    return any("ddress already in use" in (folder / f"worker{i}.log").read_text() for i in range(2))


def stop(workers):
    for w in workers:
        if w.poll() is None:
            w.kill()


def run_workers(folder, builtin_data, attempts=3, **kwargs):
    """``start_workers`` and wait for both (retried after a lost port race); returns
    (exit codes, logs)."""
    for _ in range(attempts):
        workers = start_workers(folder, builtin_data, **kwargs)
        try:
            codes = [w.wait(WAIT) for w in workers]
        finally:
            stop(workers)
        if codes == [0, 0] or not lost_port_race(folder):
            break
    return codes, [(folder / f"worker{i}.log").read_text() for i in range(2)]


def test_two_workers_agree_with_each_other_and_with_one_device(tmp_path, builtin_data, single_device_run):
    codes, logs = run_workers(tmp_path, builtin_data, extra_env=procs.SPLIT_COMPARISON_ENV,
                              systems=procs.ALL_SYSTEMS, model_save_step=1, sample_step=1, **procs.SPLIT_RUN)
    assert codes == [0, 0], "\n".join(log[-3000:] for log in logs)
    single, single_out = single_device_run
    for system in procs.ALL_SYSTEMS.split(","):
        chief, other = (procs.read_result(tmp_path / "out", system, task) for task in (0, 1))
        assert chief["chief"] and not other["chief"] and chief["replicas"] == 2
        assert chief["digest"] == other["digest"], f"{system}: workers ended with different weights"
        assert sorted(os.listdir(tmp_path / "run0" / system)) == ["checkpoints", "logs", "samples"]
        assert sorted(os.listdir(tmp_path / "run0" / system / "checkpoints"))[-1].startswith("ckpt-2")
        procs.assert_same_training(system, single_out, tmp_path / "out", single[system]["logs"], chief["logs"])
    assert not os.path.exists(tmp_path / "run1") or not any(os.listdir(tmp_path / "run1" / s)
                                                             for s in os.listdir(tmp_path / "run1"))


def latest_checkpoint_number(run_dir):
    index = run_dir / "checkpoints" / "checkpoint"
    try:
        first = index.read_text().splitlines()[0]
    except (OSError, IndexError):
        return -1
    return int(first.strip().rstrip('"').rsplit("-", 1)[-1])


def test_kill_one_worker_then_restart_all_resumes(tmp_path, builtin_data, uninterrupted_default_run):
    """A worker dies (kill -9); the job is restarted (all workers, same command, shared
    run folder) and resumes from the chief's last checkpoint to the uninterrupted result
    (of one device: two workers compute what one device computes)."""
    shared, killed = tmp_path / "shared", tmp_path / "killed"
    killed.mkdir()
    workers = start_workers(killed, builtin_data, shared_run_dir=shared, throttle=0.4, **procs.RESUME_RUN)
    try:
        deadline = time.time() + WAIT
        while latest_checkpoint_number(shared / procs.DEFAULT_SYSTEM) < 4:
            if any(w.poll() is not None for w in workers) and lost_port_race(killed):
                stop(workers)
                workers = start_workers(killed, builtin_data, shared_run_dir=shared, throttle=0.4, **procs.RESUME_RUN)
            assert all(w.poll() is None for w in workers), (killed / "worker0.log").read_text()[-3000:]
            assert time.time() < deadline, f"no checkpoint 4 within {WAIT} s"
            time.sleep(0.05)
        workers[1].send_signal(signal.SIGKILL)
        workers[1].wait(30)
        workers[0].send_signal(signal.SIGKILL)  # the job scheduler restarts the whole job
        workers[0].wait(30)
    finally:
        stop(workers)

    restart = tmp_path / "restart"
    restart.mkdir()
    codes, logs = run_workers(restart, builtin_data, shared_run_dir=shared, **procs.RESUME_RUN)
    assert codes == [0, 0], "\n".join(log[-3000:] for log in logs)
    results = [procs.read_result(restart / "out", procs.DEFAULT_SYSTEM, task) for task in (0, 1)]
    assert all(r["resumed_from"] and "ckpt-" in r["resumed_from"] for r in results)
    assert results[0]["digest"] == results[1]["digest"]
    _, expected = uninterrupted_default_run
    difference = procs.max_abs_diff(procs.read_weights(restart / "out", procs.DEFAULT_SYSTEM), expected)
    assert difference <= procs.RESUME_TOLERANCE, difference
