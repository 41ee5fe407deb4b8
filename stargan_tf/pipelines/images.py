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

The user's own photos (test mode, `load_user_images`) are read with the preprocessing of the
exported model's clients (`stargan_tf.export.preprocess`: EXIF orientation, alpha on white,
centre crop to the model's aspect ratio, antialiased bilinear resize), so test mode, the
`*_bytes` serving signatures, the REST client and the TFLite runner see the same pixels.
"""

import concurrent.futures
import dataclasses
import hashlib
import glob
import json
import os
import sys

import numpy as np
import tensorflow as tf
from PIL import Image, ImageFile

from stargan_tf.export import preprocess
from stargan_tf.pipelines.errors import DataError

# File name endings of the formats `tf.io.decode_image` reads (`preprocess.TF_FORMATS`),
# treated as training images when listing folders.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp")
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
    if image_format not in preprocess.TF_FORMATS:
        return f"format {image_format} cannot be decoded by TensorFlow (use {', '.join(preprocess.TF_FORMATS)})"
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


@dataclasses.dataclass(frozen=True)
class UserImages:
    """The user's photos as `load_user_images` read them.

    Attributes:
        paths: the files read, in order.
        stems: one output name stem per file, unique (`preprocess.output_stems`): the file's
            stem, or its name (`shape.bmp`, `shape.jpg`) where two files share a stem.
        images: float32 [N, H, W, 3] in [-1, 1].
        skipped: (path, reason) of every file that could not be read.
    """

    paths: tuple
    stems: tuple
    images: np.ndarray
    skipped: tuple

    @property
    def total(self):
        """How many files were tried: read and skipped."""
        return len(self.paths) + len(self.skipped)


def _candidates(folder_or_files):
    """(what to name in messages, the files to try): a folder's files but hidden ones
    (`.DS_Store`), sorted; one file; the files a glob pattern matches (`photos/*.jpg`,
    `**` for sub-folders), sorted; or a list of files."""
    if not isinstance(folder_or_files, (str, os.PathLike)):
        return "the given files", [os.fspath(p) for p in folder_or_files]
    path = os.fspath(folder_or_files)
    if os.path.isfile(path):
        return path, [path]
    if glob.has_magic(path):
        return f"pattern {path}", sorted(p for p in glob.glob(path, recursive=True) if os.path.isfile(p))
    if not os.path.isdir(path):
        raise DataError(f"{path} does not exist; give a folder of images, an image file or a pattern "
                        "(photos/*.jpg).")
    names = sorted(n for n in os.listdir(path) if not n.startswith(".") and os.path.isfile(os.path.join(path, n)))
    return f"folder {path}", [os.path.join(path, n) for n in names]


def load_user_images(folder_or_files, image_size, load_size=None):
    """Load the user's own photos for test mode as a `UserImages`.

    Every file of the folder (or each given file) is tried: any size, in the formats of
    `preprocess.FORMATS` (JPEG, PNG, GIF, BMP, WEBP), any mode, the first frame of an
    animation. A file that cannot be read is skipped with one line on stderr naming it and
    why, then the count; `DataError` (naming the folder) only if nothing could be read.
    `image_size` is S (square models) or (H, W); `load_size` (the same forms) is what they are
    resized to before the centre crop to `image_size`, for models that frame test images so.
    """
    where, candidates = _candidates(folder_or_files)
    if not candidates:
        raise DataError(f"no files in {where}; put your photos there ({', '.join(preprocess.FORMATS)}).")
    size, load = (None if s is None else (s, s) if isinstance(s, int) else tuple(s) for s in (image_size, load_size))
    paths, images, skipped = [], [], []
    for path in candidates:
        try:
            images.append(preprocess.load_image(path, size, load_size=load))
            paths.append(path)
        except preprocess.ImageFileError as error:
            print(f"skipping {error}", file=sys.stderr)
            skipped.append((path, str(error)))
    if not paths:
        listed = "\n".join(f"  {reason}" for _, reason in skipped[:_MAX_LISTED_BAD_FILES])
        raise DataError(f"none of the {len(skipped)} file(s) in {where} could be read as an image:\n{listed}\n"
                        f"Use {', '.join(preprocess.FORMATS)} files.")
    if skipped:
        print(f"Skipped {len(skipped)} of {len(candidates)} files in {where}; reading the other {len(paths)}.",
              file=sys.stderr)
    return UserImages(tuple(paths), tuple(preprocess.output_stems(paths)), np.stack(images), tuple(skipped))
