"""Custom Keras layers shared by the networks of every system."""

from stargan_tf.layers.adalin import AdaLIN, LayerInstanceNorm, UnitIntervalClip, clip_rho
from stargan_tf.layers.attention import CAMAttention
from stargan_tf.layers.normalization import InstanceNorm
from stargan_tf.layers.padding import ReflectionPadding2D
from stargan_tf.layers.residual import ResidualBlock

__all__ = [
    "AdaLIN",
    "CAMAttention",
    "InstanceNorm",
    "LayerInstanceNorm",
    "ReflectionPadding2D",
    "ResidualBlock",
    "UnitIntervalClip",
    "clip_rho",
]
