"""Turning attention maps and masks into pictures for sample grids, test mode and serving."""

import tensorflow as tf


def normalise_heatmap(heatmap, size):
    """``[B, h, w, 1]`` attention map -> ``[B, size, size, 1]`` in [0, 1]: min-max per
    example, then bilinear resize (the official U-GAT-IT test mode's ``cam()``)."""
    heatmap = tf.cast(heatmap, tf.float32)
    heatmap -= tf.reduce_min(heatmap, axis=[1, 2, 3], keepdims=True)
    heatmap /= tf.reduce_max(heatmap, axis=[1, 2, 3], keepdims=True) + 1e-8
    return tf.image.resize(heatmap, (size, size), method="bilinear")


def heatmap_to_rgb(unit_map):
    """``[B, H, W, 1]`` in [0, 1] -> jet-coloured ``[B, H, W, 3]`` in [-1, 1] (OpenCV's
    COLORMAP_JET, as the official test mode renders CAMs): cold blue to hot red."""
    red = tf.clip_by_value(1.5 - tf.abs(4.0 * unit_map - 3.0), 0.0, 1.0)
    green = tf.clip_by_value(1.5 - tf.abs(4.0 * unit_map - 2.0), 0.0, 1.0)
    blue = tf.clip_by_value(1.5 - tf.abs(4.0 * unit_map - 1.0), 0.0, 1.0)
    return tf.concat([red, green, blue], axis=-1) * 2.0 - 1.0
