"""Image grids: rows are examples, columns are the input then each translation (paper Fig. 4),
under a header naming each column."""

import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from stargan_tf.export.images import to_pixels
from stargan_tf.training.run_dir import write_error


def grid(columns):
    """Tile ``[Column]`` (images [B,H,W,3] in [-1,1], the same height; joint images may be
    wider) into one uint8 image, one row per example, with the column names in a white band
    on top (written upright when they fit the column, else turned to read upwards)."""
    arrays = [to_pixels(column.images) for column in columns]
    rows = [np.concatenate([column[i] for column in arrays], axis=1) for i in range(arrays[0].shape[0])]
    header = column_header([column.name for column in columns], [array.shape[2] for array in arrays])
    return np.concatenate([header] + rows, axis=0)


def column_header(names, widths):
    """A uint8 white band ``[h, sum(widths), 3]`` with each name over its column."""
    font = ImageFont.load_default()
    line = font.getbbox("Ag")[3] + 2
    lengths = [int(np.ceil(font.getlength(name))) for name in names]
    upright = all(length <= width - 2 for length, width in zip(lengths, widths))
    band = Image.new("RGB", (sum(widths), line + 2 if upright else max(lengths) + 4), "white")
    for name, width, left in zip(names, widths, np.cumsum([0] + list(widths[:-1]))):
        label = Image.new("RGB", (int(np.ceil(font.getlength(name))) + 1, line), "white")
        ImageDraw.Draw(label).text((0, 0), name, fill="black", font=font)
        if upright:
            band.paste(label, (int(left) + 1, 1))
        else:
            label = label.rotate(90, expand=True)
            band.paste(label, (int(left) + max(0, (width - label.width) // 2), band.height - label.height - 2))
    return np.asarray(band)


def save_png(image_uint8, path):
    """Write a uint8 HxWx3 image, creating folders; written to a temporary name and renamed
    so a reader never sees half a file."""
    temporary = path + ".tmp"
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        Image.fromarray(image_uint8).save(temporary, format="PNG")
        os.replace(temporary, path)
    except OSError as error:
        raise write_error(path, error) from error
    return path
