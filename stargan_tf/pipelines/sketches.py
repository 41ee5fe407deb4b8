"""Sketch | photo pairs as the joint images of Contextual GAN (Lu, Wu, Tai, Tang, "Image
Generation from Sketch Constraint Using Contextual GAN", ECCV 2018): the sketch and its photo
side by side, 64 x 128 in the paper, so that one GAN learns their joint distribution.

Where the pairs come from:

* ``read_sketch_pairs``: ``data_dir/{train,test}/sketch/`` and ``data_dir/{train,test}/photo/``,
  a sketch and its photo sharing a file stem (``cat.png`` pairs with ``cat.jpg``).
* ``read_photos``: ``data_dir/{train,test}/`` photos only; their sketches are drawn by XDoG
  (Winnemöller et al. 2012, ``pipelines.xdog``) inside the pipeline.
* ``split_photos``: one list of photos (the built-in shapes) split 90/10; sketches by XDoG.

Batches (``sketch_dataset``): ``{"joint": float32 [B, S, 2S, 3] in [-1, 1]}``, the sketch on
the left half as three equal grey channels (a sketch file is reduced to its luma), the photo on
the right. Every file is decoded and resized to S x S as every pipeline does
(``images.decode_uint8``, antialiased bilinear, no crop): any size is accepted, a non-square
image is stretched, and a sketch and its photo of different sizes both end up S x S, so the
halves always fit the joint image. XDoG sketches are drawn from the resized photo, so they
have the lines of the image the model sees. Training batches are infinite and resumable
(``sampling``: batch ``k`` after ``start_step=s`` is batch ``s + k`` of a run from 0), without
augmentation; test batches are finite, in file order, with each photo's file ``name``.
"""

import os

import numpy as np
import tensorflow as tf

from stargan_tf.pipelines import images, sampling
from stargan_tf.pipelines.errors import DataError

# (known half, completed half) of each completion direction; the sketch is the left half.
HALVES = {"sketch2photo": ("sketch", "photo"), "photo2sketch": ("photo", "sketch")}
from stargan_tf.pipelines.loader import image_loader
from stargan_tf.pipelines.xdog import XDoGParameters, to_gray, xdog

SKETCH_FOLDER = "sketch"
PHOTO_FOLDER = "photo"
SPLITS = ("train", "test")
# A sketch is blank paper when fewer than MIN_LINE_SHARE of its pixels are darker than
# mid-grey; XDoG parameters that leave more than MAX_BLANK_SHARE of the checked training
# photos blank would train a model on empty sketches.
LINE_BELOW = 0.5
MIN_LINE_SHARE = 0.005
MAX_BLANK_SHARE = 0.5
LINE_CHECK_IMAGES = 64
_MAX_LISTED = 5


def _check_split(split):
    """ValueError for a split other than ``SPLITS`` (a programming error, not the user's data)."""
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def _image_files(folder, layout):
    """Sorted image paths of ``folder``; DataError naming it (and the expected ``layout``)
    if it is missing or holds no image."""
    if not os.path.isdir(folder):
        raise DataError(f"{folder} does not exist; --data_dir must hold {layout}.")
    paths = images.list_image_files(folder)
    if not paths:
        raise DataError(f"{folder} has no image files ({', '.join(images.IMAGE_EXTENSIONS)}); --data_dir must "
                        f"hold {layout}.")
    return paths


def _listed(names):
    """A few of ``names`` for a message, with how many more there are."""
    more = f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else ""
    return ", ".join(names[:_MAX_LISTED]) + more


def _by_stem(paths, folder):
    """``{file stem: path}``; DataError if two files of ``folder`` share a stem, since a
    sketch is matched with its photo by stem."""
    by_stem = {}
    for path in paths:
        by_stem.setdefault(os.path.splitext(os.path.basename(path))[0], []).append(os.path.basename(path))
    repeated = [" / ".join(names) for names in by_stem.values() if len(names) > 1]
    if repeated:
        raise DataError(f"{folder}: {_listed(repeated)} share a file name but for the extension, so which one "
                        "pairs with the other half is unclear; keep one of each.")
    return {stem: os.path.join(folder, names[0]) for stem, names in by_stem.items()}


