"""Activations written with TFLite builtins in their gradients too."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="stargan_tf")
class MaximumLeakyReLU(keras.layers.Layer):
    """LeakyReLU as ``max(x, slope * x)`` (0 < slope < 1): the same values as
    ``keras.layers.LeakyReLU``, but its gradient is made of MAXIMUM/SELECT ops, which TFLite
    has as builtins, where LeakyReLU's gradient op (``LeakyReluGrad``) is not. Contextual
    GAN's completion differentiates G and D inside the exported graph.

    Args:
        negative_slope: the slope for x < 0 (0.2 in DCGAN-style networks).
    """

    def __init__(self, negative_slope=0.2, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 < negative_slope < 1.0:
            raise ValueError(f"negative_slope must be in (0, 1), got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return ops.maximum(inputs, inputs * ops.cast(self.negative_slope, inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}
