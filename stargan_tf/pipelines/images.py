"""Reading image files: TF decode + center crop + resize, up-front validation, user photos.

Pixel pipeline (the official torchvision order is flip -> CenterCrop(crop) -> Resize(size)
-> ToTensor -> Normalize(0.5, 0.5)):

* `decode_uint8` decodes, center-crops with torchvision's offset rule
  (`round((h - crop) / 2)`, round half to even), resizes (bilinear, antialiased) and rounds
  back to uint8 as PIL does before `ToTensor`. This is the part `cache=True` keeps in memory.
* `to_unit_range` scales to float32 [-1, 1].
* The random flip is applied after resizing (see `sampling.augment`) so that cached and
  uncached pipelines give identical pixels. Flip and center crop commute when
  `width - crop` is even (CelebA: 178 - 178 = 0); otherwise the crop window differs by
  one source column from the official order.
"""

import concurrent.futures
import hashlib
import json
import os

import numpy as np
import tensorflow as tf
from PIL import Image, ImageFile

from stargan_tf.pipelines.errors import DataError

# File name endings treated as images when listing folders.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
# PIL format names that `tf.io.decode_image` can also decode.
_TF_DECODABLE_FORMATS = {"JPEG", "PNG", "BMP", "GIF"}
_MAX_LISTED_BAD_FILES = 10


def list_image_files(folder):
    """Sorted full paths of the files in `folder` whose names end in an image extension."""
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS))
    return [os.path.join(folder, n) for n in names]


def crop_and_resize(image, image_size, crop_size=None):
    """Center-crop a uint8 [H, W, 3] image to a `crop_size` square, resize to `image_size`; uint8.

    A `crop_size` larger than the image is clipped to the image's shorter side.
    `crop_size=None` skips the crop (non-square images are then stretched to a square).
    """
    if crop_size is not None:
        height, width = tf.shape(image)[0], tf.shape(image)[1]
        crop = tf.minimum(tf.minimum(height, width), crop_size)
        # torchvision CenterCrop: int(round((h - crop) / 2)); tf.round is also half-to-even.
        top = tf.cast(tf.round(tf.cast(height - crop, tf.float32) / 2.0), tf.int32)
        left = tf.cast(tf.round(tf.cast(width - crop, tf.float32) / 2.0), tf.int32)
        image = image[top : top + crop, left : left + crop]
    resized = tf.image.resize(image, [image_size, image_size], method="bilinear", antialias=True)
    resized = tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)
    return tf.ensure_shape(resized, [image_size, image_size, 3])


def decode_uint8(path_or_bytes, image_size, crop_size=None, from_bytes=False):
    """Read (unless `from_bytes`), decode to RGB, center-crop and resize; uint8 [S, S, 3]."""
    data = path_or_bytes if from_bytes else tf.io.read_file(path_or_bytes)
    image = tf.io.decode_image(data, channels=3, expand_animations=False, dtype=tf.uint8)
    return crop_and_resize(image, image_size, crop_size)


def to_unit_range(image_uint8):
    """Scale uint8 pixels to float32 in [-1, 1] (torchvision ToTensor + Normalize(0.5, 0.5))."""
    return tf.cast(image_uint8, tf.float32) / 127.5 - 1.0


def decode_and_resize(path_or_bytes_tensor, image_size, crop_size=None, from_bytes=False):
    """Decode one image file (or its bytes if `from_bytes`) to float32 [S, S, 3] in [-1, 1].

    Handles JPEG/PNG/BMP/GIF, grayscale and RGBA (alpha dropped) via
    `tf.io.decode_image(channels=3, expand_animations=False)`, then center crop to
    `crop_size` (clipped to the shorter side) and antialiased bilinear resize to `image_size`.
    """
    return to_unit_range(decode_uint8(path_or_bytes_tensor, image_size, crop_size, from_bytes))


def _check_one_file(path):
    """Return None if `path` decodes fully with PIL in a TF-decodable format, else the reason."""
    try:
        with Image.open(path) as image:
            image_format = image.format
            image.load()
    except Exception as error:  # PIL raises many types for bad files; all mean "unusable".
        return f"{type(error).__name__}: {error}"
    if image_format not in _TF_DECODABLE_FORMATS:
        return f"format {image_format} cannot be decoded by TensorFlow (use JPEG or PNG)"
    return None


