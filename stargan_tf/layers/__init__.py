"""Custom Keras layers shared by the networks of every system."""

from stargan_tf.layers.normalization import InstanceNorm
from stargan_tf.layers.residual import ResidualBlock

__all__ = ["InstanceNorm", "ResidualBlock"]
