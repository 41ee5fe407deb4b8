"""NearestUpsampling2D against NumPy's repeat, on dynamic shapes and under XLA."""

import numpy as np
import tensorflow as tf

from stargan_tf.layers.upsampling import NearestUpsampling2D


def test_nearest_upsampling_matches_numpy_and_its_gradient_compiles_with_xla():
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 4)).astype(np.float32)
    layer = NearestUpsampling2D()
    np.testing.assert_array_equal(layer(x).numpy(), x.repeat(2, axis=1).repeat(2, axis=2))

    @tf.function(jit_compile=True)
    def gradient(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_sum(layer(inputs) ** 2)
        return tape.gradient(loss, inputs)

    # d/dx sum(up(x)^2) = 2 x for each of the 4 copies of x.
    np.testing.assert_allclose(gradient(tf.constant(x)).numpy(), 8.0 * x, rtol=1e-6)


def test_nearest_upsampling_with_unknown_batch_and_size():
    """The serving graphs trace with a dynamic batch (and the layer must keep static sizes
    where they are known)."""
    layer = NearestUpsampling2D()
    traced = tf.function(layer, input_signature=[tf.TensorSpec([None, None, None, 4], tf.float32)])
    x = np.random.default_rng(1).normal(size=(3, 2, 5, 4)).astype(np.float32)
    np.testing.assert_array_equal(traced(x).numpy(), x.repeat(2, axis=1).repeat(2, axis=2))
    assert layer.compute_output_shape((None, 3, None, 4)) == (None, 6, None, 4)
    assert layer.compute_output_shape((None, 3, 5, 4)) == (None, 6, 10, 4)
