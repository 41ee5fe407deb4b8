"""Image grids: rows are examples, columns are the input then each translation (paper Fig. 4)."""

import os

import numpy as np
from PIL import Image


def to_uint8(images):
    """[-1, 1] float images to uint8."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def grid(columns):
    """Tile ``[Column]`` (images [B,H,W,3] in [-1,1]) into one uint8 image, one row per example."""
    arrays = [to_uint8(column.images) for column in columns]
    rows = [np.concatenate([column[i] for column in arrays], axis=1) for i in range(arrays[0].shape[0])]
    return np.concatenate(rows, axis=0)


def save_png(image_uint8, path):
    """Write a uint8 HxWx3 image, creating folders; written to a temporary name and renamed
    so a reader never sees half a file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = path + ".tmp"
    Image.fromarray(image_uint8).save(temporary, format="PNG")
    os.replace(temporary, path)
    return path
