"""CelebA: `list_attr_celeba.txt` + an image folder, with the official StarGAN split.

File format: line 1 the image count, line 2 the attribute names, then one row per image,
`000001.jpg -1  1  1 -1 ...` (whitespace separated; 1 = has attribute, -1 = has not).
"""

import os
import random

import numpy as np

from stargan_tf.pipelines import images, labeled
from stargan_tf.pipelines.errors import DataError
from stargan_tf.pipelines.labels import DEFAULT_EXCLUSIVE_GROUPS, LabelSpace

# The official split: rows shuffled by `random.seed(1234); random.shuffle(lines)`, then rows
# with `(i + 1) < 2000` are test, i.e. 1999 images.
SPLIT_SEED = 1234
OFFICIAL_NUM_TEST = 1999
_MAX_LISTED_MISSING = 5


def _read_lines(attr_path):
    """The non-blank lines of the attribute file as `(line_number, text)`; DataError if missing/empty."""
    if not os.path.isfile(attr_path):
        raise DataError(f"--attr_path {attr_path} does not exist; point it at list_attr_celeba.txt.")
    with open(attr_path) as handle:
        lines = [(n, line) for n, line in enumerate(handle, start=1) if line.strip()]
    if len(lines) < 3:
        raise DataError(
            f"--attr_path {attr_path} is empty or has no image rows; it needs a count line, "
            "an attribute-names line and one row per image."
        )
    return lines


def _column_indices(attr_path, file_attrs, selected_attrs):
    """Positions of `selected_attrs` among the file's attribute names; DataError if any is absent."""
    unknown = [a for a in selected_attrs if a not in file_attrs]
    if unknown:
        raise DataError(
            f"--selected_attrs {unknown} not found in {attr_path}; available attributes: "
            f"{' '.join(file_attrs)}"
        )
    return [file_attrs.index(a) for a in selected_attrs]


def _check_images_exist(image_dir, filenames):
    """DataError if `image_dir` is missing or lacks any listed image."""
    if not os.path.isdir(image_dir):
        raise DataError(f"--celeba_image_dir {image_dir} does not exist; point it at the CelebA image folder.")
    present = set(os.listdir(image_dir))
    missing = [f for f in filenames if f not in present]
    if missing:
        raise DataError(
            f"{len(missing)} image(s) listed in the attribute file are missing from --celeba_image_dir "
            f"{image_dir}, e.g. {missing[:_MAX_LISTED_MISSING]}; add them or remove their rows."
        )


def read_attribute_file(attr_path, image_dir, selected_attrs):
    """Parse `list_attr_celeba.txt`: `(filenames, labels)` in file order.

    `filenames` are the names as listed (relative to `image_dir`); `labels` is float32
    `[N, len(selected_attrs)]` of 0/1 in `selected_attrs` order. Raises `DataError`
    naming the file or flag for every malformed input.
    """
    lines = _read_lines(attr_path)
    (count_line, count_text), (_, names_text) = lines[0], lines[1]
    try:
        declared_count = int(count_text.strip())
    except ValueError:
        raise DataError(
            f"{attr_path} line {count_line}: expected the image count, got {count_text.strip()!r}."
        ) from None
    file_attrs = names_text.split()
    columns = _column_indices(attr_path, file_attrs, selected_attrs)
    filenames, rows = [], []
    for line_number, text in lines[2:]:
        fields = text.split()
        if len(fields) != len(file_attrs) + 1 or any(v not in ("1", "-1") for v in fields[1:]):
            raise DataError(
                f"{attr_path} line {line_number}: expected a file name and {len(file_attrs)} values "
                f"of 1/-1, got {len(fields) - 1} value(s); fix or remove this row."
            )
        filenames.append(fields[0])
        rows.append([fields[1 + c] == "1" for c in columns])
    if declared_count != len(filenames):
        raise DataError(
            f"{attr_path} line {count_line} says {declared_count} images but the file has "
            f"{len(filenames)} rows; fix the count line or the rows."
        )
    _check_images_exist(image_dir, filenames)
    return filenames, np.asarray(rows, dtype=np.float32).reshape(len(filenames), len(selected_attrs))


def split_indices(num_rows, split, num_test=None):
    """Row indices of the official split: `random.Random(1234).shuffle`, first `num_test` are test.

    Python's `random` with seed 1234 reproduces the official `random.seed(1234);
    random.shuffle(lines)` exactly. `num_test=None` means the official 1999, capped at
    a tenth of the rows so small datasets keep a training split.
    """
    if num_test is None:
        num_test = min(OFFICIAL_NUM_TEST, num_rows // 10)
    if not 0 < num_test < num_rows:
        raise DataError(f"cannot hold out {num_test} test images from {num_rows}; lower num_test.")
    order = list(range(num_rows))
    random.Random(SPLIT_SEED).shuffle(order)
    if split == "test":
        return order[:num_test]
    if split == "train":
        return order[num_test:]
    raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def celeba_dataset(
    image_dir,
    attr_path,
    selected_attrs,
    split="train",
    image_size=128,
    crop_size=178,
    global_batch_size=16,
    seed=0,
    start_step=0,
    flip=True,
    cache=False,
    validation_cache_file=None,
    exclusive_groups=DEFAULT_EXCLUSIVE_GROUPS,
    num_test=None,
):
    """The CelebA train or test pipeline as a `DatasetInfo`.

    train: infinite `{"image" [B,S,S,3] in [-1,1], "label" [B,c], "target" [B,c]}`, random
    flip, resumable at `start_step`. test: finite `{"image", "label"}` in split order, no
    flip, batches of `global_batch_size` with a short last batch. Every image of the split
    is checked with `validate_image_files` first (skipped when `validation_cache_file`
    records the same files). `exclusive_groups` is the `--exclusive_groups` flag string.
    """
    filenames, label_array = read_attribute_file(attr_path, image_dir, selected_attrs)
    rows = split_indices(len(filenames), split, num_test)
    paths = tuple(os.path.join(image_dir, filenames[i]) for i in rows)
    label_array = label_array[rows]
    images.validate_image_files(paths, validation_cache_file)
    label_space = LabelSpace.from_flags(selected_attrs, exclusive_groups)
    if split == "train":
        dataset = labeled.labeled_train_dataset(
            paths, label_array, image_size, crop_size, global_batch_size, seed, start_step, flip, cache
        )
    else:
        dataset = labeled.labeled_test_dataset(paths, label_array, image_size, crop_size, global_batch_size, cache)
    return labeled.DatasetInfo(dataset, len(paths), label_space, paths)
