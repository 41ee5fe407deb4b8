"""Convolution as one matrix product of image patches, for feature maps of a few pixels."""

import keras
import tensorflow as tf
from keras import ops


@keras.saving.register_keras_serializable(package="stargan_tf")
class PatchConv2D(keras.layers.Conv2D):
    """A "valid" ``Conv2D`` computed as the matrix product of its input's patches,
    ``[batch * output pixels, kh * kw * in]``, with the kernel, ``[kh * kw * in, filters]``.

    Same weights, config and results as ``Conv2D``; faster where the output has a few pixels
    and many channels (StarGAN's discriminator ends in 4x4 and 2x2 maps of 1024 and 2048
    channels at 128 px). There oneDNN's convolution kernels, which block over output pixels,
    measured 2 (4x4) and 4 (2x2) times slower than the matrix product, forward and through
    the gradient penalty's double backward. The patches are slices of the input, not
    ``tf.image.extract_patches`` (XLA lowers that to a convolution with an identity kernel
    of ``(kh * kw * in)^2`` weights, and its gradient uses sparse ops XLA cannot compile), so
    the layer differentiates on every path; and slices whose gradient is a pad (``_window``),
    so a graph differentiated through it (Contextual GAN's completion) still converts to
    TFLite builtins.

    Args:
        as ``keras.layers.Conv2D``, with ``padding="valid"`` (pad before) or ``"same"``
        (TensorFlow's: the odd pixel of the padding after), no dilation or groups, channels
        last; the input's height and width must be static.

    Call arguments:
        inputs: NHWC tensor.
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        if (self.padding in ("valid", "same"), self.dilation_rate, self.groups, self.data_format) != (
                True, (1, 1), 1, "channels_last"):
            raise ValueError("PatchConv2D takes padding='valid' or 'same', no dilation or groups, channels_last; got "
                             f"{self.padding!r}, {self.dilation_rate}, {self.groups}, {self.data_format!r}")

    def convolution_op(self, inputs, kernel):
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        height, width, channels = inputs.shape[1:]
        if height is None or width is None:
            raise ValueError(f"{self.name}: PatchConv2D needs a static height and width, got {inputs.shape}")
        if self.padding == "same":
            (top, bottom), (left, right) = _same_padding(height, kh, sh), _same_padding(width, kw, sw)
            inputs = ops.pad(inputs, ((0, 0), (top, bottom), (left, right), (0, 0)))
            height, width = height + top + bottom, width + left + right
        rows = [
            ops.stack([ops.reshape(_window(inputs, i, j, kh, kw), (-1, kh * kw * channels))
                       for j in range(0, width - kw + 1, sw)], axis=1)
            for i in range(0, height - kh + 1, sh)
        ]
        # Each patch flattens as (kh, kw, in), the order of the kernel's first three axes.
        return ops.einsum("bhwk,kf->bhwf", ops.stack(rows, axis=1), ops.reshape(kernel, (-1, self.filters)))


def _same_padding(size, kernel, stride):
    """TensorFlow's "same" padding of one axis: ``(before, after)``, the odd pixel after."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _window(inputs, top, left, height, width):
    """``inputs[:, top:top + height, left:left + width, :]`` whose gradient is a zero pad of
    the window's gradient back to the input's size, in every context. A strided slice's
    gradient (``StridedSliceGrad``) is no TFLite builtin, and ``tf.slice``'s is a pad except
    under XLA, where it becomes ``XlaDynamicUpdateSlice``, which has no gradient itself (the
    gradient penalty differentiates twice). A pad's gradient is a slice, so the second order
    holds under XLA too."""

    @tf.custom_gradient
    def window(x):
        def gradient(window_gradient):
            below, right = x.shape[1] - top - height, x.shape[2] - left - width
            return tf.pad(window_gradient, [[0, 0], [top, below], [left, right], [0, 0]])

        return tf.slice(x, (0, top, left, 0), (-1, height, width, -1)), gradient

    return window(inputs)