def _fingerprint(paths):
    """A hash of the paths, sizes and modification times of `paths`."""
    digest = hashlib.sha256()
    for path in paths:
        stat = os.stat(path)
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _read_fingerprints(cache_file):
    """The fingerprints of file lists already validated, recorded in `cache_file` (empty if none)."""
    try:
        with open(cache_file) as handle:
            return list(json.load(handle).get("fingerprints", []))
    except (OSError, ValueError, AttributeError):
        return []


def validate_image_files(paths, cache_file=None):
    """Check that every file in `paths` fully decodes; raise `DataError` listing the bad ones.

    Truncated or corrupt files would otherwise crash training hours in, inside tf.data.
    If `cache_file` is given, a fingerprint of the file list (paths, sizes, mtimes) is
    written there after a successful check and a later call with the same files returns
    at once. One cache file can serve several file lists (e.g. the train and test splits).
    """
    paths = [os.fspath(p) for p in paths]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise DataError(
            f"{len(missing)} image file(s) do not exist, e.g. {missing[:_MAX_LISTED_BAD_FILES]}; "
            "fix the paths or the folder."
        )
    fingerprint = _fingerprint(paths) if cache_file else None
    if cache_file and fingerprint in _read_fingerprints(cache_file):
        return
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # A truncated file must fail, not be padded grey.
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            reasons = list(pool.map(_check_one_file, paths))
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    bad = [(p, r) for p, r in zip(paths, reasons) if r is not None]
    if bad:
        listed = "\n".join(f"  {p}: {r}" for p, r in bad[:_MAX_LISTED_BAD_FILES])
        more = f"\n  ... and {len(bad) - _MAX_LISTED_BAD_FILES} more" if len(bad) > _MAX_LISTED_BAD_FILES else ""
        raise DataError(
            f"{len(bad)} of {len(paths)} image file(s) cannot be decoded:\n{listed}{more}\n"
            "Remove or replace these files and run again."
        )
    if cache_file:
        os.makedirs(os.path.dirname(os.path.abspath(cache_file)), exist_ok=True)
        fingerprints = _read_fingerprints(cache_file) + [fingerprint]
        with open(cache_file, "w") as handle:
            json.dump({"fingerprints": fingerprints}, handle)


def _load_rgb(path):
    """Open `path` with PIL as a uint8 RGB array; transparency is composited onto white."""
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode == "P" and "transparency" in image.info:
                image = image.convert("RGBA")
            if image.mode in ("RGBA", "LA", "PA"):
                rgba = image.convert("RGBA")
                white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                image = Image.alpha_composite(white, rgba)
            return np.asarray(image.convert("RGB"))
    except Exception as error:  # Any PIL failure means the file cannot be used.
        raise DataError(
            f"cannot read image {path} ({type(error).__name__}: {error}); remove or replace it."
        ) from error


def _user_image_paths(folder_or_files):
    """Resolve a folder, a single file or a list of files to a list of image paths."""
    if isinstance(folder_or_files, (str, os.PathLike)):
        folder = os.fspath(folder_or_files)
        if os.path.isfile(folder):
            return [folder]
        if not os.path.isdir(folder):
            raise DataError(f"{folder} does not exist; give a folder of JPEG/PNG images or image files.")
        paths = list_image_files(folder)
        if not paths:
            raise DataError(
                f"no image files ({', '.join(IMAGE_EXTENSIONS)}) found in folder {folder}; "
                "put your JPEG/PNG photos there."
            )
        return paths
    paths = [os.fspath(p) for p in folder_or_files]
    if not paths:
        raise DataError("no image files were given; pass a folder or a list of JPEG/PNG files.")
    return paths


def load_user_images(folder_or_files, image_size):
    """Load the user's own photos for test mode: `(names, float32 [N, S, S, 3] in [-1, 1])`.

    Any size; JPEG or PNG; RGB, RGBA/LA (composited on white), grayscale or palette.
    Each image is center-cropped to a square of its shorter side and resized to
    `image_size` with the same resize as training. `names` are the file base names.
    """
    paths = _user_image_paths(folder_or_files)
    images = []
    for path in paths:
        rgb = _load_rgb(path)
        side = min(rgb.shape[0], rgb.shape[1])
        images.append(to_unit_range(crop_and_resize(tf.constant(rgb), image_size, side)).numpy())
    return [os.path.basename(p) for p in paths], np.stack(images).astype(np.float32)
