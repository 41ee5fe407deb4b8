"""Shared test setup: quiet TensorFlow, repository root importable, and the built-in dataset
written once per session for every test that trains a system on it."""

import os
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

BUILTIN_NUM_IMAGES = 64


@pytest.fixture(scope="session")
def builtin_data(tmp_path_factory):
    """Flag values pointing every system at one small copy of the built-in dataset
    (``--shapes_dir``, ``--shapes_num_images``), written once."""
    from stargan_tf.cli.data import ensure_shapes
    from stargan_tf.cli.data_options import BuiltinDataOptions

    flags = {"shapes_dir": str(tmp_path_factory.mktemp("builtin") / "shapes"),
             "shapes_num_images": BUILTIN_NUM_IMAGES}
    ensure_shapes(BuiltinDataOptions(**flags))
    return flags


# The longest test modules (subprocess harnesses that train every system), longest first:
# `--dist loadscope --no-loadscope-reorder` (pytest.ini) hands modules to the workers in
# collection order, so started first they run beside the many short modules instead of alone
# at the end. xdist's default order (most tests first) ran them last: 17:40 for the suite, the
# float16 + XLA case's 280 s at the end with the other worker idle.
LONGEST_FIRST = (
    "tests/training/test_precision.py",
    "tests/distributed/test_replica_equivalence.py",
    "tests/cli/test_chains.py",
    "tests/cli/test_eval_cli.py",
    "tests/distributed/test_fault_tolerance.py",
    "tests/distributed/test_main_multi_worker.py",
)


def pytest_collection_modifyitems(config, items):
    def rank(item):
        path = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)
    items.sort(key=rank)  # stable: the order within a module is kept
