"""Helpers for the U-GAT-IT and CycleGAN tests: random two-domain batches and a built tiny system."""

import keras
import numpy as np
import tensorflow as tf


def random_batch(size, batch=2, seed=0):
    """{"image_a", "image_b"}: uniform [-1, 1] images of shape (batch, size, size, 3)."""
    rng = np.random.default_rng(seed)
    return {key: tf.constant(rng.uniform(-1, 1, (batch, size, size, 3)).astype(np.float32))
            for key in ("image_a", "image_b")}


def built_system(system_class, config, global_batch_size=2):
    """`system_class(global_batch_size, config)` with networks and optimizers built, seed 0."""
    keras.utils.set_random_seed(0)
    system = system_class(global_batch_size=global_batch_size, config=config)
    system.build_networks()
    system.make_optimizers()
    return system
