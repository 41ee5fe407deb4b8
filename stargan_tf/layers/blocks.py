"""Builders of the papers' named blocks for functional Keras networks.

CycleGAN's appendix names the blocks every generator here is made of: ``c7s1-k`` (7x7
convolution, stride 1, k filters, norm, ReLU), ``dk`` (3x3 or 4x4 stride-2 down-sampling),
``Rk`` (residual block of two 3x3 convolutions) and ``uk`` (up-sampling). The systems differ
only in padding mode, bias, normalisation and initialiser, which are arguments here.

Paddings are explicit layers before a "valid" convolution, so every output pixel sits
exactly where PyTorch puts it (Keras' "same" with stride 2 pads only bottom/right for odd
totals).
"""

import keras

from stargan_tf.layers import kernel_library
from stargan_tf.layers.narrow_output_conv import NarrowOutputConv2D, min_channel_reduction
from stargan_tf.layers.normalization import InstanceNorm
from stargan_tf.layers.padding import ReflectionPadding2D
from stargan_tf.layers.patch_conv import PatchConv2D
from stargan_tf.layers.spectral import SpectralConv2D
from stargan_tf.layers.swapped_kernel_gradient import SwappedKernelGradientConv2D

# A convolution whose output is known to have at most this many pixels is a PatchConv2D
# (2x faster at 4x4 and 4x at 2x2 outputs; equal at 8x8).
PATCH_CONV_MAX_PIXELS = 16


def has_few_output_pixels(x, kernel_size, strides, padding="valid"):
    """Whether a convolution of ``x`` is known to output at most ``PATCH_CONV_MAX_PIXELS``
    pixels (``padding`` as Keras': "valid" or TensorFlow's "same"): then it is a PatchConv2D."""
    height, width = x.shape[1:3]
    if height is None or width is None:
        return False
    if padding == "same":
        rows, columns = -(-height // strides), -(-width // strides)
    else:
        rows, columns = (height - kernel_size) // strides + 1, (width - kernel_size) // strides + 1
    return rows * columns <= PATCH_CONV_MAX_PIXELS


def pad(x, amount, mode="zero"):
    """Pad H and W by ``amount`` on every side: ``"zero"`` or ``"reflect"`` (no-op for 0)."""
    if not amount:
        return x
    if mode == "reflect":
        return ReflectionPadding2D(amount)(x)
    if mode == "zero":
        return keras.layers.ZeroPadding2D(amount)(x)
    raise ValueError(f"padding mode must be 'zero' or 'reflect', got {mode!r}")


def instance_norm(affine=False):
    """A norm factory for the builders: ``name -> InstanceNorm layer`` (epsilon 1e-5)."""
    return lambda name: InstanceNorm(affine=affine, name=name)


def activation_layer(kind, name=None):
    """``"relu"``, ``"tanh"`` (float32 output under mixed precision), ``("leaky_relu", slope)``
    or None."""
    if kind is None:
        return lambda x: x
    if kind == "relu":
        return keras.layers.ReLU(name=name)
    if kind == "tanh":
        return keras.layers.Activation("tanh", dtype="float32", name=name)
    if isinstance(kind, tuple) and kind[0] == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=kind[1], name=name)
    raise ValueError(f"unknown activation {kind!r}")


def new_initializer(factory):
    """``factory()``, or Keras' default initialiser for None."""
    return "glorot_uniform" if factory is None else factory()


def conv_block(x, filters, kernel_size, *, name, strides=1, padding=0, pad_mode="zero", norm=None,
               activation=None, use_bias=True, initializer=None, dtype=None, spectral=False):
    """pad -> Conv2D (valid; ``PatchConv2D`` for an output of a few pixels,
    ``NarrowOutputConv2D`` for a stride-1 one that cuts the channels ``min_channel_reduction()``
    times or more: 4 where TensorFlow runs oneDNN's kernels, 2 where it runs Eigen's; where it
    runs Eigen's, ``SwappedKernelGradientConv2D`` for the other stride-1 ones) -> norm ->
    activation; ``c7s1-k`` is ``conv_block(x, k, 7, padding=3, norm=..., activation="relu")``.

    Args:
        x: NHWC tensor.
        filters, kernel_size, strides: of the convolution, named ``name``.
        padding, pad_mode: pixels padded on every side, ``"zero"`` or ``"reflect"``.
        norm: factory ``layer name -> callable`` (``instance_norm(...)``, AdaLIN with its
            gamma/beta bound, ...) or None.
        activation: see ``activation_layer``.
        use_bias: of the convolution.
        initializer: a function returning a new kernel initialiser (``initializers.torch_default``),
            called once per layer: a Keras initialiser object reused across layers would give
            every layer the same weights (it holds a fixed seed). None: Keras' default.
        dtype: the convolution's dtype policy (``"float32"`` for output heads).
        spectral: a spectrally normalised convolution (``SpectralConv2D``).
    """
    x = pad(x, padding, pad_mode)
    if spectral:
        x = SpectralConv2D(filters, kernel_size, strides=strides, use_bias=use_bias,
                           kernel_initializer=new_initializer(initializer), dtype=dtype, name=name)(x)
    else:
        if has_few_output_pixels(x, kernel_size, strides):
            conv = PatchConv2D
        elif strides == 1 and filters * min_channel_reduction() <= x.shape[-1]:
            conv = NarrowOutputConv2D
        elif strides == 1 and kernel_library.runs_eigen():
            conv = SwappedKernelGradientConv2D
        else:
            conv = keras.layers.Conv2D
        x = conv(filters, kernel_size, strides=strides, padding="valid", use_bias=use_bias,
                 kernel_initializer=new_initializer(initializer), dtype=dtype, name=name)(x)
    if norm is not None:
        x = norm(f"{name}_norm")(x)
    return activation_layer(activation)(x)


def residual_block(x, filters, *, name, pad_mode="reflect", norm=None, use_bias=False, initializer=None):
    """``Rk`` (He et al. 2016, in Johnson et al.'s generator): ``x + F(x)`` with
    ``F = [pad 1, conv3x3, norm, ReLU, pad 1, conv3x3, norm]``; no activation after the sum,
    as in every reference code. The convolutions are ``<name>_conv1`` / ``<name>_conv2``."""
    y = conv_block(x, filters, 3, name=f"{name}_conv1", padding=1, pad_mode=pad_mode, norm=norm,
                   activation="relu", use_bias=use_bias, initializer=initializer)
    y = conv_block(y, filters, 3, name=f"{name}_conv2", padding=1, pad_mode=pad_mode, norm=norm,
                   use_bias=use_bias, initializer=initializer)
    return keras.layers.Add(name=f"{name}_add")([x, y])


def transposed_conv_block(x, filters, *, name, norm=None, activation=None, use_bias=True, initializer=None):
    """``uk`` as PyTorch's ``ConvTranspose2d(k3, s2, padding=1, output_padding=1)`` (CycleGAN's
    and DRIT's up-sampling) -> norm -> activation: the full (2S + 1) transposed output
    cropped by one pixel at the top and left, so every output pixel sits where PyTorch puts
    it (the convolution is ``name``, its norm ``<name>_norm``)."""
    x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="valid", use_bias=use_bias,
                                     kernel_initializer=new_initializer(initializer), name=name)(x)
    x = keras.layers.Cropping2D(((1, 0), (1, 0)))(x)
    if norm is not None:
        x = norm(f"{name}_norm")(x)
    return activation_layer(activation)(x)
