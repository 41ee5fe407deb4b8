"""Session runs the distributed and fault-tolerance tests compare against."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procs  # noqa: E402


@pytest.fixture(scope="session")
def single_device_run(builtin_data, tmp_path_factory):
    """(results by system, out folder) of every system on one device."""
    root = tmp_path_factory.mktemp("single-device")
    results = procs.run_harness(systems=procs.ALL_SYSTEMS, run_dir=root / "run", out=root / "out",
                                **builtin_data, **procs.SPLIT_RUN)
    return results, root / "out"


@pytest.fixture(scope="session")
def uninterrupted_default_run(builtin_data, tmp_path_factory):
    """(result, weights) of the default system trained without interruption as the kill
    tests train it (``procs.RESUME_RUN``), in a subprocess."""
    root = tmp_path_factory.mktemp("uninterrupted")
    result = procs.run_harness(run_dir=root / "run", out=root / "out", **builtin_data, **procs.RESUME_RUN)
    return result[procs.DEFAULT_SYSTEM], procs.read_weights(root / "out", procs.DEFAULT_SYSTEM)
