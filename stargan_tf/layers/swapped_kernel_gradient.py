"""Convolution whose kernel gradient is a forward convolution, for TensorFlow's Eigen kernels."""

import keras
import tensorflow as tf

from stargan_tf.layers import kernel_library
from stargan_tf.layers.stride_one_conv import StrideOneValidConv2D


def kernel_gradient(inputs, output_gradient, kernel_shape):
    """The gradient of the kernel (``kernel_shape``, ``[kh, kw, in, out]``) of a stride-1
    "valid" convolution of ``inputs`` ``[n, h, w, in]`` whose output's gradient is
    ``output_gradient`` ``[n, h - kh + 1, w - kw + 1, out]``.

    Each kernel tap is a sum over the batch and the output pixels, which is itself a stride-1
    "valid" convolution once the batch and channel axes swap: the ``in`` channels of ``inputs``
    become a batch of images with ``n`` channels, and ``output_gradient`` a kernel of the output's
    size mapping those ``n`` channels to ``out``; its output is ``[in, kh, kw, out]``. Where
    TensorFlow runs Eigen's kernels (oneDNN off: AVX2-only CPUs), Eigen's forward convolution
    computes this 1.2 to 9 times faster than its ``Conv2DBackpropFilter`` (7x7 layers of few
    channels most, 2.4 times for CycleGAN's 3x3 256-channel ones at 64x64, batch 1); under
    oneDNN its own backward is 1.4 to 2 times faster than the swapped form, so it runs there.
    """
    if not kernel_library.runs_eigen():
        return tf.raw_ops.Conv2DBackpropFilter(input=inputs, filter_sizes=list(kernel_shape),
                                               out_backprop=output_gradient, strides=[1, 1, 1, 1], padding="VALID")
    swapped = tf.nn.conv2d(tf.transpose(inputs, [3, 1, 2, 0]), tf.transpose(output_gradient, [1, 2, 0, 3]), 1, "VALID")
    return tf.transpose(swapped, [1, 2, 0, 3])


@keras.saving.register_keras_serializable(package="stargan_tf")
class SwappedKernelGradientConv2D(StrideOneValidConv2D):
    """A stride-1 "valid" ``Conv2D`` whose kernel gradient is ``kernel_gradient``'s: a forward
    convolution of the input with the output gradient, batch and channel axes swapped, where
    TensorFlow runs Eigen's kernels. The input's gradient is TensorFlow's own.

    Same weights, config, forward op and gradients (to float rounding) as ``Conv2D``;
    ``conv_block`` builds it, where Eigen's kernels run, for the stride-1 convolutions that
    are neither a ``NarrowOutputConv2D`` nor a ``PatchConv2D`` (a 7x7 generator input layer
    of 3 + 4 channels at 64x64, batch 4: forward and backward 26 -> 13 ms; a CycleGAN
    residual convolution, 256 channels at 64x64: 123 -> 87 ms).

    Args, call arguments: as ``StrideOneValidConv2D``.
    """

    @staticmethod
    def gradients(inputs, kernel, output_gradient):
        input_gradient = tf.raw_ops.Conv2DBackpropInput(
            input_sizes=tf.shape(inputs), filter=kernel, out_backprop=output_gradient, strides=[1, 1, 1, 1],
            padding="VALID")
        return input_gradient, kernel_gradient(inputs, output_gradient, kernel.shape)
