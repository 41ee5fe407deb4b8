"""tf.distribute strategy selection, the only distributed engine we use."""

import json
import os

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker", "tpu")


def split_cpu(num_devices):
    """Split the host CPU into ``num_devices`` logical devices (``--num_cpu_devices``), so
    the mirrored path can be tried without GPUs. Must run before TensorFlow initialises."""
    if num_devices <= 1:
        return
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices
        )
    except RuntimeError as error:
        raise RuntimeError(
            "--num_cpu_devices must be applied before TensorFlow runs any operation "
            f"({error}); pass it on the command line rather than setting it later."
        ) from error


def make_strategy(name):
    """Return the strategy for ``--strategy``.

    default: one device. mirrored: all local GPUs, or all logical CPUs when there is no
    GPU. multi_worker: MultiWorkerMirroredStrategy configured from ``TF_CONFIG``. tpu:
    TPUStrategy through the default cluster resolver (untested here: no TPU).
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")]
        if not devices:
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError(
                "--strategy=multi_worker needs the TF_CONFIG environment variable describing the "
                "cluster and this worker's task (see README, 'Several machines')."
            )
        json.loads(os.environ["TF_CONFIG"])  # fail early on malformed JSON
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")


def is_chief(strategy):
    """True on the worker that writes checkpoints, summaries, samples and exports."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    return task_type is None or task_type == "chief" or (task_type == "worker" and task_id == 0)


def replica_id():
    """Index of the current replica among all replicas of all workers (0 outside one)."""
    context = tf.distribute.get_replica_context()
    if context is None:
        return tf.constant(0)
    return tf.cast(context.replica_id_in_sync_group, tf.int32)
