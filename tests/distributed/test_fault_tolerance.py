"""Fault tolerance: kill -9 and resume, interrupted saves, NaN losses.

The training processes are subprocesses (``tests/distributed/harness.py``) training the
default system's tiny preset with SGD + momentum (a slot per variable) and a learning rate
decaying over the whole run, so a resume that lost the step counter, the optimizer slots or
the schedule position would not reproduce the uninterrupted run's weights
(``procs.RESUME_TOLERANCE`` explains the tolerance and why not Adam). The data of iteration
i is a pure function of i.
"""

import os
import re
import signal
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procs  # noqa: E402
import workers  # noqa: E402

SYSTEM = procs.DEFAULT_SYSTEM
RUN = procs.RESUME_RUN
WAIT = 600  # seconds: generous on a loaded 2-core machine; the loop fails at once if the process dies


def latest_number(run_dir):
    """The iteration of the checkpoint the index names, or -1 (read without TensorFlow)."""
    index = os.path.join(run_dir, "checkpoints", "checkpoint")
    try:
        with open(index) as handle:
            first = handle.readline()
    except OSError:
        return -1
    return int(first.strip().rstrip('"').rsplit("-", 1)[-1]) if "ckpt-" in first else -1


def test_kill_9_then_resume_matches_uninterrupted_run(tmp_path, builtin_data, uninterrupted_default_run):
    out = tmp_path / "out"
    process = procs.start_harness(run_dir=tmp_path / "run", out=out, throttle=0.4, log_path=tmp_path / "first.log",
                                  **builtin_data, **RUN)
    run_dir = tmp_path / "run" / SYSTEM
    try:
        deadline = time.time() + WAIT
        while latest_number(run_dir) < 4:
            assert process.poll() is None, open(tmp_path / "first.log").read()[-3000:]
            assert time.time() < deadline, f"no checkpoint 4 within {WAIT} s"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    killed_at = latest_number(run_dir)
    assert 4 <= killed_at < RUN["num_iters"], killed_at

    # A save the kill interrupted: data and temp files of the next checkpoint exist, the
    # index still names the previous one. Restore must ignore them.
    partial = run_dir / "checkpoints" / f"ckpt-{killed_at + 2}"
    with open(f"{partial}.data-00000-of-00001", "wb") as handle:
        handle.write(b"\x00" * 1000)
    with open(f"{partial}.index", "wb") as handle:
        handle.write(b"\x01\x02")
    os.makedirs(f"{partial}_temp", exist_ok=True)
    with open(os.path.join(f"{partial}_temp", "part-00000-of-00001.data-00000-of-00001"), "wb") as handle:
        handle.write(b"\x00" * 10)

    resumed = procs.run_harness(run_dir=tmp_path / "run", out=out, **builtin_data, **RUN)[SYSTEM]
    assert resumed["resumed_from"].endswith(f"ckpt-{killed_at}")
    assert latest_number(run_dir) == RUN["num_iters"]
    expected_result, expected = uninterrupted_default_run
    weights = procs.read_weights(out, SYSTEM)
    assert procs.max_abs_diff(weights, expected) <= procs.RESUME_TOLERANCE
    for name, value in expected_result["logs"].items():
        assert np.isclose(resumed["logs"][name], value, rtol=1e-3, atol=1e-4), name


def test_nonfinite_loss_stops_run_and_keeps_last_good_checkpoint(tmp_path, builtin_data):
    import tensorflow as tf

    run_dir, out = tmp_path / "run" / SYSTEM, tmp_path / "out"
    result = procs.run_harness(run_dir=tmp_path / "run", out=out, nan_at=5, expect_rc=3, **builtin_data,
                               **RUN)[SYSTEM]
    message = result["nonfinite"]
    assert re.search(r"Loss [DG]/\S+ is nan at iteration 6", message), message
    assert latest_number(run_dir) == 4
    reader = tf.train.load_checkpoint(str(run_dir / "checkpoints" / "ckpt-4"))
    for name in reader.get_variable_to_shape_map():
        value = reader.get_tensor(name)
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            assert np.all(np.isfinite(value)), name


def test_kill_one_worker_then_restart_all_resumes(tmp_path, builtin_data, uninterrupted_default_run):
    """A worker dies (kill -9); the job is restarted (all workers, same command, shared
    run folder) and resumes from the chief's last checkpoint to the uninterrupted result
    (of one device: two workers compute what one device computes)."""
    shared, killed = tmp_path / "shared", tmp_path / "killed"
    killed.mkdir()
    running = workers.start_workers(killed, builtin_data, shared_run_dir=shared, throttle=0.4, **procs.RESUME_RUN)
    try:
        deadline = time.time() + workers.WAIT
        while latest_number(shared / procs.DEFAULT_SYSTEM) < 4:
            if any(w.poll() is not None for w in running) and workers.lost_port_race(killed):
                workers.stop(running)
                running = workers.start_workers(killed, builtin_data, shared_run_dir=shared, throttle=0.4,
                                                **procs.RESUME_RUN)
            assert all(w.poll() is None for w in running), (killed / "worker0.log").read_text()[-3000:]
            assert time.time() < deadline, f"no checkpoint 4 within {workers.WAIT} s"
            time.sleep(0.05)
        running[1].send_signal(signal.SIGKILL)
        running[1].wait(30)
        running[0].send_signal(signal.SIGKILL)  # the job scheduler restarts the whole job
        running[0].wait(30)
    finally:
        workers.stop(running)

    restart = tmp_path / "restart"
    restart.mkdir()
    codes, logs = workers.run_workers(restart, builtin_data, shared_run_dir=shared, **procs.RESUME_RUN)
    assert codes == [0, 0], "\n".join(log[-3000:] for log in logs)
    results = [procs.read_result(restart / "out", procs.DEFAULT_SYSTEM, task) for task in (0, 1)]
    assert all(r["resumed_from"] and "ckpt-" in r["resumed_from"] for r in results)
    assert results[0]["digest"] == results[1]["digest"]
    _, expected = uninterrupted_default_run
    difference = procs.max_abs_diff(procs.read_weights(restart / "out", procs.DEFAULT_SYSTEM), expected)
    assert difference <= procs.RESUME_TOLERANCE, difference
