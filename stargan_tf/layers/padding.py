"""Reflection padding, the border mode of every U-GAT-IT and CycleGAN ResNet convolution."""

import keras
from keras import ops


def _normalise_padding(padding):
    """int p -> ((p, p), (p, p)); (ph, pw) -> ((ph, ph), (pw, pw)); pairs are kept."""
    if isinstance(padding, int):
        return ((padding, padding), (padding, padding))
    padding = tuple(padding)
    if len(padding) != 2:
        raise ValueError(f"padding must be an int or two entries (height, width), got {padding}")
    result = []
    for entry in padding:
        if isinstance(entry, int):
            result.append((entry, entry))
        else:
            entry = tuple(int(v) for v in entry)
            if len(entry) != 2:
                raise ValueError(f"each padding entry must be an int or a pair, got {entry}")
            result.append(entry)
    return tuple(result)


@keras.saving.register_keras_serializable(package="stargan_tf")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads the spatial axes of an NHWC tensor by mirroring it, without repeating the edge.

    Equivalent to PyTorch's ``nn.ReflectionPad2d`` (and ``tf.pad(mode="REFLECT")``): the
    row at distance ``k`` outside the border equals the row at distance ``k`` inside it, so
    each padding amount must be smaller than the corresponding spatial size.

    Args:
        padding: int (same on all four sides), ``(ph, pw)`` or
            ``((top, bottom), (left, right))``.

    Call arguments:
        inputs: NHWC tensor.

    Reference:
        Johnson et al. 2016, "Perceptual losses", supplementary (reflection padding in the
        residual generator used by CycleGAN and U-GAT-IT).
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _normalise_padding(padding)

    def call(self, inputs):
        (top, bottom), (left, right) = self.padding
        return ops.pad(inputs, [[0, 0], [top, bottom], [left, right], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        (top, bottom), (left, right) = self.padding
        batch, height, width, channels = input_shape
        height = None if height is None else height + top + bottom
        width = None if width is None else width + left + right
        return (batch, height, width, channels)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
