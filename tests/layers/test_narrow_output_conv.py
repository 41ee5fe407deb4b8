"""NarrowOutputConv2D against Conv2D: outputs, both gradients and the second derivative (a
gradient penalty's) with either kernel library's kernel gradient, its config and refusals
(where ``conv_block`` uses it: test_swapped_kernel_gradient.py)."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.layers import kernel_library
from stargan_tf.layers.narrow_output_conv import NarrowOutputConv2D

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twins import (  # noqa: E402
    assert_same_compiled_gradients, assert_same_derivatives, derivatives, with_same_weights)


def twins(filters, kernel_size, channels, use_bias=True):
    """A Conv2D and a NarrowOutputConv2D with the same random weights (bias included)."""
    return with_same_weights(keras.layers.Conv2D(filters, kernel_size, use_bias=use_bias),
                             NarrowOutputConv2D(filters, kernel_size, use_bias=use_bias), (None, None, None, channels))


@pytest.mark.parametrize("onednn", [False, True])
@pytest.mark.parametrize("filters, kernel_size, channels, size, use_bias", [
    (3, 7, 16, 11, False),  # a generator's RGB head (no bias: StarGAN)
    (1, 4, 12, 7, True),  # a PatchGAN's logit map
    (2, 3, 9, 5, True),  # an odd kernel on a non-square input below
    (1, 1, 8, 4, True),  # a 1x1 head (DRIT's logits)
])
def test_narrow_output_conv_equals_conv2d_to_the_second_derivative(monkeypatch, onednn, filters, kernel_size, channels,
                                                                   size, use_bias):
    """A mistake in the swapped convolutions (a kernel not flipped, axes not transposed, the
    padding off by one) moves every gradient by its own size; float32 rounding of the two
    summation orders is ~1e-6 of it. ``onednn``: the kernel gradient each library gets."""
    monkeypatch.setattr(kernel_library, "tensorflow_runs_onednn", lambda: onednn)
    x = tf.constant(np.random.default_rng(1).normal(size=(3, size, size + 2, channels)).astype(np.float32))
    plain, narrow = twins(filters, kernel_size, channels, use_bias)
    assert_same_derivatives(derivatives(narrow, x), derivatives(plain, x))


def test_narrow_output_conv_compiles_with_xla_and_runs_in_bfloat16():
    x = tf.constant(np.random.default_rng(3).normal(size=(2, 9, 9, 8)).astype(np.float32))
    assert_same_compiled_gradients(*twins(2, 3, 8), x)


def test_narrow_output_conv_config_round_trip_and_refusals():
    layer = NarrowOutputConv2D(3, 7, use_bias=False, name="to_rgb")
    clone = NarrowOutputConv2D.from_config(layer.get_config())
    assert (clone.filters, clone.kernel_size, clone.use_bias, clone.name) == (3, (7, 7), False, "to_rgb")
    for wrong in ({"strides": 2}, {"padding": "same"}, {"dilation_rate": 2}):
        with pytest.raises(ValueError, match="strides=1, padding='valid'"):
            NarrowOutputConv2D(3, 3, **wrong)
