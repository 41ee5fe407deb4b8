"""Image files <-> model arrays, without TensorFlow (used by the REST client and the
TFLite runner, which must run where TensorFlow is not installed).

The preprocessing mirrors the ``*_bytes`` serving signatures: decode to 3 channels (alpha
dropped, grayscale replicated, first frame of an animation), resize to the model size with
an antialiased bilinear (triangle) filter on float pixels, then scale to [-1, 1]. PIL's
``BILINEAR`` on a float (mode ``F``) image is the same filter as
``tf.image.resize(..., "bilinear", antialias=True)``; the two agree to float rounding, so
only JPEG decoder differences (libjpeg settings) separate client- from server-side inputs.
"""

import io

import numpy as np
from PIL import Image


def decode_rgb(data):
    """Encoded image bytes (JPEG, PNG, GIF, BMP; any mode) -> uint8 ``[h, w, 3]``."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def resize(pixels, size):
    """uint8 or float ``[h, w, 3]`` -> float32 ``[H, W, 3]`` in the input's value range.

    ``size`` is (height, width). Each channel is resized as a float image so no rounding
    to 8 bits happens between decoding and the model.
    """
    height, width = size
    pixels = np.asarray(pixels, dtype=np.float32)
    if pixels.shape[:2] == (height, width):
        return pixels
    channels = [
        np.asarray(Image.fromarray(pixels[:, :, c]).resize((width, height), Image.BILINEAR))
        for c in range(pixels.shape[2])
    ]
    return np.stack(channels, axis=-1).astype(np.float32)


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
    """uint8 ``[h, w, 3]`` (RGB PNG) or ``[h, w, 1]`` (grayscale PNG) -> PNG bytes."""
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
    return decode_rgb(data)


def load_image(path_or_bytes, size):
    """An image file (path or bytes) -> float32 ``[H, W, 3]`` in [-1, 1] at ``size``."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        data = bytes(path_or_bytes)
    else:
        with open(path_or_bytes, "rb") as f:
            data = f.read()
    return to_model_range(resize(decode_rgb(data), size))


def parse_vector(text):
    """``"1,0,1"`` -> float32 ``[3]`` (the command-line form of a condition vector)."""
    try:
        return np.asarray([float(v) for v in text.split(",") if v.strip()], dtype=np.float32)
    except ValueError as error:
        raise ValueError(f"expected comma-separated numbers like 1,0,1, got {text!r}") from error
