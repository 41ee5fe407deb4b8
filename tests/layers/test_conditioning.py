"""TiledConcat against NumPy's broadcast and concatenate."""

import keras
import numpy as np

from stargan_tf.layers.conditioning import TiledConcat


def test_tiled_concat_matches_numpy():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    vector = rng.normal(size=(2, 3)).astype(np.float32)
    expected = np.concatenate([features, np.broadcast_to(vector[:, None, None, :], (2, 3, 4, 3))], axis=-1)
    np.testing.assert_array_equal(TiledConcat()([features, vector]).numpy(), expected)


def test_tiled_concat_takes_any_spatial_size_in_a_functional_model():
    image = keras.Input((None, None, 3))
    label = keras.Input((2,))
    output = TiledConcat()([image, label])
    assert tuple(output.shape) == (None, None, None, 5)
    model = keras.Model([image, label], output)
    rng = np.random.default_rng(1)
    features = rng.normal(size=(1, 5, 7, 3)).astype(np.float32)
    out = model([features, np.array([[1.0, -2.0]], np.float32)]).numpy()
    assert out.shape == (1, 5, 7, 5)
    np.testing.assert_array_equal(out[..., :3], features)
    np.testing.assert_array_equal(out[..., 3:], np.broadcast_to([1.0, -2.0], (1, 5, 7, 2)))
