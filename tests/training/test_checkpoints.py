"""RunCheckpoint: fallback past unreadable checkpoints, chief-only files, mismatch errors."""

import os

import keras
import numpy as np
import pytest

from stargan_tf.training.checkpoints import CheckpointMismatchError, RunCheckpoint


class TinySystem:
    def __init__(self, units=3):
        self.net = keras.Sequential([keras.layers.Dense(units)])
        self.net.build((None, 2))
        self.optimizers = {"net": keras.optimizers.Adam(1e-3)}
        self.optimizers["net"].build(self.net.trainable_variables)

    def networks(self):
        return {"net": self.net}

    def checkpoint_state(self):
        return {}


def test_falls_back_past_a_truncated_latest_checkpoint(tmp_path, capsys):
    system = TinySystem()
    checkpoint = RunCheckpoint(system, str(tmp_path))
    system.net.weights[0].assign(np.full((2, 3), 2.0, np.float32))
    checkpoint.save(2)
    system.net.weights[0].assign(np.full((2, 3), 4.0, np.float32))
    checkpoint.save(4)
    data = os.path.join(tmp_path, "checkpoints", "ckpt-4.data-00000-of-00001")
    with open(data, "r+b") as handle:
        handle.truncate(os.path.getsize(data) // 2)

    fresh = TinySystem()
    restored = RunCheckpoint(fresh, str(tmp_path))
    assert restored.restore_latest() == 2
    assert restored.restored_from.endswith("ckpt-2")
    np.testing.assert_array_equal(fresh.net.weights[0].numpy(), 2.0)
    assert "unreadable" in capsys.readouterr().out


def test_new_run_starts_at_zero(tmp_path):
    assert RunCheckpoint(TinySystem(), str(tmp_path)).restore_latest() == 0


def test_non_chief_writes_nothing_into_run_dir(tmp_path):
    checkpoint = RunCheckpoint(TinySystem(), str(tmp_path), is_chief=False)
    assert checkpoint.save(1) is None
    checkpoint.save(2)
    assert os.listdir(tmp_path) == []


def test_other_architecture_is_a_mismatch_error(tmp_path):
    RunCheckpoint(TinySystem(3), str(tmp_path)).save(1)
    with pytest.raises(CheckpointMismatchError, match="does not fit"):
        RunCheckpoint(TinySystem(5), str(tmp_path)).restore_latest()
