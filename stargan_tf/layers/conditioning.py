"""Conditioning a convolutional network on a per-example vector by tiling it over the map."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="stargan_tf")
class TiledConcat(keras.layers.Layer):
    """Concatenate a vector per example, repeated at every pixel, to a feature map.

    StarGAN's generator input (paper Sec. 3: the target label "spatially replicated and
    concatenated with the input image"); the same injection feeds attribute codes in
    DRIT's concatenation generator.

    Call arguments:
        inputs: ``(features [B, H, W, C], vector [B, K])``. Returns ``[B, H, W, C + K]``
            in the features' dtype.
    """

    def call(self, inputs):
        features, vector = inputs
        shape = ops.shape(features)
        vector = ops.cast(vector, features.dtype)
        tiled = ops.broadcast_to(vector[:, None, None, :], (shape[0], shape[1], shape[2], ops.shape(vector)[-1]))
        return ops.concatenate([features, tiled], axis=-1)

    def compute_output_shape(self, input_shape):
        features, vector = input_shape
        channels = None if features[-1] is None or vector[-1] is None else features[-1] + vector[-1]
        return tuple(features[:-1]) + (channels,)
