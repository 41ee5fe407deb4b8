"""CAMAttention against a NumPy reference of U-GAT-IT's CAM module."""

import numpy as np
import pytest

from stargan_tf.layers.attention import CAMAttention


def cam_reference(x, w_gap, w_gmp, fuse_kernel, fuse_bias, activation, spectral_norm, slope=0.2):
    gap = x.mean(axis=(1, 2))
    gmp = x.max(axis=(1, 2))
    logit_gap = w_gap / np.linalg.norm(w_gap) if spectral_norm else w_gap
    logit_gmp = w_gmp / np.linalg.norm(w_gmp) if spectral_norm else w_gmp
    cam_logit = np.concatenate([gap @ logit_gap, gmp @ logit_gmp], axis=1)
    # Channels are re-weighted by the un-normalised weights (official PyTorch code).
    weighted = np.concatenate([x * w_gap[:, 0], x * w_gmp[:, 0]], axis=-1)
    features = weighted @ fuse_kernel + fuse_bias
    if activation == "relu":
        features = np.maximum(features, 0.0)
    else:
        features = np.where(features > 0, features, slope * features)
    return features, cam_logit, features.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("activation, spectral_norm", [("relu", False), ("leaky_relu", True)])
def test_cam_attention_matches_formula(activation, spectral_norm):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 4, 6)).astype(np.float32)
    layer = CAMAttention(activation=activation, spectral_norm=spectral_norm)
    layer.build(x.shape)
    w_gap = rng.normal(size=(6, 1)).astype(np.float32) * 3.0
    w_gmp = rng.normal(size=(6, 1)).astype(np.float32) * 3.0
    fuse_kernel = rng.normal(size=(12, 6)).astype(np.float32)
    fuse_bias = rng.normal(size=(6,)).astype(np.float32)
    layer.set_weights([w_gap, w_gmp, fuse_kernel, fuse_bias])
    features, cam_logit, heatmap = (t.numpy() for t in layer(x))
    expected = cam_reference(x, w_gap, w_gmp, fuse_kernel, fuse_bias, activation, spectral_norm)
    for got, want in zip((features, cam_logit, heatmap), expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
    assert features.shape == x.shape and cam_logit.shape == (2, 2) and heatmap.shape == (2, 5, 4, 1)


def test_cam_attention_parameter_count_matches_pytorch():
    # Generator CAM at 256 channels: gap_fc 256 + gmp_fc 256 + conv1x1 512*256 + 256.
    layer = CAMAttention()
    layer.build((None, 8, 8, 256))
    assert layer.count_params() == 256 + 256 + 131_328


def test_cam_attention_config_round_trip():
    layer = CAMAttention(activation="leaky_relu", negative_slope=0.1, spectral_norm=True,
                         kernel_initializer="he_normal", name="cam")
    clone = CAMAttention.from_config(layer.get_config())
    assert (clone.activation, clone.negative_slope, clone.spectral_norm, clone.name) == (
        "leaky_relu", 0.1, True, "cam")
    x = np.random.default_rng(1).normal(size=(1, 3, 3, 4)).astype(np.float32)
    layer.build(x.shape)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    for a, b in zip(layer(x), clone(x)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)


def test_cam_attention_rejects_unknown_activation():
    with pytest.raises(ValueError):
        CAMAttention(activation="tanh")
