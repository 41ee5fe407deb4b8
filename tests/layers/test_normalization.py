"""InstanceNorm against a NumPy reference of its formula (the residual block is in test_blocks.py)."""

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.layers import InstanceNorm


def instance_norm_reference(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)  # biased, as PyTorch
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def test_instance_norm_matches_formula():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(2, 5, 7, 4)).astype(np.float32)
    layer = InstanceNorm()
    layer.build(x.shape)
    gamma = rng.normal(size=4).astype(np.float32)
    beta = rng.normal(size=4).astype(np.float32)
    layer.set_weights([gamma, beta])
    np.testing.assert_allclose(layer(x).numpy(), instance_norm_reference(x, gamma, beta), atol=1e-5)


def test_instance_norm_uses_per_instance_statistics_and_pytorch_epsilon():
    x = np.zeros((1, 4, 4, 1), np.float32)
    x[0, 0, 0, 0] = 1.0
    layer = InstanceNorm(affine=False)
    out = layer(x).numpy()
    np.testing.assert_allclose(out, instance_norm_reference(x, 1.0, 0.0, eps=1e-5), atol=1e-6)
    assert not layer.weights
    # Statistics come from each example alone: a second, different example does not change the first.
    pair = np.concatenate([x, 5 * np.ones_like(x)], axis=0)
    np.testing.assert_allclose(layer(pair).numpy()[:1], out, atol=1e-6)


@pytest.mark.parametrize("affine", [True, False])
def test_training_mode_fused_kernel_equals_the_formula_and_its_gradient(affine):
    """With a static batch, training uses the fused batch-norm kernel per example: the values
    and the gradients (input, gamma, beta) of the formula."""
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(2.0, 3.0, size=(3, 5, 7, 4)).astype(np.float32))
    layer = InstanceNorm(affine=affine)
    layer.build(x.shape)
    if affine:
        layer.set_weights([rng.normal(size=4).astype(np.float32), rng.normal(size=4).astype(np.float32)])

    def values_and_gradients(training):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
            loss = tf.reduce_sum(y * tf.sin(y))
        return [y, *tape.gradient(loss, [x, *layer.trainable_weights])]

    weights = [w.numpy() for w in layer.weights] or [1.0, 0.0]
    np.testing.assert_allclose(values_and_gradients(True)[0], instance_norm_reference(x.numpy(), *weights),
                               atol=1e-5)
    for fused, formula in zip(values_and_gradients(True), values_and_gradients(False)):
        np.testing.assert_allclose(fused, formula, rtol=1e-4, atol=1e-4)


def test_instance_norm_config_round_trip():
    layer = InstanceNorm(epsilon=1e-3, affine=False, name="n")
    clone = InstanceNorm.from_config(layer.get_config())
    assert (clone.epsilon, clone.affine, clone.name) == (1e-3, False, "n")


def test_layer_norm_2d_normalises_each_example_over_all_its_values_with_a_channel_affine():
    """DRIT's decoder LayerNorm: statistics over (H, W, C) of one example, gamma and beta
    per channel (not per normalised value as Keras' LayerNormalization)."""
    from stargan_tf.layers.normalization import LayerNorm2D

    rng = np.random.default_rng(3)
    x = rng.normal(1.0, 2.0, size=(3, 4, 5, 6)).astype(np.float32)
    x[1] *= 10.0  # another scale per example: the statistics must be per example
    layer = LayerNorm2D()
    layer.build(x.shape)
    assert [w.shape for w in layer.weights] == [(6,), (6,)]
    gamma, beta = rng.normal(size=6).astype(np.float32), rng.normal(size=6).astype(np.float32)
    layer.set_weights([gamma, beta])
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    var = x.var(axis=(1, 2, 3), keepdims=True)
    expected = gamma * (x - mean) / np.sqrt(var + 1e-5) + beta
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)
