"""Normalisation layers matched to their PyTorch counterparts (epsilon 1e-5)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="stargan_tf")
class InstanceNorm(keras.layers.Layer):
    """Instance normalisation (Ulyanov et al. 2016), optionally with affine gamma/beta.

    y = gamma * (x - mean_hw(x)) / sqrt(var_hw(x) + eps) + beta, with the statistics taken
    per sample and per channel over the spatial axes, always (there are no running
    statistics: StarGAN's generator is never put in eval mode, see SPEC.md). The variance
    is the biased one (divide by N), as in PyTorch's ``InstanceNorm2d``.

    Args:
        epsilon: added to the variance; 1e-5 as in PyTorch (Keras' default 1e-3 differs).
        affine: learn a per-channel scale ``gamma`` (init 1) and shift ``beta`` (init 0).

    Call arguments:
        inputs: NHWC tensor.
    """

    def __init__(self, epsilon=1e-5, affine=True, **kwargs):
        # Statistics and the affine transform are computed in float32 under a mixed policy:
        # without this, Keras autocasts gamma/beta to float16 inside ``call`` and
        # float32 * float16 fails.
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.epsilon = epsilon
        self.affine = affine

    def build(self, input_shape):
        channels = input_shape[-1]
        if self.affine:
            self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
            self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
        normalised = (x - mean) * ops.rsqrt(variance + self.epsilon)
        if self.affine:
            normalised = normalised * self.gamma + self.beta
        return ops.cast(normalised, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "affine": self.affine}
