"""CelebA: `list_attr_celeba.txt` + an image folder, with the official StarGAN split.

File format (UTF-8 or ASCII, a leading byte-order mark allowed): line 1 the image count,
line 2 the attribute names, then one row per image, `000001.jpg -1  1  1 -1 ...`
(whitespace separated; 1 = has attribute, -1 = has not). Image names are plain file names
inside the image folder, each listed once.
"""

import codecs
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
# Small datasets hold out one image per this many rows, so fewer rows than this hold out none.
ROWS_PER_TEST_IMAGE = 10
_MAX_LISTED = 5
_VALUES = frozenset(("1", "-1"))
_FORMAT = (
    "the image count on line 1, the attribute names on line 2, then one row per image "
    "such as `000001.jpg -1 1 1 -1 ...`"
)


def _decode(attr_path, raw):
    """The text of the file's bytes `raw`; a UTF-8 byte-order mark is dropped, other encodings refused."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\0" in raw[:4096]:
        raise DataError(
            f"--attr_path {attr_path} is UTF-16 text or a binary file; save it as UTF-8 (or ASCII) text "
            f"with {_FORMAT}."
        )
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise DataError(
            f"--attr_path {attr_path} line {line}: byte 0x{raw[error.start]:02x} is not UTF-8 text; "
            "save the file as UTF-8 (or ASCII) text."
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_lines(attr_path):
    """The non-blank lines of the attribute file as `(line_number, text)`; DataError if unusable."""
    if os.path.isdir(attr_path):
        raise DataError(f"--attr_path {attr_path} is a folder; point it at the attribute file list_attr_celeba.txt.")
    if not os.path.isfile(attr_path):
        raise DataError(f"--attr_path {attr_path} does not exist; point it at list_attr_celeba.txt.")
    try:
        with open(attr_path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise DataError(f"--attr_path {attr_path} cannot be read ({error.strerror}); check its permissions.") from None
    text = _decode(attr_path, raw)
    lines = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.strip()]
    if not lines:
        raise DataError(f"--attr_path {attr_path} is empty; it needs {_FORMAT}.")
    if len(lines) < 3:
        raise DataError(
            f"--attr_path {attr_path} has no image rows ({len(lines)} non-blank line(s)); it needs {_FORMAT}."
        )
    return lines


def _image_count(attr_path, line_number, text):
    """The count on line 1; DataError if it is not a number."""
    try:
        return int(text.strip())
    except ValueError:
        raise DataError(
            f"--attr_path {attr_path} line {line_number}: expected the number of images, got {text.strip()[:60]!r}; "
            f"the file needs {_FORMAT}."
        ) from None


def _attribute_names(attr_path, line_number, text):
    """The attribute names on line 2; DataError if repeated or if the line is an image row."""
    names = text.split()
    if len(names) > 1 and _VALUES.issuperset(names[1:]):
        raise DataError(
            f"--attr_path {attr_path} line {line_number} is an image row, not the attribute names; "
            f"the file needs {_FORMAT}."
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(
            f"--attr_path {attr_path} line {line_number} names attribute(s) {', '.join(repeated)} more than once; "
            "each column needs its own name."
        )
    return names


def _column_indices(attr_path, file_attrs, selected_attrs, attrs_flag):
    """Positions of `selected_attrs` among the file's attribute names; DataError if any is absent."""
    unknown = [a for a in selected_attrs if a not in file_attrs]
    if unknown or not selected_attrs:
        what = f"{', '.join(unknown)} not found in" if unknown else "is empty; name attributes of"
        raise DataError(
            f"{attrs_flag} {what} --attr_path {attr_path}; available attributes: {' '.join(file_attrs)}"
        )
    return [file_attrs.index(a) for a in selected_attrs]


