"""PatchConv2D against NumPy's convolution sum and against Conv2D to the second derivative
(the gradient penalty's), and where ``conv_block`` uses it."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.layers.blocks import conv_block
from stargan_tf.layers.patch_conv import PatchConv2D

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twins import assert_same_derivatives, derivatives, with_same_weights  # noqa: E402


def numpy_conv(x, kernel, bias, stride):
    """out[b, i, j, f] = sum_{u, v, c} x[b, i*s + u, j*s + v, c] * kernel[u, v, c, f] + bias[f]."""
    kh, kw = kernel.shape[:2]
    rows, cols = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], rows, cols, kernel.shape[3]))
    for i in range(rows):
        for j in range(cols):
            window = x[:, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            out[:, i, j] = np.einsum("buvc,uvcf->bf", window, kernel) + bias
    return out


@pytest.mark.parametrize("kernel_size, stride, size", [(4, 2, 6), (3, 1, 4), (2, 1, 2), (3, 2, 7)])
def test_patch_conv_is_the_convolution_sum(kernel_size, stride, size):
    x = np.random.default_rng(0).normal(size=(2, size, size, 3)).astype(np.float32)
    layer = PatchConv2D(4, kernel_size, strides=stride)
    out = layer(x).numpy()
    layer.bias.assign(np.arange(4, dtype=np.float32))
    expected = numpy_conv(x.astype(np.float64), layer.kernel.numpy(), layer.bias.numpy(), stride)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert out.shape == expected.shape == layer.compute_output_shape(x.shape)


@pytest.mark.parametrize("kernel_size, stride, padding, height, width, jit_compile", [
    (4, 2, "valid", 6, 6, False), (5, 2, "same", 4, 8, False), (5, 2, "same", 5, 3, False),
    (3, 1, "same", 3, 4, False), (4, 2, "valid", 6, 6, True), (5, 2, "same", 4, 8, True)])
def test_patch_conv_equals_conv2d_to_the_second_derivative(kernel_size, stride, padding, height, width, jit_compile):
    """Outputs, weight gradients and the gradient of a gradient-penalty-like term (the norm of
    d sum(D(x)) / dx, differentiated again w.r.t. the weights) equal Conv2D's, with
    TensorFlow's "same" padding (odd totals pad one more pixel after) too, and compiled with
    XLA (where a plain slice's gradient has no gradient of its own)."""
    x = tf.constant(np.random.default_rng(1).normal(size=(3, height, width, 5)).astype(np.float32))
    plain, patch = with_same_weights(keras.layers.Conv2D(7, kernel_size, strides=stride, padding=padding),
                                     PatchConv2D(7, kernel_size, strides=stride, padding=padding), x.shape)
    got = tf.function(lambda: derivatives(patch, x), jit_compile=True)() if jit_compile else derivatives(patch, x)
    assert_same_derivatives(got, derivatives(plain, x))


def test_patch_conv_config_round_trip_and_refusals():
    layer = PatchConv2D(3, 2, strides=2, use_bias=False, name="head")
    clone = PatchConv2D.from_config(layer.get_config())
    assert (clone.filters, clone.kernel_size, clone.strides, clone.use_bias, clone.name) == (3, (2, 2), (2, 2),
                                                                                              False, "head")
    with pytest.raises(ValueError, match="no dilation"):
        PatchConv2D(3, 3, dilation_rate=2)
    unknown_size = tf.function(PatchConv2D(3, 3), input_signature=[tf.TensorSpec((1, None, None, 2))])
    with pytest.raises(ValueError, match="static height and width"):
        unknown_size.get_concrete_function()


def test_conv_block_uses_patch_conv_only_for_outputs_of_a_few_pixels():
    def conv_of(size, kernel_size, strides, padding):
        inputs = keras.Input((size, size, 2) if size else (None, None, 2))
        model = keras.Model(inputs, conv_block(inputs, 4, kernel_size, name="c", strides=strides, padding=padding))
        return type(model.get_layer("c"))

    assert conv_of(4, 4, 2, 1) is PatchConv2D  # 2x2 output
    assert conv_of(8, 4, 2, 1) is PatchConv2D  # 4x4: the most pixels it takes
    assert conv_of(16, 4, 2, 1) is keras.layers.Conv2D  # 8x8
    assert conv_of(None, 4, 2, 1) is keras.layers.Conv2D  # size unknown (fully convolutional generators)


def test_contextual_gan_discriminator_uses_patch_conv_for_its_few_pixel_same_padded_maps():
    """"same" padding outputs ceil(size / stride) pixels: the CPU preset's 32 x 64 joint image
    ends in a 2 x 4 map (a PatchConv2D), the paper's 64 x 128 in a 4 x 8 one (a Conv2D)."""
    from stargan_tf.models.contextual_gan.networks import joint_discriminator

    def kinds(image_size):
        model = joint_discriminator(image_size, df_dim=4)
        return [type(model.get_layer(f"conv{i}")) for i in range(4)]

    assert kinds(32) == [keras.layers.Conv2D] * 3 + [PatchConv2D]
    assert kinds(64) == [keras.layers.Conv2D] * 4
    assert kinds(16) == [keras.layers.Conv2D] * 2 + [PatchConv2D] * 2  # 2 x 4, then 1 x 2