def read_sketch_pairs(data_dir, split):
    """``(sketch_paths, photo_paths)`` of ``split``, paired by file stem and sorted by it,
    from ``data_dir/<split>/sketch/`` and ``data_dir/<split>/photo/``.

    Raises DataError naming a missing or empty folder, or listing a few names found on one
    side only (of each side).
    """
    _check_split(split)
    layout = f"{split}/{SKETCH_FOLDER}/ and {split}/{PHOTO_FOLDER}/ with matching file names"
    halves = {}
    for folder in (SKETCH_FOLDER, PHOTO_FOLDER):
        path = os.path.join(data_dir, split, folder)
        halves[folder] = _by_stem(_image_files(path, layout), path)
    sketches, photos = halves[SKETCH_FOLDER], halves[PHOTO_FOLDER]
    only_sketch, only_photo = sorted(sketches.keys() - photos.keys()), sorted(photos.keys() - sketches.keys())
    if only_sketch or only_photo:
        sides = [f"{len(names)} {folder} file(s) have no {other} of the same name ({_listed(names)})"
                 for names, folder, other in ((only_sketch, SKETCH_FOLDER, PHOTO_FOLDER),
                                              (only_photo, PHOTO_FOLDER, SKETCH_FOLDER)) if names]
        raise DataError(f"{os.path.join(data_dir, split)}: {'; '.join(sides)}. A sketch and its photo need the "
                        "same file name (the extension may differ); rename or remove the unmatched files.")
    stems = sorted(sketches)
    return [sketches[stem] for stem in stems], [photos[stem] for stem in stems]


def read_photos(data_dir, split):
    """Sorted photo paths of ``data_dir/<split>/`` (the images directly in it); DataError
    naming the folder if it is missing or empty."""
    _check_split(split)
    return _image_files(os.path.join(data_dir, split), "train/ and test/ folders of photos")


