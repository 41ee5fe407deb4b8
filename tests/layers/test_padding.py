"""ReflectionPadding2D against NumPy's reflect padding."""

import numpy as np
import pytest

from stargan_tf.layers.padding import ReflectionPadding2D


@pytest.mark.parametrize(
    "padding, numpy_padding",
    [(1, ((1, 1), (1, 1))), (3, ((3, 3), (3, 3))), ((1, 2), ((1, 1), (2, 2))),
     (((0, 2), (1, 3)), ((0, 2), (1, 3)))],
)
def test_reflection_padding_matches_numpy(padding, numpy_padding):
    x = np.random.default_rng(0).normal(size=(2, 5, 6, 3)).astype(np.float32)
    layer = ReflectionPadding2D(padding)
    expected = np.pad(x, ((0, 0),) + numpy_padding + ((0, 0),), mode="reflect")
    out = layer(x).numpy()
    np.testing.assert_array_equal(out, expected)
    assert layer.compute_output_shape(x.shape) == expected.shape


def test_reflection_padding_does_not_repeat_the_edge():
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 4, 1)
    out = ReflectionPadding2D(((0, 0), (2, 2)))(x).numpy()[0, 0, :, 0]
    np.testing.assert_array_equal(out, [2, 1, 0, 1, 2, 3, 2, 1])


def test_reflection_padding_config_round_trip():
    layer = ReflectionPadding2D((1, 2), name="pad")
    clone = ReflectionPadding2D.from_config(layer.get_config())
    assert clone.padding == ((1, 1), (2, 2)) and clone.name == "pad"
    x = np.ones((1, 4, 4, 2), np.float32)
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())
