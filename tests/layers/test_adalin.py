"""AdaLIN and LayerInstanceNorm against a NumPy reference of U-GAT-IT's AdaLIN equation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.layers.adalin import AdaLIN, LayerInstanceNorm, UnitIntervalClip, clip_rho


def lin_reference(x, rho, gamma, beta, eps=1e-5, ddof=0):
    """gamma * (rho * IN(x) + (1 - rho) * LN(x)) + beta, NHWC, gamma/beta broadcastable."""
    in_mean = x.mean(axis=(1, 2), keepdims=True)
    in_var = x.var(axis=(1, 2), keepdims=True, ddof=ddof)
    ln_mean = x.mean(axis=(1, 2, 3), keepdims=True)
    ln_var = x.var(axis=(1, 2, 3), keepdims=True, ddof=ddof)
    x_in = (x - in_mean) / np.sqrt(in_var + eps)
    x_ln = (x - ln_mean) / np.sqrt(ln_var + eps)
    return gamma * (rho * x_in + (1 - rho) * x_ln) + beta


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 2.0, size=(2, 5, 6, 4)).astype(np.float32)
    # Channels with different statistics, so IN and LN differ.
    x *= np.array([0.5, 1.0, 3.0, 0.1], np.float32)
    gamma = rng.normal(size=(2, 4)).astype(np.float32)
    beta = rng.normal(size=(2, 4)).astype(np.float32)
    rho = np.array([0.0, 0.3, 0.9, 1.0], np.float32)
    return x, gamma, beta, rho


@pytest.mark.parametrize("unbiased", [False, True])
def test_adalin_matches_formula(data, unbiased):
    x, gamma, beta, rho = data
    layer = AdaLIN(unbiased_variance=unbiased)
    layer(x, gamma, beta)
    layer.rho.assign(rho)
    expected = lin_reference(x, rho, gamma[:, None, None, :], beta[:, None, None, :],
                             ddof=1 if unbiased else 0)
    np.testing.assert_allclose(layer(x, gamma, beta).numpy(), expected, atol=1e-5)


def test_adalin_defaults_rho_09_biased_variance(data):
    x, gamma, beta, _ = data
    layer = AdaLIN()
    out = layer(x, gamma, beta).numpy()
    np.testing.assert_allclose(layer.rho.numpy(), 0.9)
    expected = lin_reference(x, 0.9, gamma[:, None, None, :], beta[:, None, None, :])
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert [w.name for w in layer.trainable_weights] == ["rho"]


@pytest.mark.parametrize("unbiased", [False, True])
def test_layer_instance_norm_matches_formula(data, unbiased):
    x, _, _, rho = data
    layer = LayerInstanceNorm(unbiased_variance=unbiased)
    layer.build(x.shape)
    np.testing.assert_allclose(layer.rho.numpy(), 0.0)
    np.testing.assert_allclose(layer.gamma.numpy(), 1.0)
    np.testing.assert_allclose(layer.beta.numpy(), 0.0)
    gamma = np.array([1.5, -0.5, 2.0, 0.7], np.float32)
    beta = np.array([0.1, 0.2, -0.3, 0.0], np.float32)
    layer.rho.assign(rho)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    expected = lin_reference(x, rho, gamma, beta, ddof=1 if unbiased else 0)
    np.testing.assert_allclose(layer(x).numpy(), expected, atol=1e-5)


def test_config_round_trip(data):
    x, gamma, beta, _ = data
    for layer in (AdaLIN(epsilon=1e-3, rho_init=0.5, unbiased_variance=True, name="a"),
                  LayerInstanceNorm(epsilon=1e-4, rho_init=0.2, name="l")):
        clone = type(layer).from_config(layer.get_config())
        assert (clone.epsilon, clone.rho_init, clone.unbiased_variance, clone.name) == (
            layer.epsilon, layer.rho_init, layer.unbiased_variance, layer.name)
    serialized = keras.saving.serialize_keras_object(AdaLIN(unbiased_variance=True))
    assert keras.saving.deserialize_keras_object(serialized).unbiased_variance


def test_rho_is_clipped_by_the_optimizer_and_by_clip_rho(data):
    x, gamma, beta, _ = data
    inputs = keras.Input(x.shape[1:])
    g = keras.Input((4,))
    b = keras.Input((4,))
    y = LayerInstanceNorm()(inputs)
    y = AdaLIN()(y, g, b)
    model = keras.Model([inputs, g, b], y)
    rhos = [w for w in model.trainable_weights if w.name == "rho"]
    assert len(rhos) == 2 and all(isinstance(w.constraint, UnitIntervalClip) for w in rhos)

    # A huge learning rate throws rho far outside [0, 1]; the constraint brings it back.
    optimizer = keras.optimizers.SGD(1e4)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(model([x, gamma, beta]) - 3.0))
    optimizer.apply(tape.gradient(loss, model.trainable_weights), model.trainable_weights)
    for w in rhos:
        values = w.numpy()
        assert values.min() >= 0.0 and values.max() <= 1.0
    assert any(np.any((w.numpy() == 0.0) | (w.numpy() == 1.0)) for w in rhos)

    for w in rhos:
        w.assign(np.array([-2.0, 0.5, 3.0, 1.5], np.float32))
    clip_rho(model)
    for w in rhos:
        np.testing.assert_array_equal(w.numpy(), [0.0, 0.5, 1.0, 1.0])
