"""XDoG against a NumPy reference of the formula (Gaussian DoG with mirrored borders, the
soft threshold), on random images and the three parameter regimes (no line, soft, hard)."""

import math

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.pipelines.xdog import LUMA, XDoGParameters, xdog


def numpy_blur(gray, sigma):
    radius = max(1, math.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(gray, radius, mode="symmetric")
    height, width = gray.shape
    rows = sum(kernel[i] * padded[i : i + height, :] for i in range(2 * radius + 1))
    return sum(kernel[j] * rows[:, j : j + width] for j in range(2 * radius + 1))


def numpy_xdog(rgb, p):
    gray = rgb @ np.asarray(LUMA)
    difference = numpy_blur(gray, p.sigma) - p.tau * numpy_blur(gray, p.k * p.sigma)
    return np.where(difference >= p.epsilon, 1.0, 1.0 + np.tanh(p.phi * (difference - p.epsilon)))


@pytest.mark.parametrize("parameters", [XDoGParameters(), XDoGParameters(sigma=0.5, k=4.5, tau=0.95, phi=20.0,
                                                                         epsilon=0.0),
                                        XDoGParameters(sigma=1.3, k=2.0, tau=0.9, phi=1e4, epsilon=0.05)])
def test_matches_the_formula(parameters):
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (2, 23, 31, 3))
    images[1, 5:15, 8:20] = 0.1  # an edge for the threshold to draw
    got = xdog(tf.constant(images, tf.float32), parameters).numpy()
    assert got.shape == (2, 23, 31, 1) and got.min() >= 0.0 and got.max() <= 1.0
    for image, sketch in zip(images, got):
        # float32 against float64: tanh's slope phi amplifies the DoG's rounding (1e-7 x phi).
        np.testing.assert_allclose(sketch[..., 0], numpy_xdog(image, parameters), atol=2e-6 * parameters.phi)


def test_a_flat_image_is_blank_paper_and_an_edge_draws_a_line():
    flat = np.full((1, 16, 16, 3), 0.6, np.float32)
    assert np.all(xdog(tf.constant(flat), XDoGParameters(epsilon=0.0)).numpy() == 1.0)
    edge = flat.copy()
    edge[:, :, 8:] = 0.1
    sketch = xdog(tf.constant(edge), XDoGParameters(epsilon=0.0)).numpy()[0, :, :, 0]
    assert sketch[:, 6:10].min() < 0.5 and np.all(sketch[:, :4] == 1.0)
