"""InstanceNorm against a NumPy reference of its formula (the residual block is in test_blocks.py)."""

import numpy as np

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


def test_instance_norm_config_round_trip():
    layer = InstanceNorm(epsilon=1e-3, affine=False, name="n")
    clone = InstanceNorm.from_config(layer.get_config())
    assert (clone.epsilon, clone.affine, clone.name) == (1e-3, False, "n")
