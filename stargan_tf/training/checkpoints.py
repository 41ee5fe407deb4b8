"""Checkpoints of a run: every network, every optimizer and the iteration counter.

TensorFlow writes the checkpoint's data files first and then replaces the small
``checkpoint`` index file atomically, so a kill during a save leaves the previous
checkpoint as the latest one.
"""

import os
import shutil
import tempfile

import tensorflow as tf


class CheckpointMismatchError(ValueError):
    """The checkpoint in --run_dir was written by a different architecture or system."""


class RunCheckpoint:
    """The checkpoint manager of one run directory (``<run_dir>/checkpoints``).

    Args:
        system: a built ``GANSystem`` whose optimizers exist.
        run_dir: the run directory.
        max_to_keep: how many recent checkpoints to keep.
        is_chief: only the chief writes into ``run_dir``; other workers of a multi-worker
            run must still take part in each save, so they write to a throw-away folder.
    """

    def __init__(self, system, run_dir, max_to_keep=3, is_chief=True):
        self.directory = os.path.join(run_dir, "checkpoints")
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        objects = dict(system.networks())
        objects.update({f"{name}_optimizer": opt for name, opt in system.optimizers.items()})
        objects.update(getattr(system, "extra_checkpoint_state", dict)())
        self.checkpoint = tf.train.Checkpoint(step=self.step, **objects)
        self.is_chief = is_chief
        directory = self.directory if is_chief else tempfile.mkdtemp(prefix="worker-ckpt-")
        self.manager = tf.train.CheckpointManager(
            self.checkpoint, directory, max_to_keep=max_to_keep, checkpoint_name="ckpt"
        )

    @property
    def latest(self):
        return tf.train.latest_checkpoint(self.directory)

    def restore_latest(self):
        """Restore the latest checkpoint of the run, if any; return the iteration to resume at."""
        path = self.latest
        if path is None:
            return 0
        try:
            self.checkpoint.restore(path).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.InvalidArgumentError) as error:
            raise CheckpointMismatchError(
                f"The checkpoint {path} does not fit the network built from the current flags "
                f"({str(error).splitlines()[0][:300]}). Use the flags the run was started with, or "
                "a new --run_dir."
            ) from error
        return int(self.step.numpy())

    def save(self, iteration):
        self.step.assign(iteration)
        path = self.manager.save(checkpoint_number=iteration)
        if not self.is_chief:
            shutil.rmtree(self.manager.directory, ignore_errors=True)
        return path


def restore_networks(networks, run_dir, checkpoint=None):
    """Restore only the networks (for test and export); returns the checkpoint path used."""
    directory = os.path.join(run_dir, "checkpoints")
    path = checkpoint or tf.train.latest_checkpoint(directory)
    if path is None:
        raise FileNotFoundError(
            f"No checkpoint in {directory}: train first (--mode=train) with this --run_dir, or "
            "point --run_dir at a finished run."
        )
    try:
        tf.train.Checkpoint(**networks).restore(path).expect_partial().assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.InvalidArgumentError) as error:
        raise CheckpointMismatchError(
            f"The checkpoint {path} does not fit the network built from the current flags "
            f"({str(error).splitlines()[0][:300]}). Use the flags the run was trained with."
        ) from error
    return path
