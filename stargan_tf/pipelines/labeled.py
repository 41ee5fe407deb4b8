"""tf.data pipelines for labelled image files (CelebA attributes, RaFD classes).

Train batches: `{"image": float32 [B, S, S, 3] in [-1, 1], "label": float32 [B, c],
"target": float32 [B, c]}`, infinite, a pure function of (files, seed, step) (see
`sampling`). Test batches: `{"image", "label"}` in file order, finite, last batch may be short.
"""

import dataclasses

import tensorflow as tf

from stargan_tf.pipelines import images, labels as labels_lib, sampling
from stargan_tf.pipelines.loader import image_loader


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """A dataset and what a caller needs to know about it.

    Attributes:
      dataset: the `tf.data.Dataset` of batch dicts.
      num_examples: number of images in this split (one epoch).
      label_space: a `LabelSpace` giving the label names, exclusive groups, single_label.
      filenames: full paths of this split's images; the test dataset yields them in this order.
      labels: float32 [num_examples, c] of 0/1, the labels of `filenames` (where known).
    """

    dataset: tf.data.Dataset
    num_examples: int
    label_space: labels_lib.LabelSpace
    filenames: tuple
    labels: object = None


def labeled_train_dataset(paths, label_array, image_size, crop_size, global_batch_size, seed, start_step, flip, cache):
    """Infinite, resumable train batches `{"image", "label", "target"}` starting at `start_step`."""
    load = image_loader(paths, image_size, crop_size, cache)
    label_table = tf.constant(label_array, tf.float32)
    num_files = len(paths)

    def element(k):
        """Element `k`: its shuffled file, augmented with seeds derived from `k`."""
        index = sampling.shuffled_file_index(k, num_files, seed, sampling.SALT_FILES)
        image = sampling.augment(load(index), k, seed, sampling.SALT_AUGMENT, flip)
        return {"image": images.to_unit_range(image), "label": tf.gather(label_table, index), "k": k}

    def add_targets(batch):
        """Replace the element indices by the batch's shuffled target labels."""
        step = batch["k"][0] // global_batch_size
        target = labels_lib.shuffled_targets(batch["label"], seed, step)
        return {"image": batch["image"], "label": batch["label"], "target": target}

    return (
        sampling.element_indices(start_step, global_batch_size)
        .map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(global_batch_size, drop_remainder=True)
        .map(add_targets)
        .prefetch(tf.data.AUTOTUNE)
    )


def labeled_test_dataset(paths, label_array, image_size, crop_size, batch_size, cache):
    """Finite test batches `{"image", "label"}` in file order, no augmentation."""
    load = image_loader(paths, image_size, crop_size, cache)
    label_table = tf.constant(label_array, tf.float32)

    def element(index):
        """Test element `index`."""
        return {"image": images.to_unit_range(load(index)), "label": tf.gather(label_table, index)}

    return (
        tf.data.Dataset.range(len(paths))
        .map(element, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
