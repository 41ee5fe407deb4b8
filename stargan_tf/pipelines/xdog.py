"""XDoG sketches (Winnemöller, Kyprianidis, Olsen, "XDoG: an eXtended difference-of-Gaussians
compendium", Computers & Graphics 36(6), 2012), in TensorFlow ops only, so the same function
runs in a tf.data pipeline, in test mode and inside an exported SavedModel.

On a greyscale image ``x`` in [0, 1] (RGB is first reduced to ITU-R BT.601 luma):

    D(x) = G_sigma(x) - tau * G_{k sigma}(x)                       (Eq. 5, the DoG)
    T(u) = 1 if u >= epsilon, else 1 + tanh(phi * (u - epsilon))   (Eq. 6, the soft threshold)

The sketch ``T(D(x))`` is white paper (1) with dark lines where the DoG falls below
``epsilon``. ``G_s`` is a separable Gaussian blur of standard deviation ``s``, truncated at 3
standard deviations, the image extended by mirroring at its border (SciPy's "reflect"). The
defaults are those of the public XDoG code (sigma 0.8, k 1.6, tau 0.98, phi 200, epsilon
-0.1).
"""

import dataclasses
import math

import tensorflow as tf

LUMA = (0.299, 0.587, 0.114)


@dataclasses.dataclass(frozen=True)
class XDoGParameters:
    """The five XDoG parameters (flag names ``--xdog_<name>``)."""

    sigma: float = 0.8
    k: float = 1.6
    tau: float = 0.98
    phi: float = 200.0
    epsilon: float = -0.1


def gaussian_kernel(sigma):
    """The normalised 1-D Gaussian of standard deviation ``sigma``, radius ceil(3 sigma)."""
    radius = max(1, math.ceil(3.0 * sigma))
    offsets = tf.range(-radius, radius + 1, dtype=tf.float32)
    weights = tf.exp(-0.5 * tf.square(offsets / sigma))
    return weights / tf.reduce_sum(weights), radius


def gaussian_blur(images, sigma):
    """``images`` [B, H, W, 1] blurred by a Gaussian of standard deviation ``sigma`` (rows,
    then columns), the border mirrored (``SYMMETRIC``: d c b a | a b c d)."""
    kernel, radius = gaussian_kernel(sigma)
    padded = tf.pad(images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="SYMMETRIC")
    rows = tf.nn.conv2d(padded, tf.reshape(kernel, [-1, 1, 1, 1]), strides=1, padding="VALID")
    return tf.nn.conv2d(rows, tf.reshape(kernel, [1, -1, 1, 1]), strides=1, padding="VALID")


def to_gray(images):
    """[B, H, W, 3] RGB (or [B, H, W, 1]) in [0, 1] -> [B, H, W, 1] luma."""
    images = tf.convert_to_tensor(images, tf.float32)
    if images.shape[-1] == 1:
        return images
    return tf.reduce_sum(images * tf.constant(LUMA, tf.float32), axis=-1, keepdims=True)


def xdog(images, parameters=XDoGParameters()):
    """The XDoG sketch of ``images`` ([B, H, W, 3] or [B, H, W, 1] in [0, 1]): float32
    [B, H, W, 1] in [0, 1], 1 where there is no line."""
    gray = to_gray(images)
    p = parameters
    difference = gaussian_blur(gray, p.sigma) - p.tau * gaussian_blur(gray, p.k * p.sigma)
    return tf.where(difference >= p.epsilon, tf.ones_like(difference), 1.0 + tf.tanh(p.phi * (difference - p.epsilon)))
