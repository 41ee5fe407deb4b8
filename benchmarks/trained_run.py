"""A finished run's system with its latest weights, for the benchmarks that look inside the
networks (``sagan_batch_norm.py``, ``stargan_loss_terms.py``)."""

import json
import os
import tempfile


def load_run(run_dir):
    """The run's system (model and flags from its run_config.json) with its latest weights."""
    from stargan_tf.cli.systems import prepare
    from stargan_tf.models.registry import REGISTRY
    from stargan_tf.training.checkpoints import restore_networks

    with open(os.path.join(run_dir, "run_config.json")) as handle:
        recorded = json.load(handle)
    spec = REGISTRY[recorded.pop("model")]
    given = {name: tuple(value) if isinstance(value, list) else value for name, value in recorded.items()}
    _, _, system = prepare(spec, given, tempfile.mkdtemp(), preset=None)
    restore_networks(system.networks(), run_dir)
    return system
