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
