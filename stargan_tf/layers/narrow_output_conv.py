"""Convolution whose backward pass suits an output of far fewer channels than its input."""

import keras
import tensorflow as tf

from stargan_tf.layers import kernel_library
from stargan_tf.layers.stride_one_conv import StrideOneValidConv2D
from stargan_tf.layers.swapped_kernel_gradient import kernel_gradient

# A stride-1 convolution that reduces the channels at least this many times is a
# NarrowOutputConv2D (conv_block's choice), by the kernels TensorFlow runs. Measured fastest at
# 21x (64 -> 3), 16x, 4x and 512x and never slower with oneDNN's kernels or Eigen's. At 2x
# (U-GAT-IT's 256 -> 128 and 128 -> 64 up-sampling convolutions) oneDNN's own backward is 15 to
# 30% faster than the swapped one, but Eigen's own is 1.5 times slower: there the swapped one
# made U-GAT-IT light's 256x256 iteration 12% faster (AVX2-only Zen 3).
MIN_CHANNEL_REDUCTION_ONEDNN = 4
MIN_CHANNEL_REDUCTION_EIGEN = 2


def min_channel_reduction():
    """The least channel reduction for which ``conv_block`` builds a ``NarrowOutputConv2D`` on
    this machine (oneDNN's threshold where the kernel library is unknown)."""
    return MIN_CHANNEL_REDUCTION_EIGEN if kernel_library.runs_eigen() else MIN_CHANNEL_REDUCTION_ONEDNN


@keras.saving.register_keras_serializable(package="stargan_tf")
class NarrowOutputConv2D(StrideOneValidConv2D):
    """A stride-1 "valid" ``Conv2D`` whose gradients are computed with the many channels on the
    output side: the input's gradient as a forward convolution of the zero-padded output
    gradient with the flipped, transposed kernel, and the kernel's as the kernel gradient of
    that swapped convolution (the padded output gradient as input, the layer's input as the
    output gradient), flipped back.

    Same weights, config, forward op and gradients (to float rounding) as ``Conv2D``. It is
    for the last layer of the generators built with ``conv_block`` (CycleGAN's ``c7s1-3``,
    StarGAN's and U-GAT-IT's 7x7 convolution to RGB, DRIT's 1x1 one), a PatchGAN's 1-channel
    logit map and, where Eigen's kernels run, U-GAT-IT's up-sampling convolutions, whose
    backward pass TensorFlow's own kernels compute slowly where oneDNN is off (its default
    on CPUs without AVX-512 VNNI, BF16 or AMX, e.g. AVX2-only AMD Zen 3): CycleGAN's 64 -> 3
    7x7 layer at 256x256 took 1.17 s forward and backward there against 0.12 s this way
    (PyTorch: 0.15 s), 6 of every training iteration's generator passes going through it.

    Args, call arguments: as ``StrideOneValidConv2D``.
    """

    @staticmethod
    def gradients(inputs, kernel, output_gradient):
        kh, kw, channels_in, channels_out = kernel.shape
        # Padded by kernel - 1 on every side, the output gradient is the input of a "full"
        # convolution: each input pixel sees every output pixel its value reached.
        padded = tf.pad(output_gradient, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]])
        input_gradient = tf.nn.conv2d(padded, _flipped_and_swapped(kernel), 1, "VALID")
        swapped_kernel_gradient = kernel_gradient(padded, inputs, [kh, kw, channels_out, channels_in])
        return input_gradient, _flipped_and_swapped(swapped_kernel_gradient)


def _flipped_and_swapped(kernel):
    """``kernel`` [kh, kw, a, b] turned 180 degrees in space with its channel axes swapped
    ([kh, kw, b, a]): the kernel of the swapped convolution, and its own inverse."""
    return tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
