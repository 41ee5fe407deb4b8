"""The helpers of ``GANSystem`` that coming systems rely on, on one device (their
replica invariance is tested with two logical CPUs in
``tests/distributed/test_replica_equivalence.py``)."""

import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.models.base import GANSystem, batch_norms_not_synchronized


def system(batch_size=4, seed=0):
    return GANSystem(types.SimpleNamespace(batch_size=batch_size, seed=seed))


def test_normal_draws_are_stateless_per_iteration_and_standard():
    draws = system(batch_size=4096).per_example_normal(4096, tf.constant(3, tf.int64), salt=2, shape=(2,)).numpy()
    again = system(batch_size=4096).per_example_normal(4096, tf.constant(3, tf.int64), salt=2, shape=(2,)).numpy()
    np.testing.assert_array_equal(draws, again)
    assert draws.shape == (4096, 2)
    assert abs(draws.mean()) < 0.05 and abs(draws.std() - 1.0) < 0.05
    other = system(batch_size=4096).per_example_normal(4096, tf.constant(4, tf.int64), salt=2, shape=(2,)).numpy()
    assert not np.allclose(draws, other)


def test_two_gradient_sets_taken_at_the_same_weights_then_applied():
    """DRIT's update: both gradients are computed before either is applied, and a variable in
    both sets is stepped twice, each time by its gradient at the original weights."""
    shared, own = tf.Variable([1.0, 2.0]), tf.Variable([3.0])
    optimizer_1, optimizer_2 = keras.optimizers.SGD(0.1), keras.optimizers.SGD(0.5)
    optimizer_1.build([shared, own])
    optimizer_2.build([shared])
    helper = system()
    with tf.GradientTape(persistent=True) as tape:
        loss_1 = tf.reduce_sum(shared ** 2) + tf.reduce_sum(own ** 2)
        loss_2 = tf.reduce_sum(3.0 * shared)
    first = helper.gradients(tape, loss_1, [shared, own])
    second = helper.gradients(tape, loss_2, [shared])
    helper.apply(optimizer_1, first, [shared, own])
    helper.apply(optimizer_2, second, [shared])
    np.testing.assert_allclose(shared.numpy(), [1.0 - 0.1 * 2.0 - 0.5 * 3.0, 2.0 - 0.1 * 4.0 - 0.5 * 3.0], rtol=1e-6)
    np.testing.assert_allclose(own.numpy(), [3.0 - 0.1 * 6.0], rtol=1e-6)


def test_clip_norm_clips_the_whole_gradient_and_leaves_small_ones_alone():
    for scale, expected_norm in ((10.0, 1.0), (0.01, None)):
        variables = [tf.Variable([0.0, 0.0]), tf.Variable([0.0])]
        optimizer = keras.optimizers.SGD(1.0)
        optimizer.build(variables)
        with tf.GradientTape() as tape:
            loss = scale * (3.0 * variables[0][0] + 4.0 * variables[1][0])
        system().update(optimizer, tape, loss, variables, clip_norm=1.0)
        step = np.concatenate([v.numpy() for v in variables])
        norm = np.linalg.norm(step)
        np.testing.assert_allclose(norm, expected_norm or 5.0 * scale, rtol=1e-6)
        np.testing.assert_allclose(step / norm, [-0.6, 0.0, -0.8], atol=1e-6)


def test_clip_norm_uses_the_unscaled_gradient_under_loss_scaling():
    variable = tf.Variable([0.0])
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(1.0), initial_scale=1024.0)
    optimizer.build([variable])
    with tf.GradientTape() as tape:
        scaled = optimizer.scale_loss(0.5 * variable[0] + 0.0)
    system().update(optimizer, tape, scaled, [variable], clip_norm=1.0)
    np.testing.assert_allclose(variable.numpy(), [-0.5], rtol=1e-6)  # |grad| 0.5 < 1: not clipped


def test_variables_shared_between_networks_are_counted_and_updated_once():
    shared = keras.layers.Dense(2, name="shared")
    first = keras.Sequential([keras.Input((3,)), shared, keras.layers.Dense(1)])
    second = keras.Sequential([keras.Input((3,)), shared, keras.layers.Dense(4)])
    unique = GANSystem.unique_variables(first, second)
    assert len(unique) == len(first.trainable_variables) + len(second.trainable_variables) - 2
    optimizer = keras.optimizers.SGD(1.0)
    optimizer.build(unique)
    x = tf.ones((1, 3))
    before = shared.kernel.numpy().copy()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(first(x)) + tf.reduce_sum(second(x))
    expected = before - tape.gradient(loss, shared.kernel).numpy()  # both paths' gradient, applied once
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(first(x)) + tf.reduce_sum(second(x))
    system().update(optimizer, tape, loss, unique)
    np.testing.assert_allclose(shared.kernel.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("synchronized, found", [(True, []), (False, ["net/bn"])])
def test_batch_norms_that_are_not_synchronised_are_found(synchronized, found):
    network = keras.Sequential([keras.Input((4, 4, 2)), keras.layers.Conv2D(2, 3),
                                keras.layers.BatchNormalization(synchronized=synchronized, name="bn")])
    assert batch_norms_not_synchronized({"net": network}) == found
