"""Normalisation layers matched to their PyTorch counterparts (epsilon 1e-5)."""

import keras
import tensorflow as tf
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
        training: with a static batch size, each example goes through TensorFlow's fused
            batch-norm kernel in training mode, whose statistics over one example are instance
            norm's: the same values, and a gradient that is one kernel instead of the
            formula's dozen element-wise ops (forward and backward 2.3 to 4 times faster at
            StarGAN's and CycleGAN's sizes). Otherwise, and in exported graphs, the formula
            (it converts to every TFLite path).
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

    def call(self, inputs, training=None):
        x = ops.cast(inputs, "float32")
        if training and x.shape[0] is not None:
            return ops.cast(self._fused(x), inputs.dtype)
        mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
        normalised = (x - mean) * ops.rsqrt(variance + self.epsilon)
        if self.affine:
            normalised = normalised * self.gamma + self.beta
        return ops.cast(normalised, inputs.dtype)

    def _fused(self, x):
        channels = x.shape[-1]
        scale, offset = (self.gamma, self.beta) if self.affine else (tf.ones([channels]), tf.zeros([channels]))
        empty = tf.constant([], tf.float32)  # no running statistics
        # The raw op: tf.compat.v1.nn.fused_batch_norm raises epsilon to cuDNN's 1.001e-5.
        outputs = [tf.raw_ops.FusedBatchNormV3(x=example, scale=scale, offset=offset, mean=empty, variance=empty,
                                               epsilon=self.epsilon, data_format="NHWC", is_training=True)[0]
                   for example in tf.split(x, x.shape[0], axis=0)]
        return tf.concat(outputs, axis=0)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "affine": self.affine}


@keras.saving.register_keras_serializable(package="stargan_tf")
class LayerNorm2D(keras.layers.Layer):
    """Layer normalisation of each example over all of (H, W, C), with a per-channel
    affine gamma/beta: the ``LayerNorm`` of MUNIT's and DRIT's decoders (DRIT
    ``networks.py``: ``F.layer_norm`` over ``x.size()[1:]``, weight and bias of shape
    [C, 1, 1] broadcast over the map), unlike Keras' ``LayerNormalization``, whose affine
    parameters have the shape of the normalised axes.

    y = gamma_c * (x - mean_hwc(x)) / sqrt(var_hwc(x) + eps) + beta_c, biased variance.

    Args:
        epsilon: 1e-5, as the reference.
    """

    def __init__(self, epsilon=1e-5, **kwargs):
        kwargs.setdefault("autocast", False)  # statistics in float32 under a mixed policy
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        mean, variance = ops.moments(x, axes=[1, 2, 3], keepdims=True)
        normalised = (x - mean) * ops.rsqrt(variance + self.epsilon) * self.gamma + self.beta
        return ops.cast(normalised, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