def _row(attr_path, line_number, text, file_attrs, names_line):
    """`(file_name, values)` of one image row; DataError naming the line, column and value if malformed."""
    name, *values = text.split()
    if len(values) != len(file_attrs):
        spaced = len(values) > len(file_attrs) and values[0] not in _VALUES
        hint = f" (file names cannot contain spaces: rename {name} {values[0]})" if spaced else ""
        raise DataError(
            f"--attr_path {attr_path} line {line_number}: expected an image file name and {len(file_attrs)} "
            f"values (one per attribute named on line {names_line}), got {len(values)} value(s){hint}; "
            "fix or remove this row."
        )
    if name in (os.curdir, os.pardir) or "/" in name or (os.altsep and os.altsep in name):
        raise DataError(
            f"--attr_path {attr_path} line {line_number}: image name {name!r} is not a plain file name; "
            "list images by their names inside --celeba_image_dir (no folders, no '..')."
        )
    if not _VALUES.issuperset(values):
        column, attribute, value = next(
            (c, a, v) for c, (a, v) in enumerate(zip(file_attrs, values), start=2) if v not in _VALUES
        )
        hint = "; this format writes 'has not' as -1, not 0" if value == "0" else ""
        raise DataError(
            f"--attr_path {attr_path} line {line_number}, column {column} ({attribute}): got {value!r}; "
            f"values must be 1 (has the attribute) or -1 (has not){hint}."
        )
    return name, values


def _check_unique(attr_path, filenames, line_numbers):
    """DataError listing (with their lines) image names that have more than one row."""
    if len(set(filenames)) == len(filenames):
        return
    lines_of = {}
    for name, line in zip(filenames, line_numbers):
        lines_of.setdefault(name, []).append(line)
    repeated = [(name, lines) for name, lines in lines_of.items() if len(lines) > 1]
    listed = ", ".join(
        f"{name} (lines {', '.join(map(str, lines[:-1]))} and {lines[-1]})" for name, lines in repeated[:_MAX_LISTED]
    )
    more = f" and {len(repeated) - _MAX_LISTED} more" if len(repeated) > _MAX_LISTED else ""
    raise DataError(
        f"--attr_path {attr_path} lists {len(repeated)} image name(s) more than once: {listed}{more}; "
        "each image needs exactly one row, so remove the repeated rows."
    )


def _check_images_exist(attr_path, image_dir, filenames, line_numbers):
    """DataError if `image_dir` is missing or lacks any listed image."""
    if not os.path.isdir(image_dir):
        raise DataError(
            f"--celeba_image_dir {image_dir} does not exist or is not a folder; point it at the folder of the "
            f"images listed in --attr_path {attr_path}."
        )
    present = {e.name for e in os.scandir(image_dir) if e.is_file()}
    missing = [(f, n) for f, n in zip(filenames, line_numbers) if f not in present]
    if missing:
        listed = ", ".join(f"{f} (line {n})" for f, n in missing[:_MAX_LISTED])
        raise DataError(
            f"{len(missing)} of the {len(filenames)} image(s) listed in --attr_path {attr_path} are not files in "
            f"--celeba_image_dir {image_dir}, e.g. {listed}; add the images or remove their rows."
        )


def read_attribute_file(attr_path, image_dir, selected_attrs, attrs_flag="--selected_attrs"):
    """Parse `list_attr_celeba.txt`: `(filenames, labels)` in file order.

    `filenames` are the names as listed (relative to `image_dir`); `labels` is float32
    `[N, len(selected_attrs)]` of 0/1 in `selected_attrs` order. Raises `DataError`
    naming the flag, the file and the line for every malformed input (`attrs_flag`: the
    flag that named the attributes).
    """
    lines = _read_lines(attr_path)
    declared_count = _image_count(attr_path, *lines[0])
    names_line = lines[1][0]
    file_attrs = _attribute_names(attr_path, *lines[1])
    columns = _column_indices(attr_path, file_attrs, selected_attrs, attrs_flag)
    filenames, line_numbers, rows = [], [], []
    for line_number, text in lines[2:]:
        name, values = _row(attr_path, line_number, text, file_attrs, names_line)
        filenames.append(name)
        line_numbers.append(line_number)
        rows.append([values[c] == "1" for c in columns])
    _check_unique(attr_path, filenames, line_numbers)
    if declared_count != len(filenames):
        count_line = lines[0][0]
        raise DataError(
            f"--attr_path {attr_path} line {count_line} says {declared_count} images but the file has "
            f"{len(filenames)} image rows; fix the count on line {count_line} or the rows."
        )
    _check_images_exist(attr_path, image_dir, filenames, line_numbers)
    return filenames, np.asarray(rows, dtype=np.float32).reshape(len(filenames), len(selected_attrs))


