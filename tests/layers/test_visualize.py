"""Attention maps as pictures (``training.visualize``): min-max normalisation then bilinear
resize against a NumPy reference, and the jet colour map."""

import numpy as np
import tensorflow as tf

from stargan_tf.training.visualize import heatmap_to_rgb, normalise_heatmap


def bilinear_reference(x, size):
    """Bilinear resize of [B, h, w, C] to [B, size, size, C] with half-pixel centres, edges
    clamped (``tf.image.resize``'s bilinear, OpenCV's ``INTER_LINEAR``)."""

    def weights(in_size):
        source = (np.arange(size) + 0.5) * in_size / size - 0.5
        low = np.floor(source)
        fraction = source - low
        matrix = np.zeros((size, in_size))
        rows = np.arange(size)
        np.add.at(matrix, (rows, np.clip(low, 0, in_size - 1).astype(int)), 1.0 - fraction)
        np.add.at(matrix, (rows, np.clip(low + 1, 0, in_size - 1).astype(int)), fraction)
        return matrix

    return np.einsum("oh,bhwc,pw->bopc", weights(x.shape[1]), x, weights(x.shape[2]))


def min_max(x):
    low = x.min(axis=(1, 2, 3), keepdims=True)
    return (x - low) / (x.max(axis=(1, 2, 3), keepdims=True) - low)


def test_normalise_heatmap_is_min_max_per_example_then_bilinear_resize():
    rng = np.random.default_rng(0)
    # Examples on very different scales: each is normalised on its own.
    heatmap = (rng.normal(size=(3, 4, 4, 1)) * np.array([1.0, 100.0, 1e-3]).reshape(3, 1, 1, 1)
               + np.array([0.0, -50.0, 7.0]).reshape(3, 1, 1, 1)).astype(np.float32)
    out = normalise_heatmap(tf.constant(heatmap), 10).numpy()
    assert out.shape == (3, 10, 10, 1) and out.dtype == np.float32
    # atol: the 1e-8 guard of the division moves the 4e-3-wide third map by up to 3e-6.
    np.testing.assert_allclose(out, bilinear_reference(min_max(heatmap.astype(np.float64)), 10), atol=1e-5)


def test_normalised_heatmap_spans_zero_to_one_per_example():
    rng = np.random.default_rng(1)
    heatmap = rng.normal(size=(2, 5, 5, 1)).astype(np.float32) * np.array([3.0, 0.01], np.float32).reshape(2, 1, 1, 1)
    out = normalise_heatmap(heatmap, 5).numpy()
    np.testing.assert_allclose(out.min(axis=(1, 2, 3)), [0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(out.max(axis=(1, 2, 3)), [1.0, 1.0], atol=1e-6)
    # Half-precision maps (mixed precision) come out float32.
    assert normalise_heatmap(tf.constant(heatmap, tf.float16), 5).dtype == tf.float32


def test_constant_heatmap_gives_zeros_not_nan():
    out = normalise_heatmap(np.full((1, 3, 3, 1), 4.0, np.float32), 6).numpy()
    np.testing.assert_array_equal(out, np.zeros((1, 6, 6, 1), np.float32))


def test_heatmap_to_rgb_is_jet_from_cold_blue_to_hot_red():
    ramp = np.linspace(0.0, 1.0, 101, dtype=np.float32).reshape(1, 1, 101, 1)
    rgb = heatmap_to_rgb(ramp).numpy()[0, 0]
    assert rgb.shape == (101, 3)
    assert rgb.min() == -1.0 and rgb.max() == 1.0
    # Jet's ends and centre, in [-1, 1]: dark blue (0, 0, 0.5), green (0.5, 1, 0.5), dark red (0.5, 0, 0).
    np.testing.assert_allclose(rgb[[0, 50, 100]], [[-1, -1, 0], [0, 1, 0], [0, -1, -1]], atol=1e-6)
    red, green, blue = rgb.T
    assert np.all(np.diff(red[:76]) >= 0) and np.all(np.diff(blue[25:]) <= 0)
    assert np.all(np.argmax(rgb[:25], axis=1) == 2) and np.all(np.argmax(rgb[76:], axis=1) == 0)
    assert np.all(np.argmax(rgb[40:61], axis=1) == 1)
