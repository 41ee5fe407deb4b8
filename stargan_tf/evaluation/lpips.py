"""LPIPS (Zhang et al., "The Unreasonable Effectiveness of Deep Features as a Perceptual
Metric", CVPR 2018; the ``lpips`` package, v0.1, AlexNet): the distance the DRIT paper's
diversity is measured with, from the user's weight files (nothing is downloaded).

d(x, y) = sum over AlexNet's five ReLU outputs l of the spatial mean of
w_l . (f_l(x) / |f_l(x)| - f_l(y) / |f_l(y)|)^2, the features normalised over channels and
the inputs first shifted and scaled as the package's ``ScalingLayer`` does.

Weights: the linear layers (``lin0.model.1.weight`` ... ``lin4``: the package's
``weights/v0.1/alex.pth``) and the AlexNet backbone (``features.*``: torchvision's
``alexnet-owt-7be5be79.pth``, which the package downloads), two PyTorch files read with
``porting.torch_files`` (or one file holding both).
"""

import keras
import numpy as np
import tensorflow as tf

from stargan_tf.errors import UserError
from stargan_tf.porting.layout import Entry, check_and_assign
from stargan_tf.porting.torch_files import read_torch_file

SHIFT = np.array([-0.030, -0.088, -0.188], np.float32)
SCALE = np.array([0.458, 0.448, 0.450], np.float32)
EPSILON = 1e-10  # lpips.normalize_tensor's
# torchvision's AlexNet ``features``: (index in the Sequential, kernel, stride, padding, max
# pool before it), each followed by a ReLU whose output LPIPS compares; the channels (64,
# 192, 384, 256, 256) are read from the weights.
ALEXNET = ((0, 11, 4, 2, False), (3, 5, 1, 2, True), (6, 3, 1, 1, True), (8, 3, 1, 1, False), (10, 3, 1, 1, False))
LPIPS_PACKAGE = "https://github.com/richzhang/PerceptualSimilarity (lpips/weights/v0.1/alex.pth)"
ALEXNET_FILE = "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth"


def alexnet_features(channels):
    """AlexNet's convolutional part (Krizhevsky et al. 2012, torchvision's layout) with
    ``channels`` per convolution and the five ReLU outputs as outputs."""
    images = keras.Input((None, None, 3))
    x, taps = images, []
    for (index, kernel, stride, padding, pool), width in zip(ALEXNET, channels):
        if pool:
            x = keras.layers.MaxPooling2D(3, strides=2)(x)
        x = keras.layers.ZeroPadding2D(padding)(x)
        x = keras.layers.Conv2D(width, kernel, strides=stride, activation="relu", name=f"conv{index}")(x)
        taps.append(x)
    return keras.Model(images, taps, name="alexnet")


class LPIPS:
    """The LPIPS distance of image pairs; ``paths``: the weight files (see the module)."""

    name = "lpips_alex_v0.1"

    def __init__(self, paths):
        state = {}
        for path in paths:
            state.update(read_torch_file(path))
        lins = [state.get(f"lin{layer}.model.1.weight") for layer in range(len(ALEXNET))]
        if any(weight is None for weight in lins) or any(f"features.{i}.bias" not in state for i, *_ in ALEXNET):
            raise UserError(
                f"--lpips_weights {', '.join(paths)}: LPIPS needs its linear layers (lin0..lin4, the file "
                f"{LPIPS_PACKAGE}) and the AlexNet backbone (features.*, {ALEXNET_FILE}); give both files, "
                "comma-separated.")
        self.features = alexnet_features([len(state[f"features.{index}.bias"]) for index, *_ in ALEXNET])
        entries = [e for index, *_ in ALEXNET for e in (Entry(f"conv{index}/kernel", f"features.{index}.weight",
                                                              "kernel"),
                                                        Entry(f"conv{index}/bias", f"features.{index}.bias"))]
        backbone = {key: value for key, value in state.items() if key.startswith("features.")}
        check_and_assign(self.features, backbone, entries, " + ".join(paths))
        self.weights = [tf.constant(np.reshape(weight, (-1,)), tf.float32) for weight in lins]
        self._distance = tf.function(self._forward, reduce_retracing=True, autograph=False)

    def _forward(self, a, b):
        taps = [self.features((images - SHIFT) / SCALE, training=False) for images in (a, b)]
        total = 0.0
        for weight, x, y in zip(self.weights, *taps):
            x = x / (tf.sqrt(tf.reduce_sum(x * x, axis=-1, keepdims=True)) + EPSILON)
            y = y / (tf.sqrt(tf.reduce_sum(y * y, axis=-1, keepdims=True)) + EPSILON)
            total += tf.reduce_mean(tf.reduce_sum(tf.square(x - y) * weight, axis=-1), axis=[1, 2])
        return total

    def distance(self, a, b, batch_size=32):
        """``[N]`` LPIPS of image pairs ``a[i]``, ``b[i]`` (float ``[N, H, W, 3]`` in [-1, 1])."""
        return np.concatenate([self._distance(tf.constant(a[i:i + batch_size], tf.float32),
                                              tf.constant(b[i:i + batch_size], tf.float32)).numpy()
                               for i in range(0, len(a), batch_size)])
