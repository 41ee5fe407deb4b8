"""A finished run's system with its latest weights, for the benchmarks that look inside the
networks (``sagan_batch_norm.py``, ``stargan_loss_terms.py``, ``drit_codes.py``,
``contextual_gan_halves.py``)."""

import json
import os
import tempfile


def load_run(run_dir):
    """The run's system (model and flags from its run_config.json) with its latest weights."""
    return load_run_and_data(run_dir)[0]


def load_run_and_data(run_dir):
    """``(system, data)``: ``load_run``'s system and the run's data as training read it.

    The flags are those ``main.py --run_dir=<run>`` would give it: the recorded ones over the
    CPU preset when the run trained on the built-in data, so settings the record leaves out
    (a completion's candidates, say) are the run's, not the flags' defaults."""
    from stargan_tf.cli.systems import prepare
    from stargan_tf.models.registry import REGISTRY
    from stargan_tf.training.checkpoints import restore_networks

    with open(os.path.join(run_dir, "run_config.json")) as handle:
        recorded = json.load(handle)
    spec = REGISTRY[recorded.pop("model")]
    given = {name: tuple(value) if isinstance(value, list) else value for name, value in recorded.items()}
    _, data, system = prepare(spec, given, tempfile.mkdtemp())
    restore_networks(system.networks(), run_dir)
    return system, data
