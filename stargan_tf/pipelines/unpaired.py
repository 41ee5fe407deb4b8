"""Two-domain unpaired folders (CycleGAN / U-GAT-IT layout): `trainA, trainB, testA, testB`.

Train: each domain draws from its own stateless per-epoch permutation (different salts),
so domains of different sizes work and element `k` is a pure function of (files, seed, k).
Augmentation as CycleGAN's `resize_and_crop`: resize to `load_size`, random crop to
`image_size`, random horizontal flip, all stateless. With `images_per_example=2` (DRIT)
each example is a pair of consecutive draws per domain (`image_a`, `image_a_random`, ...),
so a replica gets whole pairs whatever the number of replicas.
"""

import dataclasses
import os

import tensorflow as tf

from stargan_tf.export import preprocess
from stargan_tf.pipelines import images, sampling
from stargan_tf.pipelines.errors import DataError
from stargan_tf.pipelines.loader import image_loader

_LAYOUT = "data_dir/trainA, data_dir/trainB, data_dir/testA, data_dir/testB"


@dataclasses.dataclass(frozen=True)
class UnpairedInfo:
    """The unpaired datasets of one split.

    Attributes:
      dataset: train: infinite `{"image_a", "image_b"}` float32 [B, S, S, 3] in [-1, 1]
        (plus `image_a_random`, `image_b_random` with two images per example);
        test: finite `{"image_a", "name"}` over testA in file order (`name`: file base name).
      num_a: images in domain A of this split.
      num_b: images in domain B of this split.
      dataset_b: test only: finite `{"image_b", "name"}` over testB; None for train.
    """

    dataset: tf.data.Dataset
    num_a: int
    num_b: int
    dataset_b: tf.data.Dataset = None


def domain_files(data_dir, folder):
    """Sorted image paths of `data_dir/folder`; DataError if it is missing or empty."""
    path = os.path.join(data_dir, folder)
    if not os.path.isdir(path):
        raise DataError(f"{path} does not exist; --data_dir must have the layout {_LAYOUT}.")
    files = images.list_image_files(path)
    if not files:
        raise DataError(f"domain folder {path} has no image files ({', '.join(images.IMAGE_EXTENSIONS)}).")
    return files


def _train_dataset(paths_a, paths_b, image_size, load_size, global_batch_size, seed, start_step, flip, cache,
                   images_per_example):
    """Infinite batches of `global_batch_size / images_per_example` examples starting at
    `start_step`; draw `k` is the same image whatever `images_per_example`."""
    load_a = image_loader(paths_a, load_size, None, cache)
    load_b = image_loader(paths_b, load_size, None, cache)

    def draw(k):
        """Draw `k`: one image per domain, each from its own permutation and augmentation stream."""
        a = load_a(sampling.shuffled_file_index(k, len(paths_a), seed, sampling.SALT_FILES))
        b = load_b(sampling.shuffled_file_index(k, len(paths_b), seed, sampling.SALT_FILES_B))
        a = sampling.augment(a, k, seed, sampling.SALT_AUGMENT, flip, crop_size=image_size)
        b = sampling.augment(b, k, seed, sampling.SALT_AUGMENT_B, flip, crop_size=image_size)
        return images.to_unit_range(a), images.to_unit_range(b)

    def element(j):
        """Example `j`: draws `j * n` to `j * n + n - 1`, the first as `image_a/b`, the
        second as `image_a/b_random` (n = `images_per_example`)."""
        first_a, first_b = draw(j * images_per_example)
        example = {"image_a": first_a, "image_b": first_b}
        if images_per_example == 2:
            example["image_a_random"], example["image_b_random"] = draw(j * images_per_example + 1)
        return example

    examples_per_batch = global_batch_size // images_per_example
    return (
        sampling.element_indices(start_step, examples_per_batch)
        .map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(examples_per_batch, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def _test_dataset(paths, key, image_size, batch_size, cache, load_size):
    """Finite `{key, "name"}` batches of one domain in file order, resized to `load_size` and
    centre-cropped to `image_size` (`load_size` None: resized to `image_size`)."""
    load_size = image_size if load_size is None else load_size
    load = image_loader(paths, load_size, None, cache)
    top, left = preprocess.centre_offsets((load_size,) * 2, (image_size,) * 2)
    names = tf.constant([os.path.basename(p) for p in paths])

    def element(index):
        """Test element `index`."""
        image = load(index)[top:top + image_size, left:left + image_size]
        return {key: images.to_unit_range(image), "name": tf.gather(names, index)}

    return (
        tf.data.Dataset.range(len(paths))
        .map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


def unpaired_dataset(
    data_dir,
    split="train",
    image_size=256,
    load_size=None,
    global_batch_size=1,
    seed=0,
    start_step=0,
    flip=True,
    cache=False,
    validation_cache_file=None,
    images_per_example=1,
    test_load_size=None,
):
    """The unpaired pipeline of `split` as an `UnpairedInfo` (see its attributes for dict keys).

    `load_size` defaults to `image_size + 30` (CycleGAN's 286 for 256). Test images are
    resized straight to `image_size`, without augmentation, or with `test_load_size` resized to
    it and centre-cropped to `image_size` (DRIT's official test loader). `images_per_example` (1 or 2,
    dividing `global_batch_size`) groups consecutive training draws of a domain into one
    example.
    """
    if images_per_example not in (1, 2) or global_batch_size % images_per_example:
        raise ValueError(f"images_per_example must be 1 or 2 and divide the batch ({global_batch_size}), "
                         f"got {images_per_example}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    paths_a = domain_files(data_dir, f"{split}A")
    paths_b = domain_files(data_dir, f"{split}B")
    images.validate_image_files(paths_a + paths_b, validation_cache_file)
    if split == "test":
        return UnpairedInfo(
            _test_dataset(paths_a, "image_a", image_size, global_batch_size, cache, test_load_size),
            len(paths_a),
            len(paths_b),
            _test_dataset(paths_b, "image_b", image_size, global_batch_size, cache, test_load_size),
        )
    load_size = image_size + 30 if load_size is None else load_size
    if load_size < image_size:
        raise ValueError(f"load_size ({load_size}) must be at least image_size ({image_size}) to crop from.")
    dataset = _train_dataset(
        paths_a, paths_b, image_size, load_size, global_batch_size, seed, start_step, flip, cache, images_per_example
    )
    return UnpairedInfo(dataset, len(paths_a), len(paths_b))
