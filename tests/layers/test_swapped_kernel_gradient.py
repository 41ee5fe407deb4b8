"""SwappedKernelGradientConv2D and ``kernel_gradient`` against TensorFlow's own gradients:
outputs, both gradients and the second derivative (a gradient penalty's) with either kernel
library's kernel gradient, XLA and bfloat16, config and refusals; and which convolution
``conv_block`` builds on each kernel library."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.layers import kernel_library
from stargan_tf.layers.blocks import conv_block
from stargan_tf.layers.narrow_output_conv import NarrowOutputConv2D
from stargan_tf.layers.patch_conv import PatchConv2D
from stargan_tf.layers.swapped_kernel_gradient import SwappedKernelGradientConv2D, kernel_gradient

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twins import (  # noqa: E402
    assert_same_compiled_gradients, assert_same_derivatives, derivatives, with_same_weights)


@pytest.mark.parametrize("onednn", [False, True])
@pytest.mark.parametrize("batch, height, width, channels, filters, kernel_size", [
    (3, 11, 13, 7, 16, 7),  # a generator's input layer: RGB + labels, 7x7
    (1, 8, 8, 12, 12, 3),  # a residual convolution at batch 1
    (2, 6, 9, 5, 3, 1),  # a 1x1 one on a non-square input
])
def test_kernel_gradient_equals_tensorflows(monkeypatch, onednn, batch, height, width, channels, filters,
                                            kernel_size):
    """Axes swapped the wrong way round, or the output gradient taken as the input, give
    another shape or values off by their own size; float32 rounding of the two summation
    orders is ~1e-6 of them."""
    monkeypatch.setattr(kernel_library, "tensorflow_runs_onednn", lambda: onednn)
    rng = np.random.default_rng(4)
    x = tf.constant(rng.normal(size=(batch, height, width, channels)).astype(np.float32))
    shape = (kernel_size, kernel_size, channels, filters)
    dy = tf.constant(rng.normal(size=(batch, height - kernel_size + 1, width - kernel_size + 1, filters))
                     .astype(np.float32))
    want = tf.raw_ops.Conv2DBackpropFilter(input=x, filter_sizes=shape, out_backprop=dy, strides=[1, 1, 1, 1],
                                           padding="VALID")
    assert_same_derivatives([kernel_gradient(x, dy, shape)], [want])


@pytest.mark.parametrize("onednn", [False, True])
@pytest.mark.parametrize("filters, kernel_size, channels, size, use_bias", [
    (16, 7, 7, 11, False),  # StarGAN's input layer (no bias)
    (6, 3, 6, 5, True),  # a residual convolution, odd sizes below
])
def test_swapped_kernel_gradient_conv_equals_conv2d_to_the_second_derivative(monkeypatch, onednn, filters,
                                                                             kernel_size, channels, size, use_bias):
    monkeypatch.setattr(kernel_library, "tensorflow_runs_onednn", lambda: onednn)
    x = tf.constant(np.random.default_rng(1).normal(size=(3, size, size + 2, channels)).astype(np.float32))
    plain, swapped = with_same_weights(keras.layers.Conv2D(filters, kernel_size, use_bias=use_bias),
                                       SwappedKernelGradientConv2D(filters, kernel_size, use_bias=use_bias),
                                       (None, None, None, channels))
    assert_same_derivatives(derivatives(swapped, x), derivatives(plain, x))


def test_swapped_kernel_gradient_conv_compiles_with_xla_and_runs_in_bfloat16(monkeypatch):
    monkeypatch.setattr(kernel_library, "tensorflow_runs_onednn", lambda: False)
    x = tf.constant(np.random.default_rng(3).normal(size=(2, 9, 9, 4)).astype(np.float32))
    assert_same_compiled_gradients(*with_same_weights(keras.layers.Conv2D(5, 3), SwappedKernelGradientConv2D(5, 3),
                                                      (None, 9, 9, 4)), x)


def test_swapped_kernel_gradient_conv_config_round_trip_and_refusals():
    layer = SwappedKernelGradientConv2D(64, 7, use_bias=False, name="c7s1")
    clone = SwappedKernelGradientConv2D.from_config(layer.get_config())
    assert (clone.filters, clone.kernel_size, clone.use_bias, clone.name) == (64, (7, 7), False, "c7s1")
    for wrong in ({"strides": 2}, {"padding": "same"}, {"dilation_rate": 2}):
        with pytest.raises(ValueError, match="strides=1, padding='valid'"):
            SwappedKernelGradientConv2D(3, 3, **wrong)


@pytest.mark.parametrize("onednn", [True, False, None])
def test_conv_block_picks_the_formulation_its_kernels_gain_on(monkeypatch, onednn):
    monkeypatch.setattr(kernel_library, "tensorflow_runs_onednn", lambda: onednn)
    plain = keras.layers.Conv2D if onednn in (True, None) else SwappedKernelGradientConv2D

    def conv_of(channels, filters, strides=1, size=16):
        inputs = keras.Input((size, size, channels))
        model = keras.Model(inputs, conv_block(inputs, filters, 3, name="c", strides=strides, padding=1))
        return type(model.get_layer("c"))

    assert conv_of(64, 3) is NarrowOutputConv2D  # an RGB head
    assert conv_of(8, 2) is NarrowOutputConv2D  # exactly four times fewer
    # Two times fewer (U-GAT-IT's up-sampling): oneDNN's own backward is faster, Eigen's slower;
    # an unknown kernel library gets oneDNN's choice.
    assert conv_of(8, 4) is (keras.layers.Conv2D if onednn in (True, None) else NarrowOutputConv2D)
    # Other stride-1 convolutions: Eigen's kernel gradient is slower than the swapped forward
    # convolution, oneDNN's faster (and an unknown library gets oneDNN's choice).
    assert conv_of(8, 5) is plain
    assert conv_of(3, 64) is plain
    assert conv_of(64, 3, strides=2) is keras.layers.Conv2D
    assert conv_of(64, 3, size=2) is PatchConv2D  # an output of a few pixels stays a matrix product


def test_the_kernel_library_is_known_on_this_build():
    """The choices above follow the kernels TensorFlow runs; a build that stops saying which
    would silently fall back to oneDNN's."""
    assert kernel_library.tensorflow_runs_onednn.__wrapped__() in (True, False)
