"""A user's image file -> the model's input, without TensorFlow: the one preprocessing of test
mode, the REST client and ``predict_tflite`` (``preprocess_graph.py`` is the same steps inside
the ``*_bytes`` serving signatures; a test holds the two to float rounding):

1. decode the first frame (JPEG, PNG, GIF, BMP; also WEBP when Pillow has it), upright as its
   EXIF orientation says; 16-bit samples keep their high byte, as ``tf.io.decode_image(dtype=
   uint8)`` does in training; JPEG with libjpeg's accurate integer IDCT (what Pillow uses, and
   ``dct_method="INTEGER_ACCURATE"`` in the graph: the same 8-bit pixels);
2. alpha (RGBA, LA, PNG/GIF palette or colour-key transparency) composited on white, in float;
   a BMP's fourth byte is padding in most 32-bit files, so BMPs are read without alpha;
3. centre crop to the model's aspect ratio (``crop_box``; square models: the centred square);
4. resize to the model's size with an antialiased bilinear (triangle) filter on float pixels
   (PIL's ``BILINEAR`` on mode ``F`` = ``tf.image.resize(..., "bilinear", antialias=True)``);
   a model with a ``load_size`` (DRIT, as its official test loader: resize to 256, centre crop
   216) is resized to that size, then centre-cropped to its own (``centre_offsets``), so test
   images are framed as its training crops were;
5. scale to [-1, 1].

The serving graph cannot read EXIF, WEBP, or GIF transparency (TensorFlow's GIF decoder paints
transparent pixels black), so ``serving_bytes`` gives the client an upright PNG for such files.
"""

import contextlib
import io
import os
import warnings
from collections import Counter

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError, features

from stargan_tf.export import images

# What TensorFlow decodes (training, and the *_bytes signatures' graph).
TF_FORMATS = ("JPEG", "PNG", "GIF", "BMP")
# What the PIL paths read: TF's formats and WEBP where this Pillow was built with libwebp.
# (TF 2.21 decodes still WebP but corrupts memory on animated WebP, so the graph refuses WebP.)
FORMATS = TF_FORMATS + (("WEBP",) if features.check("webp") else ())
_SIXTEEN_BIT_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")


class ImageFileError(ValueError):
    """A file that cannot be used as an image; the message names the file and why."""


