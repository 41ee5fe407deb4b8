"""AveragePoolingExcludingPadding against PyTorch's AvgPool2d(count_include_pad=False),
written out: each window's mean over the pixels inside the image."""

import numpy as np
import pytest

from stargan_tf.layers.pooling import AveragePoolingExcludingPadding


def reference(x, size, stride, padding):
    batch, height, width, channels = x.shape
    out_h = (height + 2 * padding - size) // stride + 1
    out_w = (width + 2 * padding - size) // stride + 1
    out = np.zeros((batch, out_h, out_w, channels))
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * stride - padding, j * stride - padding
            rows = slice(max(top, 0), min(top + size, height))
            cols = slice(max(left, 0), min(left + size, width))
            out[:, i, j] = x[:, rows, cols].mean(axis=(1, 2))
    return out


@pytest.mark.parametrize("shape", [(2, 8, 8, 3), (1, 7, 10, 2), (1, 216, 216, 1)])
def test_average_pooling_excludes_the_padding_from_each_mean(shape):
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    layer = AveragePoolingExcludingPadding(3, 2, 1)
    out = layer(x).numpy()
    expected = reference(x, 3, 2, 1)
    assert out.shape == expected.shape == layer.compute_output_shape(shape)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_corner_windows_are_not_shifted():
    """The first window is centred on pixel 0 (padding on both sides), not on pixel 1 as
    Keras' "same" would put it."""
    x = np.zeros((1, 4, 4, 1), np.float32)
    x[0, 0, 0, 0] = 4.0
    out = AveragePoolingExcludingPadding(3, 2, 1)(x).numpy()[0, :, :, 0]
    np.testing.assert_allclose(out, [[1.0, 0.0], [0.0, 0.0]])  # 4 over the 4 inside pixels of window (0, 0)
