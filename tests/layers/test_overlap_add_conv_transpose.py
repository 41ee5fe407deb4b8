"""OverlapAddConv2DTranspose against NumPy's transposed-convolution sum and against
Conv2DTranspose (outputs, gradients, a gradient's gradient, under XLA), and where the networks
use it."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.layers import narrow_output_conv
from stargan_tf.layers.blocks import transposed_conv
from stargan_tf.layers.overlap_add_conv_transpose import OverlapAddConv2DTranspose

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twins import assert_same_derivatives, derivatives, with_same_weights  # noqa: E402


def numpy_conv_transpose(x, kernel, bias, stride):
    """TensorFlow's "same" transposed convolution: every input pixel paints its kernel-sized
    patch, full[b, s*i + u, s*j + v, f] += x[b, i, j, c] * kernel[u, v, f, c], and the output
    is the s*H x s*W window starting (k - s) // 2 pixels in."""
    kh, kw, filters = kernel.shape[:3]
    batch, height, width = x.shape[:3]
    full = np.zeros((batch, (height - 1) * stride + kh, (width - 1) * stride + kw, filters))
    for i in range(height):
        for j in range(width):
            full[:, i * stride : i * stride + kh, j * stride : j * stride + kw] += np.einsum(
                "bc,uvfc->buvf", x[:, i, j], kernel)
    top, left = (kh - stride) // 2, (kw - stride) // 2
    return full[:, top : top + stride * height, left : left + stride * width] + bias


@pytest.mark.parametrize("kernel_size, stride, height, width", [(5, 2, 2, 4), (4, 2, 3, 3), (3, 2, 2, 5), (3, 1, 3, 2)])
def test_overlap_add_is_the_transposed_convolution_sum(kernel_size, stride, height, width):
    x = np.random.default_rng(0).normal(size=(2, height, width, 3)).astype(np.float32)
    layer = OverlapAddConv2DTranspose(4, kernel_size, strides=stride, padding="same")
    out = layer(x).numpy()
    layer.bias.assign(np.arange(4, dtype=np.float32))
    expected = numpy_conv_transpose(x.astype(np.float64), layer.kernel.numpy(), layer.bias.numpy(), stride)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert out.shape == expected.shape == tuple(layer.compute_output_shape(x.shape))


@pytest.mark.parametrize("kernel_size, height, width, jit_compile", [
    (5, 2, 4, False), (4, 4, 4, False), (5, 3, 5, False), (5, 2, 4, True)])
def test_overlap_add_equals_conv2d_transpose_to_the_second_derivative(kernel_size, height, width, jit_compile):
    """Outputs, the input's and the weights' gradients, and the weights' gradient of a
    gradient-penalty-like term equal Conv2DTranspose's, also compiled with XLA."""
    x = tf.constant(np.random.default_rng(1).normal(size=(3, height, width, 5)).astype(np.float32))
    plain, overlap = with_same_weights(keras.layers.Conv2DTranspose(7, kernel_size, strides=2, padding="same"),
                                       OverlapAddConv2DTranspose(7, kernel_size, strides=2, padding="same"), x.shape)
    got = tf.function(lambda: derivatives(overlap, x), jit_compile=True)() if jit_compile else derivatives(overlap, x)
    assert_same_derivatives(got, derivatives(plain, x))


def test_overlap_add_config_round_trip_and_refusals():
    layer = OverlapAddConv2DTranspose(3, 5, strides=2, padding="same", use_bias=False, name="up")
    clone = OverlapAddConv2DTranspose.from_config(layer.get_config())
    assert (clone.filters, clone.kernel_size, clone.strides, clone.use_bias, clone.name) == (3, (5, 5), (2, 2),
                                                                                              False, "up")
    with pytest.raises(ValueError, match="padding='same'"):
        OverlapAddConv2DTranspose(3, 4, strides=2, padding="valid")
    with pytest.raises(ValueError, match="at least the strides"):
        OverlapAddConv2DTranspose(3, 1, strides=2, padding="same")
    unknown_size = tf.function(OverlapAddConv2DTranspose(3, 4, strides=2, padding="same"),
                               input_signature=[tf.TensorSpec((1, None, None, 2))])
    with pytest.raises(ValueError, match="static height and width"):
        unknown_size.get_concrete_function()


@pytest.mark.parametrize("onednn", [True, False, None])
def test_transposed_conv_uses_overlap_add_for_small_inputs_where_eigen_runs(monkeypatch, onednn):
    monkeypatch.setattr(narrow_output_conv, "tensorflow_runs_onednn", lambda: onednn)
    small = OverlapAddConv2DTranspose if onednn is False else keras.layers.Conv2DTranspose

    def layer_for(height, width):
        inputs = keras.Input((height, width, 2))
        model = keras.Model(inputs, transposed_conv(inputs, 3, 4, 2, name="up"))
        return type(model.get_layer("up"))

    assert layer_for(2, 4) is small
    assert layer_for(4, 8) is small  # 32 pixels: the most it takes
    assert layer_for(8, 8) is keras.layers.Conv2DTranspose
    assert layer_for(None, None) is keras.layers.Conv2DTranspose  # size unknown


def test_contextual_gan_generator_uses_overlap_add_for_its_first_up_samplings(monkeypatch):
    """At the CPU preset's 32 x 64 joint images G up-samples 2x4, 4x8, 8x16 and 16x32 maps:
    the first two are OverlapAddConv2DTranspose where Eigen's kernels run; at the paper's
    64 x 128, only the first (4x8)."""
    from stargan_tf.models.contextual_gan.networks import joint_generator

    monkeypatch.setattr(narrow_output_conv, "tensorflow_runs_onednn", lambda: False)

    def kinds(image_size):
        model = joint_generator(image_size, z_dim=4, gf_dim=2)
        return [type(model.get_layer(name)) for name in ("up8", "up4", "up2", "up_rgb")]

    assert kinds(32) == [OverlapAddConv2DTranspose] * 2 + [keras.layers.Conv2DTranspose] * 2
    assert kinds(64) == [OverlapAddConv2DTranspose] + [keras.layers.Conv2DTranspose] * 3
