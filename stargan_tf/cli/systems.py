"""From a system's declaration and flag values to its data and a built system: the wiring
``main.py``, the tests, the harness and the benchmarks share."""

import dataclasses

import tensorflow as tf

from stargan_tf.cli.config_flags import AUTO, resolve
from stargan_tf.cli.data import LOADERS


def load_data(spec, resolved, cache_dir):
    """The data ``spec``'s family loads for ``resolved`` settings (files validated)."""
    return LOADERS[spec.data](resolved.config, resolved.data, cache_dir)


def build_system(spec, resolved, data, strategy=None, optimizers=True):
    """``spec.build`` inside ``strategy``'s scope, networks built (and optimizers made)."""
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        system = spec.build(resolved.config, data)
        system.build_networks()
        if optimizers:
            system.make_optimizers()
    return system


def prepare(spec, given, cache_dir, preset=AUTO, strategy=None):
    """``resolve`` + ``load_data`` + ``build_system``: ``(resolved, data, system)``."""
    resolved = resolve(spec, given, preset)
    data = load_data(spec, resolved, cache_dir)
    return resolved, data, build_system(spec, resolved, data, strategy)


def serving_bundle(system, data):
    """``system.serving_bundle()`` framed as ``data`` frames its test images: with the
    ``load_size`` test images are resized to before their centre crop, where there is one."""
    bundle = system.serving_bundle()
    load = data.test_load_size
    return bundle if load is None else dataclasses.replace(bundle, load_size=(load, load))