def split_photos(paths, split):
    """The first 90% of ``paths`` (train) or the rest, at least one (test): the built-in
    data's rule, so its sketch test split is the RaFD-style test split of the same images."""
    _check_split(split)
    num_test = max(1, len(paths) // 10)
    return list(paths[:-num_test] if split == "train" else paths[-num_test:])


def joint_halves(joint):
    """``{"sketch", "photo"}``: joint images [B, S, 2S, C] cut in two (the sketch on the left)."""
    size = joint.shape[1]
    return {"sketch": joint[:, :, :size], "photo": joint[:, :, size:]}


def xdog_sketch(photos, parameters):
    """XDoG sketches of ``photos`` float32 [B, S, S, 3] in [-1, 1]: [B, S, S, 1] in [-1, 1]
    (XDoG works on [0, 1]; the model sees both halves in [-1, 1])."""
    return xdog((photos + 1.0) / 2.0, parameters) * 2.0 - 1.0


def _sketch_reader(photo_paths, sketch_paths, image_size, parameters, cache, load_photo):
    """A function ``(index, photo [S, S, 3]) -> sketch [S, S, 1]`` in [-1, 1]: the sketch file
    reduced to luma, or XDoG of the photo (with ``cache``, drawn once for every photo now)."""
    if sketch_paths is not None:
        load_sketch = image_loader(sketch_paths, image_size, None, cache)
        return lambda index, photo: to_gray(images.to_unit_range(load_sketch(index)))

    def draw(photo):
        """One photo's sketch, as a batch of one: cached and uncached sketches are the same ops."""
        return xdog_sketch(photo[None], parameters)[0]

    if not cache:
        return lambda index, photo: draw(photo)
    drawn = (
        tf.data.Dataset.range(len(photo_paths))
        .map(lambda index: draw(images.to_unit_range(load_photo(index))), num_parallel_calls=tf.data.AUTOTUNE,
             deterministic=True)
        .batch(len(photo_paths))
        .get_single_element()
    )
    return lambda index, photo: tf.gather(drawn, index)


def joint_reader(photo_paths, sketch_paths=None, image_size=64, xdog_parameters=XDoGParameters(), cache=False):
    """A function ``index -> float32 [S, 2S, 3]`` in [-1, 1]: pair ``index``'s joint image,
    the sketch (file, or XDoG of the photo when ``sketch_paths`` is None) left, the photo right."""
    load_photo = image_loader(photo_paths, image_size, None, cache)
    read_sketch = _sketch_reader(photo_paths, sketch_paths, image_size, xdog_parameters, cache, load_photo)

    def joint(index):
        """Pair ``index`` side by side."""
        photo = images.to_unit_range(load_photo(index))
        return tf.concat([tf.tile(read_sketch(index, photo), [1, 1, 3]), photo], axis=1)

    return joint


def _train_dataset(joint, num_pairs, global_batch_size, seed, start_step):
    """Infinite batches ``{"joint"}`` from ``start_step``: element ``k`` is the pair of a fresh
    permutation per epoch (``sampling``), so any step is reproduced exactly on resume."""
    def element(k):
        """Element ``k``: its shuffled pair."""
        return {"joint": joint(sampling.shuffled_file_index(k, num_pairs, seed, sampling.SALT_FILES))}

    return (
        sampling.element_indices(start_step, global_batch_size)
        .map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(global_batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def _test_dataset(joint, photo_paths, batch_size):
    """Finite batches ``{"joint", "name"}`` in file order (``name``: the photo's file name)."""
    names = tf.constant([os.path.basename(p) for p in photo_paths])

    def element(index):
        """Test pair ``index``."""
        return {"joint": joint(index), "name": tf.gather(names, index)}

    return (
        tf.data.Dataset.range(len(photo_paths))
        .map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


def sketch_dataset(photo_paths, sketch_paths=None, split="train", image_size=64, global_batch_size=64, seed=0,
                   start_step=0, xdog_parameters=XDoGParameters(), cache=False):
    """The joint-image pipeline of ``split`` (see the module docstring for the batches).

    Args:
        photo_paths: the photos, in pair order.
        sketch_paths: their sketches (same order), or None to draw them with XDoG.
        split: ``train`` (infinite, shuffled, from ``start_step``) or ``test`` (finite, in order).
        image_size: S, the side of each half.
        global_batch_size: pairs per batch.
        seed: of the training order.
        start_step: the training iteration of the first batch.
        xdog_parameters: the ``XDoGParameters`` of drawn sketches (ignored with sketch files).
        cache: decode every file (and draw every sketch) once and keep it in memory; the same
            pixels as without.
    """
    _check_split(split)
    joint = joint_reader(photo_paths, sketch_paths, image_size, xdog_parameters, cache)
    if split == "test":
        return _test_dataset(joint, photo_paths, global_batch_size)
    return _train_dataset(joint, len(photo_paths), global_batch_size, seed, start_step)


def check_xdog_lines(photo_paths, image_size, parameters, count=LINE_CHECK_IMAGES):
    """Raise DataError if ``parameters`` leave the sketch of most of up to ``count`` training
    photos (spread over ``photo_paths``) blank, naming the flag to change.

    XDoG draws a line where the difference of Gaussians falls below ``epsilon``; with the
    public code's ``epsilon=-0.1``, edges of low contrast (all of the built-in shapes') stay
    white, and a model trained on blank sketches learns nothing from them. ``epsilon`` is
    the lever: on the built-in shapes at 16, 32 and 64 px, -0.05 leaves most sketches blank
    and -0.02 or more draws them, while ``tau`` up to 1.02 at -0.1 still leaves them blank.
    """
    picked = np.unique(np.linspace(0, len(photo_paths) - 1, min(count, len(photo_paths))).round().astype(int))
    photos = tf.stack([images.decode_and_resize(photo_paths[i], image_size) for i in picked])
    sketches = (xdog_sketch(photos, parameters) + 1.0) / 2.0
    line_share = tf.reduce_mean(tf.cast(sketches < LINE_BELOW, tf.float32), axis=[1, 2, 3])
    blank = int(tf.reduce_sum(tf.cast(line_share < MIN_LINE_SHARE, tf.int32)))
    if blank > MAX_BLANK_SHARE * len(picked):
        p = parameters
        raise DataError(
            f"--xdog_epsilon={p.epsilon} draws almost no lines (under {MIN_LINE_SHARE:.1%} of the pixels darker "
            f"than mid-grey) on {blank} of {len(picked)} training images at --image_size={image_size} (with "
            f"--xdog_sigma={p.sigma} --xdog_k={p.k} --xdog_tau={p.tau} --xdog_phi={p.phi}): raise --xdog_epsilon "
            "toward 0 (the built-in shapes need -0.02 or more), so that fainter edges become lines.")
