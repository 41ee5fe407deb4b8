"""Nearest-neighbour up-sampling that works on every path we ship."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="stargan_tf")
class NearestUpsampling2D(keras.layers.Layer):
    """x2 nearest-neighbour up-sampling (PyTorch ``nn.Upsample(scale_factor=2)``), written
    as each pixel stacked twice along W, then each row twice along H.

    Neither alternative fits every path: ``keras.layers.UpSampling2D`` loses the height in a
    dynamic-batch SavedModel and then needs TFLite Flex ops; ``resize(nearest)`` has a
    gradient XLA cannot compile (``ResizeNearestNeighborGrad``). Stack + reshape lowers to
    PACK/RESHAPE in TFLite and differentiates anywhere.

    Call arguments:
        inputs: NHWC tensor.
    """

    def call(self, inputs):
        _, height, width, channels = ops.shape(inputs)
        x = ops.reshape(ops.stack([inputs, inputs], axis=3), (-1, height, width * 2, channels))
        return ops.reshape(ops.stack([x, x], axis=2), (-1, height * 2, width * 2, channels))

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, None if height is None else 2 * height, None if width is None else 2 * width, channels)
