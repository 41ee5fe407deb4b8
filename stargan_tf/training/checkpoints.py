"""Checkpoints of a run: every network, every optimizer and the iteration counter.

TensorFlow writes the checkpoint's data files first and then replaces the small
``checkpoint`` index file atomically, so a kill during a save leaves the previous
checkpoint as the latest one. If the latest checkpoint is nevertheless unreadable (a
truncated file after a disk or copy failure), ``restore_latest`` falls back to the newest
older one that reads.

Multi-worker runs: every worker takes part in every save (saving may involve collective
ops); the chief writes ``<run_dir>/checkpoints``, the others a throw-away temporary folder
deleted after each save. Every worker restores from ``<run_dir>/checkpoints``, so on
several machines ``--run_dir`` must be shared storage (NFS, GCS, ...).
"""

import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import trackable_object_graph_pb2

from stargan_tf.errors import UserError


class CheckpointMismatchError(UserError, ValueError):
    """The checkpoint in --run_dir was written by a different architecture or system."""


class NoCheckpointError(UserError, FileNotFoundError):
    """--run_dir has no checkpoint to test or export."""


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
        # Absolute: TensorFlow returns checkpoint paths joined onto the directory it was given,
        # so a relative one would be joined twice (and resume from another working directory
        # would look in the wrong place).
        self.directory = checkpoint_dir(run_dir)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.networks = dict(system.networks())
        objects = dict(self.networks)
        objects.update({f"{name}_optimizer": opt for name, opt in system.optimizers.items()})
        objects.update(system.checkpoint_state())
        self.checkpoint = tf.train.Checkpoint(step=self.step, **objects)
        self.is_chief = is_chief
        self.max_to_keep = max_to_keep
        # Only the chief's manager reads/writes the run's folder; a non-chief gets a fresh
        # temporary folder at every save (see ``save``).
        self.manager = self._manager(self.directory) if is_chief else None
        self.restored_from = None

    def _manager(self, directory):
        return tf.train.CheckpointManager(
            self.checkpoint, directory, max_to_keep=self.max_to_keep, checkpoint_name="ckpt"
        )

    @property
    def latest(self):
        return tf.train.latest_checkpoint(self.directory)

    def candidates(self):
        """Checkpoint paths of the run, newest first (the index's list, which only names
        checkpoints whose save completed)."""
        state = tf.train.get_checkpoint_state(self.directory)
        if state is None:
            return []
        paths = list(state.all_model_checkpoint_paths or [])
        if state.model_checkpoint_path and state.model_checkpoint_path not in paths:
            paths.append(state.model_checkpoint_path)
        # The index names checkpoints relative to its folder (written by CheckpointManager) or
        # absolute (older runs, other tools): either way they live in this folder.
        paths = [os.path.join(self.directory, os.path.basename(p)) for p in paths]
        return sorted(set(paths), key=_checkpoint_number, reverse=True)

    def restore_latest(self):
        """Restore the newest readable checkpoint of the run, if any; return the iteration
        to resume at (0 for a new run)."""
        unreadable = []
        for path in self.candidates():
            try:
                check_network_sizes(path, self.networks)
                self.checkpoint.restore(path).assert_existing_objects_matched()
            except (tf.errors.DataLossError, tf.errors.NotFoundError, tf.errors.OutOfRangeError,
                    tf.errors.UnknownError, IndexError) as error:
                # Truncated or missing files: try the previous checkpoint.
                unreadable.append(f"{path} ({type(error).__name__})")
                continue
            except CheckpointMismatchError:
                raise
            except (AssertionError, ValueError, tf.errors.InvalidArgumentError) as error:
                raise CheckpointMismatchError(
                    f"The checkpoint {path} does not fit the network built from the current flags "
                    f"({str(error).splitlines()[0][:300]}). Use the flags the run was started with, or "
                    "a new --run_dir."
                ) from error
            if unreadable:
                print(f"Skipped unreadable checkpoint(s) {', '.join(unreadable)}; resuming from {path}.")
            self.restored_from = path
            return int(self.step.numpy())
        if unreadable:
            raise CheckpointMismatchError(
                f"No checkpoint in {self.directory} could be read: {', '.join(unreadable)}. The files may "
                "be truncated (a full disk, an interrupted copy): restore them from a copy if you have one, "
                "or start a new run with a new --run_dir. Nothing was changed in this folder."
            )
        return 0

    def save(self, iteration):
        """Save the state after ``iteration`` iterations. Every worker must call this (in
        the same order); only the chief's files are kept."""
        self.step.assign(iteration)
        if self.is_chief:
            return self.manager.save(checkpoint_number=iteration)
        scratch = tempfile.mkdtemp(prefix="worker-ckpt-")
        try:
            self._manager(scratch).save(checkpoint_number=iteration)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return None


