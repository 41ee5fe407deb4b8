"""Model arrays <-> PNG bytes and command-line vectors, without TensorFlow (used by the REST
client and the TFLite runner, which must run where TensorFlow is not installed). Reading a
user's image file into the model's input is ``preprocess.py``.
"""

import io

import numpy as np
from PIL import Image


def to_model_range(pixels):
    """Pixels in [0, 255] -> float32 in [-1, 1]."""
    return np.asarray(pixels, dtype=np.float32) / 127.5 - 1.0


def to_pixels(images):
    """Model output in [-1, 1] -> uint8, rounded as the ``*_bytes`` signatures round."""
    images = np.asarray(images, dtype=np.float32)
    return np.round(np.clip((images + 1.0) * 127.5, 0.0, 255.0)).astype(np.uint8)


def output_pixels(values):
    """A float output -> uint8 levels as its ``*_bytes`` PNG holds them, by channel count:
    ``[..., 3]`` is an IMAGE in [-1, 1], ``[..., 1]`` a MASK in [0, 1] (round(mask * 255))."""
    values = np.asarray(values, dtype=np.float32)
    if values.shape[-1] == 1:
        return np.round(np.clip(values * 255.0, 0.0, 255.0)).astype(np.uint8)
    return to_pixels(values)


def encode_png(pixels):
    """uint8 ``[h, w, 3]`` (RGB PNG), ``[h, w, 4]`` (RGBA) or ``[h, w, 1]`` (grayscale) -> PNG bytes."""
    pixels = np.asarray(pixels, dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_output(data):
    """A ``*_bytes`` output PNG -> uint8 ``[h, w, 3]`` (IMAGE outputs, RGB) or ``[h, w, 1]``
    (MASK outputs, written as 8-bit grayscale)."""
    with Image.open(io.BytesIO(data)) as image:
        if image.mode == "L":
            return np.asarray(image, dtype=np.uint8)[..., None]
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def parse_vector(text):
    """``"1,0,1"`` -> float32 ``[3]`` (the command-line form of a condition vector)."""
    try:
        return np.asarray([float(v) for v in text.split(",") if v.strip()], dtype=np.float32)
    except ValueError as error:
        raise ValueError(f"expected comma-separated numbers like 1,0,1, got {text!r}") from error
