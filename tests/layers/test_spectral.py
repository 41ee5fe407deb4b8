"""SpectralConv2D against a NumPy reference of the reparametrisation W / sigma(W), sigma =
u^T W v after one power iteration (Miyato et al. 2018, Algorithm 1; PyTorch's spectral_norm)."""

import numpy as np
import tensorflow as tf

from stargan_tf.layers.spectral import SpectralConv2D

KERNEL, IN, FILTERS, BATCH = 3, 4, 5, 2


def unit(x):
    return x / np.linalg.norm(x)


def layer_with(rng, use_bias=True):
    """A built layer with random W, bias, u, v; the input covers the kernel exactly, so each
    output is one dot product of the input with a normalised filter."""
    layer = SpectralConv2D(FILTERS, KERNEL, use_bias=use_bias)
    layer.build((None, KERNEL, KERNEL, IN))
    layer.kernel.assign(rng.normal(size=(KERNEL, KERNEL, IN, FILTERS)).astype(np.float32))
    if use_bias:
        layer.bias.assign(rng.normal(size=FILTERS).astype(np.float32))
    layer.u.assign(unit(rng.normal(size=FILTERS)).astype(np.float32))
    layer.v.assign(unit(rng.normal(size=KERNEL * KERNEL * IN)).astype(np.float32))
    return layer


def reference(x, kernel, bias, u, v, training):
    """(outputs, u, v) in float64: the power iteration (training only), then x . W / sigma."""
    matrix = kernel.reshape(-1, FILTERS).astype(np.float64)  # [n, filters], rows in (kh, kw, in) order
    if training:
        v = unit(matrix @ u)
        u = unit(v @ matrix)
    sigma = u @ matrix.T @ v
    outputs = x.reshape(len(x), -1) @ (matrix / sigma) + bias
    return outputs, u, v, sigma


def test_inference_uses_the_stored_vectors_and_leaves_them():
    rng = np.random.default_rng(0)
    layer = layer_with(rng)
    x = rng.normal(size=(BATCH, KERNEL, KERNEL, IN)).astype(np.float32)
    u, v = layer.u.numpy(), layer.v.numpy()
    expected, _, _, _ = reference(x, layer.kernel.numpy(), layer.bias.numpy(), u, v, training=False)
    outputs = layer(x, training=False).numpy().reshape(BATCH, FILTERS)
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(layer.u.numpy(), u)
    np.testing.assert_array_equal(layer.v.numpy(), v)


def test_training_call_runs_one_power_iteration_and_stores_it():
    rng = np.random.default_rng(1)
    layer = layer_with(rng)
    x = rng.normal(size=(BATCH, KERNEL, KERNEL, IN)).astype(np.float32)
    expected, u, v, _ = reference(x, layer.kernel.numpy(), layer.bias.numpy(), layer.u.numpy(), layer.v.numpy(),
                                  training=True)
    outputs = layer(x, training=True).numpy().reshape(BATCH, FILTERS)
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.u.numpy(), u, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.v.numpy(), v, rtol=1e-5, atol=1e-6)


def test_power_iteration_converges_to_the_largest_singular_value():
    rng = np.random.default_rng(2)
    layer = layer_with(rng, use_bias=False)
    x = np.zeros((1, KERNEL, KERNEL, IN), np.float32)
    for _ in range(50):
        layer(x, training=True)
    matrix = layer.kernel.numpy().reshape(-1, FILTERS)
    normalized = layer.normalized_kernel().numpy().reshape(-1, FILTERS)
    np.testing.assert_allclose(np.linalg.svd(normalized, compute_uv=False)[0], 1.0, rtol=1e-4)
    np.testing.assert_allclose(np.linalg.svd(matrix, compute_uv=False)[0] * normalized, matrix, rtol=1e-4)


def test_gradient_flows_through_sigma_to_the_unnormalised_weight():
    """dL/dW = G / sigma - <G, W> / sigma^2 * v u^T for G = dL/d(W / sigma), u and v held
    constant; the second term is what a layer that treats sigma as a constant drops."""
    rng = np.random.default_rng(3)
    layer = layer_with(rng)
    x = rng.normal(size=(BATCH, KERNEL, KERNEL, IN)).astype(np.float32)
    weights = rng.normal(size=(BATCH, FILTERS)).astype(np.float32)  # L = sum(outputs * weights)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.reshape(layer(x, training=True), (BATCH, FILTERS)) * weights)
    gradient, bias_gradient = tape.gradient(loss, [layer.kernel, layer.bias])
    _, u, v, sigma = reference(x, layer.kernel.numpy(), 0.0, layer.u.numpy(), layer.v.numpy(), training=False)
    matrix = layer.kernel.numpy().reshape(-1, FILTERS).astype(np.float64)
    g = x.reshape(BATCH, -1).T.astype(np.float64) @ weights  # dL / d(W / sigma)
    through_sigma = np.sum(g * matrix) / sigma**2 * np.outer(v, u)
    expected = g / sigma - through_sigma
    assert np.abs(through_sigma).max() > 0.05 * np.abs(expected).max()
    np.testing.assert_allclose(gradient.numpy().reshape(-1, FILTERS), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bias_gradient.numpy(), weights.sum(axis=0), rtol=1e-5)


def test_state_is_checkpointed(tmp_path):
    rng = np.random.default_rng(4)
    layer = layer_with(rng)
    assert {w.path.rsplit("/", 1)[-1] for w in layer.non_trainable_weights} == {"u", "v"}
    path = tf.train.Checkpoint(layer=layer).save(str(tmp_path / "ckpt"))
    restored = SpectralConv2D(FILTERS, KERNEL)
    restored.build((None, KERNEL, KERNEL, IN))
    tf.train.Checkpoint(layer=restored).restore(path).assert_consumed()
    for a, b in zip(layer.weights, restored.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
