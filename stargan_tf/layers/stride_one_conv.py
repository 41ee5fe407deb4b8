"""Base of the ``Conv2D`` formulations that compute their own gradients."""

import keras
import tensorflow as tf


class StrideOneValidConv2D(keras.layers.Conv2D):
    """A ``Conv2D`` restricted to stride 1, "valid" padding, no dilation or groups, channels
    last, whose gradients are the subclass' ``gradients(inputs, kernel, output_gradient) ->
    (input gradient, kernel gradient)``: the layers that keep ``Conv2D``'s forward op, weights
    and config and compute its gradients another way (``NarrowOutputConv2D``,
    ``SwappedKernelGradientConv2D``). Built of differentiable ops, those gradients carry
    higher orders (a gradient penalty).

    Args:
        as ``keras.layers.Conv2D``, with ``strides=1``, ``padding="valid"`` (pad before), no
        dilation or groups, channels last.

    Call arguments:
        inputs: NHWC tensor.
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        if (self.strides, self.padding, self.dilation_rate, self.groups, self.data_format) != (
                (1, 1), "valid", (1, 1), 1, "channels_last"):
            raise ValueError(f"{type(self).__name__} takes strides=1, padding='valid', no dilation or groups, "
                             f"channels_last; got {self.strides}, {self.padding!r}, {self.dilation_rate}, "
                             f"{self.groups}, {self.data_format!r}")

    @staticmethod
    def gradients(inputs, kernel, output_gradient):
        raise NotImplementedError

    def convolution_op(self, inputs, kernel):
        @tf.custom_gradient
        def convolution(inputs, kernel):
            return tf.nn.conv2d(inputs, kernel, 1, "VALID"), lambda gradient: self.gradients(inputs, kernel, gradient)

        return convolution(inputs, tf.cast(kernel, inputs.dtype))