def _checkpoint_number(path):
    try:
        return int(path.rsplit("-", 1)[-1])
    except ValueError:
        return -1


def _stored_variable_sizes(path, names):
    """Sizes of the variables reachable from each named root object of the checkpoint at
    ``path`` (walking its object graph: a variable's key names only one of its paths)."""
    reader = tf.train.load_checkpoint(path)
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    shapes = reader.get_variable_to_shape_map()
    sizes = {}
    for child in graph.nodes[0].children:
        if child.local_name not in names:
            continue
        keys, seen, pending = set(), set(), [child.node_id]
        while pending:
            node_id = pending.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            node = graph.nodes[node_id]
            keys.update(a.checkpoint_key for a in node.attributes if a.name == "VARIABLE_VALUE")
            pending.extend(c.node_id for c in node.children)
        sizes[child.local_name] = sorted(int(np.prod(shapes[k])) for k in keys)
    return sizes


def check_network_sizes(path, networks):
    """Raise ``CheckpointMismatchError`` when a network's variables in the checkpoint at
    ``path`` do not have the sizes of the network built from the current flags (restoring
    alone does not always notice), before anything is restored."""
    stored = _stored_variable_sizes(path, set(networks))
    for name, network in networks.items():
        built = sorted(int(np.prod(v.shape)) for v in network.variables)
        found = stored.get(name, [])
        if built != found:
            raise CheckpointMismatchError(
                f"The checkpoint {path} does not fit the network built from the current flags: its {name} "
                f"has {sum(found):,} values in {len(found)} variables, the flags build {sum(built):,} values in "
                f"{len(built)} variables. Use the flags "
                "the run was trained with (see run_config.json in the run directory), or a new --run_dir."
            )


def checkpoint_dir(run_dir):
    """``<run_dir>/checkpoints``, absolute."""
    return os.path.abspath(os.path.join(run_dir, "checkpoints"))


def restore_networks(networks, run_dir, checkpoint=None):
    """Restore only the networks (for test and export); returns the checkpoint path used."""
    directory = checkpoint_dir(run_dir)
    path = checkpoint or tf.train.latest_checkpoint(directory)
    if path is None:
        raise _no_checkpoint(directory)
    check_network_sizes(path, networks)
    try:
        tf.train.Checkpoint(**networks).restore(path).expect_partial().assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.InvalidArgumentError) as error:
        raise CheckpointMismatchError(
            f"The checkpoint {path} does not fit the network built from the current flags "
            f"({str(error).splitlines()[0][:300]}). Use the flags the run was trained with."
        ) from error
    return path


def latest_iteration(run_dir):
    """The iteration of the run's latest checkpoint (``NoCheckpointError`` without one)."""
    path = tf.train.latest_checkpoint(checkpoint_dir(run_dir))
    if path is None:
        raise _no_checkpoint(checkpoint_dir(run_dir))
    return _checkpoint_number(path)


def _no_checkpoint(directory):
    return NoCheckpointError(f"No checkpoint in {directory}: train first (--mode=train) with this --run_dir, or "
                             "point --run_dir at a finished run.")
