"""Helpers for the U-GAT-IT and CycleGAN tests: random two-domain batches and a built tiny system."""

import keras
import numpy as np
import tensorflow as tf


def random_batch(size, batch=2, seed=0):
    """{"image_a", "image_b"}: uniform [-1, 1] images of shape (batch, size, size, 3), the two
    domains different."""
    rng = np.random.default_rng(seed)
    return {key: tf.constant(rng.uniform(-1, 1, (batch, size, size, 3)).astype(np.float32))
            for key in ("image_a", "image_b")}


def built_system(system_class, config):
    """``system_class(config)`` with networks and optimizers built, Keras seed 0."""
    keras.utils.set_random_seed(0)
    system = system_class(config)
    system.build_networks()
    system.make_optimizers()
    return system


def logs_of(step, batch, iteration=0):
    """Run a replica step function eagerly (the contract test runs them compiled) and return
    its logs as floats."""
    return {name: float(value) for name, value in step(batch, tf.constant(iteration, tf.int64)).items()}


def assert_constant_for_half_then_linear_to_zero(system, iterations=10):
    """TwoDomainSystem's schedule (both official codes): lr constant for the first half of
    ``num_iters``, then linear to 0; one rate for generators and discriminators."""
    rates = [system.learning_rates(i) for i in range(iterations + 1)]
    generator = [r["generator"] for r in rates]
    half = iterations // 2
    assert generator[:half + 1] == [system.config.lr] * (half + 1) and generator[iterations] == 0.0
    assert np.all(np.diff(generator[half:]) < 0)
    assert [r["discriminator"] for r in rates] == generator


def column_layout(columns):
    return [(column.name, column.role) for column in columns]
