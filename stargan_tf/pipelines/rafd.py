"""RaFD-style class folders: `image_dir/<class>/*.jpg`, classes sorted = class index (ImageFolder)."""

import os

import numpy as np

from stargan_tf.pipelines import images, labeled
from stargan_tf.pipelines.errors import DataError
from stargan_tf.pipelines.labels import LabelSpace


def read_class_folders(image_dir):
    """`(class_names, paths, one_hot_labels)` for a class-folder tree, in ImageFolder order.

    Raises `DataError` naming `--rafd_image_dir` if the folder is missing, has fewer than
    two class sub-folders, or a class folder holds no image files. One image per class is
    enough: the train pipeline repeats files to fill its batches.
    """
    if not os.path.isdir(image_dir):
        problem = "is not a folder" if os.path.exists(image_dir) else "does not exist"
        raise DataError(
            f"--rafd_image_dir {image_dir} {problem}; it must be a folder holding one sub-folder of images per class."
        )
    classes = sorted(e.name for e in os.scandir(image_dir) if e.is_dir())
    if len(classes) < 2:
        raise DataError(
            f"--rafd_image_dir {image_dir} has {len(classes)} class sub-folder(s) {classes}; "
            "at least 2 are needed (one sub-folder of images per class)."
        )
    paths, class_ids = [], []
    for class_id, name in enumerate(classes):
        files = images.list_image_files(os.path.join(image_dir, name))
        if not files:
            raise DataError(
                f"--rafd_image_dir {image_dir}: class folder {name} has no image files "
                f"({', '.join(images.IMAGE_EXTENSIONS)}); add images or remove the folder."
            )
        paths.extend(files)
        class_ids.extend([class_id] * len(files))
    one_hot = np.eye(len(classes), dtype=np.float32)[class_ids]
    return tuple(classes), tuple(paths), one_hot


def rafd_dataset(
    image_dir,
    split="train",
    image_size=128,
    crop_size=256,
    global_batch_size=16,
    seed=0,
    start_step=0,
    flip=True,
    cache=False,
    validation_cache_file=None,
    classes=None,
):
    """The RaFD (or any class-folder) pipeline for the folder of one split, as a `DatasetInfo`.

    `image_dir` is the split's folder (e.g. `data/RaFD/train` or `.../test`). Dict keys and
    semantics as `celeba_dataset`, with one-hot labels and a single-label `LabelSpace`.
    `classes`, if given, are the class names the folder must have (a test folder must have
    the training folder's classes, or its labels would name other classes).
    """
    found, paths, one_hot = read_class_folders(image_dir)
    if classes is not None and tuple(classes) != found:
        raise DataError(
            f"--rafd_image_dir: {image_dir} has class sub-folders {', '.join(found)} but training uses "
            f"{', '.join(classes)}; give both folders the same class sub-folders."
        )
    images.validate_image_files(paths, validation_cache_file)
    if split == "train":
        dataset = labeled.labeled_train_dataset(
            paths, one_hot, image_size, crop_size, global_batch_size, seed, start_step, flip, cache
        )
    elif split == "test":
        dataset = labeled.labeled_test_dataset(paths, one_hot, image_size, crop_size, global_batch_size, cache)
    else:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return labeled.DatasetInfo(dataset, len(paths), LabelSpace(found, single_label=True), paths)
