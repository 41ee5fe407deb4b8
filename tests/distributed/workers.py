"""Two MultiWorkerMirroredStrategy harness workers on 127.0.0.1, for the replica-equivalence
and fault-tolerance tests."""

import os
import sys

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


def latest_checkpoint_number(run_dir):
    index = run_dir / "checkpoints" / "checkpoint"
    try:
        first = index.read_text().splitlines()[0]
    except (OSError, IndexError):
        return -1
    return int(first.strip().rstrip('"').rsplit("-", 1)[-1])
