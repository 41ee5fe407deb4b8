"""Input pipelines: files on disk -> deterministic, resumable `tf.data` batches of pixels and labels.

Pipelines know nothing of models. Every train dataset is infinite and the batch at global
step `s` is a pure function of (files, seed, s), so `start_step=s` resumes exactly.
"""

from stargan_tf.pipelines.both import both_dataset
from stargan_tf.pipelines.celeba import celeba_dataset, read_attribute_file, split_indices
from stargan_tf.pipelines.errors import DataError
from stargan_tf.pipelines.images import (
    decode_and_resize,
    list_image_files,
    load_user_images,
    validate_image_files,
)
from stargan_tf.pipelines.labeled import DatasetInfo
from stargan_tf.pipelines.labels import DEFAULT_EXCLUSIVE_GROUPS, LabelSpace, shuffled_targets
from stargan_tf.pipelines.rafd import rafd_dataset, read_class_folders
from stargan_tf.pipelines.shapes import ATTRIBUTES as SHAPES_ATTRIBUTES
from stargan_tf.pipelines.shapes import default_shapes_root, write_shapes_dataset
from stargan_tf.pipelines.unpaired import UnpairedInfo, unpaired_dataset

__all__ = [
    "DEFAULT_EXCLUSIVE_GROUPS",
    "SHAPES_ATTRIBUTES",
    "DataError",
    "DatasetInfo",
    "LabelSpace",
    "UnpairedInfo",
    "both_dataset",
    "celeba_dataset",
    "decode_and_resize",
    "default_shapes_root",
    "list_image_files",
    "load_user_images",
    "rafd_dataset",
    "read_attribute_file",
    "read_class_folders",
    "shuffled_targets",
    "split_indices",
    "unpaired_dataset",
    "validate_image_files",
    "write_shapes_dataset",
]