def default_num_test(num_rows):
    """The official 1999 test rows, capped at a tenth of the rows (so 0 below 10 rows)."""
    return min(OFFICIAL_NUM_TEST, num_rows // ROWS_PER_TEST_IMAGE)


def split_indices(num_rows, split, num_test=None):
    """Row indices of the official split: `random.Random(1234).shuffle`, first `num_test` are test.

    Python's `random` with seed 1234 reproduces the official `random.seed(1234);
    random.shuffle(lines)` exactly. `num_test=None` means `default_num_test(num_rows)`:
    a small dataset keeps a training split, and below 10 rows the test split is empty.
    """
    if num_test is None:
        num_test = default_num_test(num_rows)
    elif not 0 < num_test < num_rows:
        raise ValueError(f"num_test={num_test} must hold out at least 1 and fewer than all {num_rows} rows.")
    order = list(range(num_rows))
    random.Random(SPLIT_SEED).shuffle(order)
    if split == "test":
        return order[:num_test]
    if split == "train":
        return order[num_test:]
    raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def ordered_split_indices(num_rows, split, num_train):
    """Row indices of a split in file order: the first `num_train` rows train, the rest test
    (SpatialAttentionGAN's CelebA split: 200,000 and 2,599). A file of `num_train` rows or
    fewer holds out its last `default_num_test(num_rows)` rows instead."""
    if num_rows <= num_train:
        num_train = num_rows - default_num_test(num_rows)
    if split == "train":
        return list(range(num_train))
    if split == "test":
        return list(range(num_train, num_rows))
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
    num_train=None,
    attrs_flag="--selected_attrs",
):
    """The CelebA train or test pipeline as a `DatasetInfo`.

    train: infinite `{"image" [B,S,S,3] in [-1,1], "label" [B,c], "target" [B,c]}`, random
    flip, resumable at `start_step`; any number of images, fewer than B included (files
    repeat). test: finite `{"image", "label"}` in split order, no flip, batches of
    `global_batch_size` with a short last batch; with fewer than 10 images none is held
    out, and the test split is the training images (a printed line says so). Every image
    of the split is checked with `validate_image_files` first (skipped when
    `validation_cache_file` records the same files). `exclusive_groups` is the
    `--exclusive_attrs` flag string. The split is the official StarGAN one (`num_test`),
    or the first `num_train` rows when that is given (`ordered_split_indices`).
    """
    filenames, label_array = read_attribute_file(attr_path, image_dir, selected_attrs, attrs_flag)

    def split_rows(which):
        if num_train is not None:
            return ordered_split_indices(len(filenames), which, num_train)
        return split_indices(len(filenames), which, num_test)

    rows = split_rows(split)
    if split == "test" and not rows:
        rows = split_rows("train")
        print(
            f"CelebA: {len(filenames)} images in {attr_path} are too few to hold out a test split "
            f"(one in {ROWS_PER_TEST_IMAGE} is held out); sample grids use training images."
        )
    label_space = LabelSpace.from_flags(selected_attrs, exclusive_groups)  # flag mistakes before decoding
    paths = tuple(os.path.join(image_dir, filenames[i]) for i in rows)
    label_array = label_array[rows]
    images.validate_image_files(paths, validation_cache_file)
    if split == "train":
        dataset = labeled.labeled_train_dataset(
            paths, label_array, image_size, crop_size, global_batch_size, seed, start_step, flip, cache
        )
    else:
        dataset = labeled.labeled_test_dataset(paths, label_array, image_size, crop_size, global_batch_size, cache)
    return labeled.DatasetInfo(dataset, len(paths), label_space, paths, label_array)
