"""Transposed convolution as one matrix product and an overlap-add, for inputs of a few pixels."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="stargan_tf")
class OverlapAddConv2DTranspose(keras.layers.Conv2DTranspose):
    """A "same" ``Conv2DTranspose`` whose forward pass is one matrix product and an overlap-add:
    every input pixel times the kernel, ``[batch * pixels, in] x [in, kh * kw * filters]``,
    gives the kh x kw patch of outputs it paints; the patches, ``strides`` apart, are summed
    phase by phase (the output pixels of one position modulo the stride), the phases
    interleaved, and the "same" window cut out. The gradients are the ones TensorFlow takes
    of its own transposed convolution: a convolution of the output gradient with the kernel
    (the input's) and the kernel gradient of that convolution (the kernel's).

    Same weights, config and results (to float rounding) as ``Conv2DTranspose``. TensorFlow's
    Eigen kernels (its CPU kernels where oneDNN is off: AVX2-only CPUs such as AMD Zen 3)
    compute a transposed convolution of a small input slowly: Contextual GAN's generator's
    first two (2x4 and 4x8 inputs at the CPU preset, 4x8 at the paper's size) took 1.5 to 3
    times as long forward and backward as this (``blocks.transposed_conv`` picks it there).
    With oneDNN's kernels it is no faster. Only the forward ops are new, and they are
    TFLite builtins (a product, pads, sums, a reshape and a slice); the gradient is
    differentiable, so a graph that differentiates through the layer (Contextual GAN's
    completion) still converts.

    Args:
        as ``keras.layers.Conv2DTranspose``, with ``padding="same"`` (TensorFlow's), kernel
        sides at least the strides, no output padding or dilation, channels last; the
        input's height and width must be static.

    Call arguments:
        inputs: NHWC tensor.
    """

    def __init__(self, filters, kernel_size, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        if (self.padding, self.output_padding, self.dilation_rate, self.data_format) != (
                "same", None, (1, 1), "channels_last") or any(
                k < s for k, s in zip(self.kernel_size, self.strides)):
            raise ValueError("OverlapAddConv2DTranspose takes padding='same', kernel sides at least the strides, no "
                             f"output padding or dilation, channels_last; got {self.padding!r}, kernel "
                             f"{self.kernel_size}, strides {self.strides}, {self.output_padding}, "
                             f"{self.dilation_rate}, {self.data_format!r}")

    def call(self, inputs):
        height, width = inputs.shape[1:3]
        if height is None or width is None:
            raise ValueError(f"{self.name}: OverlapAddConv2DTranspose needs a static height and width, got "
                             f"{inputs.shape}")
        outputs = _overlap_add_transpose(inputs, tf.cast(self.kernel, inputs.dtype), tuple(self.strides))
        if self.use_bias:
            outputs = outputs + tf.cast(self.bias, outputs.dtype)
        return self.activation(outputs)


def _overlap_add_transpose(inputs, kernel, strides):
    @tf.custom_gradient
    def transpose(inputs, kernel):
        def gradient(output_gradient):
            input_gradient = tf.nn.conv2d(output_gradient, kernel, strides, "SAME")
            kernel_gradient = tf.raw_ops.Conv2DBackpropFilter(
                input=output_gradient, filter_sizes=tf.shape(kernel), out_backprop=inputs,
                strides=[1, *strides, 1], padding="SAME")
            return input_gradient, kernel_gradient

        return _overlap_add(inputs, kernel, strides), gradient

    return transpose(inputs, kernel)


def _overlap_add(inputs, kernel, strides):
    (kh, kw, filters, channels), (sh, sw) = kernel.shape, strides
    height, width = inputs.shape[1:3]
    patches = tf.matmul(tf.reshape(inputs, [-1, channels]),
                        tf.reshape(tf.transpose(kernel, [3, 0, 1, 2]), [channels, kh * kw * filters]))
    patches = tf.unstack(tf.reshape(patches, [-1, height, width, kh * kw, filters]), axis=3)
    # Kernel row i paints output row stride * (input row) + i: phase i % stride, shifted by
    # i // stride rows of the phase's grid, which has shifts - 1 more rows than the input.
    shifts_h, shifts_w = -(-kh // sh), -(-kw // sw)
    phases = {}
    for i in range(kh):
        for j in range(kw):
            down, right = i // sh, j // sw
            placed = tf.pad(patches[i * kw + j],
                            [[0, 0], [down, shifts_h - 1 - down], [right, shifts_w - 1 - right], [0, 0]])
            phase = (i % sh, j % sw)
            phases[phase] = placed if phase not in phases else phases[phase] + placed
    rows = [tf.stack([phases[p, q] for q in range(sw)], axis=3) for p in range(sh)]
    full = tf.reshape(tf.stack(rows, axis=2),
                      [-1, sh * (height + shifts_h - 1), sw * (width + shifts_w - 1), filters])
    # TensorFlow's "same": the output is the input times the stride, the kernel's overhang
    # (kernel - stride) split with its odd pixel after.
    top, left = (kh - sh) // 2, (kw - sw) // 2
    return tf.slice(full, [0, top, left, 0], [-1, sh * height, sw * width, -1])
