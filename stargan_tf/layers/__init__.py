"""Custom Keras layers and block builders shared by the networks of every system."""

from stargan_tf.layers.adalin import AdaLIN, LayerInstanceNorm, UnitIntervalClip, clip_rho
from stargan_tf.layers.attention import CAMAttention
from stargan_tf.layers.conditioning import TiledConcat
from stargan_tf.layers.narrow_output_conv import NarrowOutputConv2D
from stargan_tf.layers.normalization import InstanceNorm, LayerNorm2D
from stargan_tf.layers.padding import ReflectionPadding2D
from stargan_tf.layers.patch_conv import PatchConv2D
from stargan_tf.layers.pooling import AveragePoolingExcludingPadding
from stargan_tf.layers.spectral import SpectralConv2D
from stargan_tf.layers.swapped_kernel_gradient import SwappedKernelGradientConv2D
from stargan_tf.layers.upsampling import NearestUpsampling2D

__all__ = [
    "AdaLIN",
    "AveragePoolingExcludingPadding",
    "CAMAttention",
    "InstanceNorm",
    "LayerInstanceNorm",
    "LayerNorm2D",
    "NarrowOutputConv2D",
    "NearestUpsampling2D",
    "PatchConv2D",
    "ReflectionPadding2D",
    "SpectralConv2D",
    "SwappedKernelGradientConv2D",
    "TiledConcat",
    "UnitIntervalClip",
    "clip_rho",
]