def crop_box(height, width, size, minimum=min, maximum=max):
    """(top, left, crop height, crop width) of the centred crop of an ``height`` x ``width``
    image to the aspect ratio of ``size`` = (H, W). Integer arithmetic only, so the graph runs
    this very function on int64 tensors (with ``tf.minimum`` / ``tf.maximum``)."""
    target_height, target_width = size
    crop_height = maximum(minimum(height, width * target_height // target_width), 1)
    crop_width = maximum(minimum(width, height * target_width // target_height), 1)
    return (height - crop_height) // 2, (width - crop_width) // 2, crop_height, crop_width


def centre_offsets(load_size, size):
    """(top, left) of the centred ``size`` = (H, W) window in a ``load_size`` image: torchvision's
    ``CenterCrop`` rule, ``round((load - size) / 2)`` with halves to even (Python's and
    ``tf.round``'s rounding), so a model keeps the framing its official test loader gives."""
    if any(load < crop for load, crop in zip(load_size, size)):
        raise ValueError(f"load_size {tuple(load_size)} is smaller than the model's size {tuple(size)}")
    return tuple(int(round((load - crop) / 2)) for load, crop in zip(load_size, size))


@contextlib.contextmanager
def _opened(source, max_pixels):
    """PIL image of ``source`` (a path, or ``(name, bytes)``), size checked against
    ``max_pixels`` from the header before any pixel is decoded; errors name the file."""
    name, data = source if isinstance(source, tuple) else (os.fspath(source), None)
    try:
        with warnings.catch_warnings():
            if max_pixels is not None:  # our own limit, checked below, is the lower one
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data) if data is not None else name)
    except FileNotFoundError as error:
        raise ImageFileError(f"{name}: no such file") from error
    except UnidentifiedImageError as error:
        raise ImageFileError(f"{name}: not an image file Pillow can identify") from error
    except Image.DecompressionBombError as error:
        raise ImageFileError(f"{name}: too many pixels ({error})") from error
    except OSError as error:
        raise ImageFileError(f"{name}: cannot read it ({error})") from error
    with image:
        if image.format not in FORMATS:
            raise ImageFileError(f"{name}: format {image.format} is not supported (use {', '.join(FORMATS)})")
        width, height = image.size
        if max_pixels is not None and width * height > max_pixels:
            raise ImageFileError(f"{name}: {width}x{height} = {width * height:,} pixels, above the limit of "
                                 f"{max_pixels:,} pixels; scale it down first")
        try:
            image.load()  # the first frame of an animation
        except Exception as error:  # Pillow raises many types for corrupt data; all mean unusable
            raise ImageFileError(f"{name}: cannot decode it ({type(error).__name__}: {error})") from error
        yield image


def rgba_of(image):
    """A PIL image -> uint8 [h, w, 4], upright (EXIF), 16-bit samples >> 8 (step 1 after decoding)."""
    image_format = image.format
    image = ImageOps.exif_transpose(image)
    if image.mode in _SIXTEEN_BIT_MODES:
        samples = np.asarray(image).astype(np.int64)
        key = image.info.get("transparency")
        alpha = np.where(samples == key, 0, 255) if isinstance(key, int) else np.full(samples.shape, 255)
        grey = samples >> 8
        return np.stack([grey, grey, grey, alpha], axis=-1).astype(np.uint8)
    if image_format == "BMP":
        image = image.convert("RGB")
    return np.asarray(image.convert("RGBA"), dtype=np.uint8)


def read_rgba(source, max_pixels=None):
    """An image file (a path, or ``(name, bytes)``) -> uint8 RGBA [h, w, 4] (step 1)."""
    with _opened(source, max_pixels) as image:
        return rgba_of(image)


def composite_on_white(rgba):
    """uint8 [h, w, 4] -> float32 [h, w, 3] in [0, 255]: alpha composited on white."""
    alpha = rgba[..., 3:].astype(np.float32) / np.float32(255.0)
    return rgba[..., :3].astype(np.float32) * alpha + np.float32(255.0) * (np.float32(1.0) - alpha)


def resize(pixels, size):
    """float ``[h, w, 3]`` -> float32 ``[H, W, 3]`` (``size`` = (H, W)), channel by channel as
    float images, so nothing is rounded to 8 bits between decoding and the model."""
    height, width = size
    pixels = np.asarray(pixels, dtype=np.float32)
    if pixels.shape[:2] == (height, width):
        return pixels
    channels = [np.asarray(Image.fromarray(pixels[:, :, c]).resize((width, height), Image.BILINEAR))
                for c in range(pixels.shape[2])]
    return np.stack(channels, axis=-1).astype(np.float32)


def load_image(source, size, max_pixels=None, load_size=None):
    """An image file (a path, or ``(name, bytes)``) -> float32 ``[H, W, 3]`` in [-1, 1]: steps 1-5
    (``load_size``: the (h, w) to resize to before the centre crop to ``size``; None: ``size``)."""
    return from_rgba(read_rgba(source, max_pixels), size, load_size)


def from_rgba(rgba, size, load_size=None):
    """uint8 RGBA ``[h, w, 4]`` -> float32 ``[H, W, 3]`` in [-1, 1]: steps 2-5."""
    load_size = tuple(size) if load_size is None else tuple(load_size)
    top, left, height, width = crop_box(rgba.shape[0], rgba.shape[1], load_size)
    pixels = resize(composite_on_white(rgba[top:top + height, left:left + width]), load_size)
    (top, left), (height, width) = centre_offsets(load_size, size), size
    return pixels[top:top + height, left:left + width] / np.float32(127.5) - np.float32(1.0)


def _graph_reads_as_is(image):
    """Whether the serving graph decodes ``image``'s file to the pixels ``load_image`` reads:
    not if it has an EXIF orientation (the graph reads no EXIF), is a WEBP (refused) or a BMP
    (PNG is smaller, and TensorFlow reads uncompressed BMPs only), or a GIF with transparency
    (TensorFlow paints it black)."""
    return (image.getexif().get(0x0112, 1) == 1 and image.format in ("JPEG", "PNG", "GIF")
            and not (image.format == "GIF" and "transparency" in image.info))


def serving_bytes(path, max_pixels=None):
    """The bytes a ``*_bytes`` request should carry for ``path``: the file itself when the
    serving graph decodes it to the pixels ``load_image`` reads, else a lossless PNG of those
    pixels (upright, 8-bit, first frame; RGBA only where some pixel is transparent)."""
    path = os.fspath(path)
    with _opened(path, max_pixels) as image:
        if _graph_reads_as_is(image):
            with open(path, "rb") as handle:
                return handle.read()
        rgba = rgba_of(image)
    return images.encode_png(rgba if np.any(rgba[..., 3] < 255) else rgba[..., :3])


def output_stems(paths):
    """One output name stem per input path, unique (ignoring case, for case-insensitive disks)
    and readable: the file's stem (``shape``); where two inputs share a stem, their file names
    (``shape.bmp``, ``shape.jpg``); still repeated (same name in two folders), ``-2``, ``-3``..."""
    names = [os.path.basename(os.fspath(p)) for p in paths]
    stems = [os.path.splitext(n)[0] for n in names]
    repeated = Counter(s.lower() for s in stems)
    wanted = [s if repeated[s.lower()] == 1 else n for s, n in zip(stems, names)]
    used, result = set(), []
    for name in wanted:
        candidate, number = name, 1
        while candidate.lower() in used:
            number += 1
            candidate = f"{name}-{number}"
        used.add(candidate.lower())
        result.append(candidate)
    return result
