"""Average pooling with PyTorch's border rule."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="stargan_tf")
class AveragePoolingExcludingPadding(keras.layers.Layer):
    """PyTorch ``AvgPool2d(pool_size, strides, padding, count_include_pad=False)``: zero
    padding on every side, and each window's mean taken over the pixels of the image only.

    DRIT's multi-scale discriminator halves its input between scales this way
    (``AvgPool2d(3, stride=2, padding=1, count_include_pad=False)``). Keras' "same" average
    pooling also leaves padding out of the count, but pads only the bottom/right when the
    total is odd, which moves every window by one pixel.

    Args:
        pool_size, strides, padding: square window, stride and padding on every side.
    """

    def __init__(self, pool_size=3, strides=2, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.pool_size, self.strides, self.padding = int(pool_size), int(strides), int(padding)

    def _window_mean(self, x):
        pad = [(0, 0), (self.padding, self.padding), (self.padding, self.padding), (0, 0)]
        return ops.average_pool(ops.pad(x, pad), self.pool_size, self.strides, padding="valid")

    def call(self, inputs):
        # The fraction of each window inside the image, from a map of ones of one channel.
        inside = self._window_mean(ops.ones_like(inputs[:1, :, :, :1]))
        return self._window_mean(inputs) / inside

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape

        def out(length):
            if length is None:
                return None
            return (length + 2 * self.padding - self.pool_size) // self.strides + 1

        return (batch, out(height), out(width), channels)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}
