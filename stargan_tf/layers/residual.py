"""Residual block shared by the image-to-image generators."""

import keras
from keras import ops

from stargan_tf.layers.normalization import InstanceNorm


@keras.saving.register_keras_serializable(package="stargan_tf")
class ResidualBlock(keras.layers.Layer):
    """Residual block x + F(x), F = conv3x3 -> IN -> ReLU -> conv3x3 -> IN (He et al. 2016).

    StarGAN's bottleneck (zero padding, affine IN, no bias) and CycleGAN's / U-GAT-IT's
    (reflection padding) are this block with different options. There is no activation
    after the addition, as in the official implementations.

    Args:
        filters: channels of the input and of both convolutions.
        padding: ``"zero"`` or ``"reflect"`` (1 pixel each side before each convolution).
        use_bias: whether the convolutions have a bias.
        affine_norm: whether the instance norms learn gamma/beta.
    """

    def __init__(self, filters, padding="zero", use_bias=False, affine_norm=True, **kwargs):
        super().__init__(**kwargs)
        if padding not in ("zero", "reflect"):
            raise ValueError(f"padding must be 'zero' or 'reflect', got {padding!r}")
        self.filters = filters
        self.padding = padding
        self.use_bias = use_bias
        self.affine_norm = affine_norm
        conv_padding = "same" if padding == "zero" else "valid"
        self.conv1 = keras.layers.Conv2D(filters, 3, padding=conv_padding, use_bias=use_bias, name="conv1")
        self.norm1 = InstanceNorm(affine=affine_norm, name="norm1")
        self.conv2 = keras.layers.Conv2D(filters, 3, padding=conv_padding, use_bias=use_bias, name="conv2")
        self.norm2 = InstanceNorm(affine=affine_norm, name="norm2")

    def _pad(self, x):
        if self.padding == "reflect":
            return ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")
        return x

    def build(self, input_shape):
        self.conv1.build(input_shape)
        conv_shape = tuple(input_shape[:-1]) + (self.filters,)
        self.norm1.build(conv_shape)
        self.conv2.build(conv_shape)
        self.norm2.build(conv_shape)

    def call(self, inputs):
        x = ops.relu(self.norm1(self.conv1(self._pad(inputs))))
        x = self.norm2(self.conv2(self._pad(x)))
        return inputs + x

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "padding": self.padding,
            "use_bias": self.use_bias,
            "affine_norm": self.affine_norm,
        }
