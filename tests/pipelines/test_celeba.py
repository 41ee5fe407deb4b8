"""CelebA attribute-file parser, its error messages, and the official split."""

import random

import numpy as np
import pytest

from stargan_tf.pipelines import DataError, SHAPES_ATTRIBUTES, read_attribute_file, split_indices
from stargan_tf.pipelines.celeba import ordered_split_indices

ATTRS = ["Blue_Shape", "Large"]
HEADER = "Blue_Shape Large\n"


def _write(tmp_path, text, encoding="utf-8"):
    """Write an attribute file with `text` and return its path."""
    path = tmp_path / "list_attr_celeba.txt"
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


def _error(path, image_dir, attrs=ATTRS):
    """The message of the DataError that reading `path` raises."""
    with pytest.raises(DataError) as error:
        read_attribute_file(path, image_dir, attrs)
    return str(error.value)


def test_parses_real_file_in_selected_order(shapes):
    names, labels = read_attribute_file(shapes["attr_path"], shapes["celeba_image_dir"], ATTRS)
    assert len(names) == shapes["num_images"] and names[0] == "000001.jpg"
    assert labels.dtype == np.float32 and labels.shape == (shapes["num_images"], 2)
    with open(shapes["attr_path"]) as handle:
        first_row = handle.readlines()[2].split()
    expected = [first_row[1 + SHAPES_ATTRIBUTES.index(a)] == "1" for a in ATTRS]
    np.testing.assert_array_equal(labels[0], np.array(expected, np.float32))


def test_utf8_byte_order_mark_and_crlf_are_read(tmp_path, shapes):
    with open(shapes["attr_path"]) as handle:
        text = handle.read()
    path = _write(tmp_path, "\ufeff" + text.replace("\n", "\r\n"))
    names, labels = read_attribute_file(path, shapes["celeba_image_dir"], ATTRS)
    expected = read_attribute_file(shapes["attr_path"], shapes["celeba_image_dir"], ATTRS)
    assert names == expected[0]
    np.testing.assert_array_equal(labels, expected[1])


def test_other_encodings_are_refused_naming_the_file(tmp_path, shapes):
    latin1 = _write(tmp_path, "1\nBlue_Shape Large\ncaf\u00e9.jpg 1 -1\n", encoding="latin-1")
    message = _error(latin1, shapes["celeba_image_dir"])
    assert message.startswith(f"--attr_path {latin1} line 3: byte 0xe9 is not UTF-8 text")
    utf16 = _write(tmp_path, "1\nBlue_Shape Large\n000001.jpg 1 -1\n", encoding="utf-16")
    assert "is UTF-16 text or a binary file; save it as UTF-8" in _error(utf16, shapes["celeba_image_dir"])


def test_duplicate_image_names_are_listed_with_their_lines(tmp_path, shapes):
    rows = ["000001.jpg 1 -1", "000002.jpg -1 1", "000001.jpg 1 1", "000003.jpg 1 1", "000002.jpg 1 1",
            "000001.jpg -1 -1"]
    path = _write(tmp_path, f"6\n{HEADER}" + "\n".join(rows) + "\n")
    assert _error(path, shapes["celeba_image_dir"]) == (
        f"--attr_path {path} lists 2 image name(s) more than once: 000001.jpg (lines 3, 5 and 8), "
        "000002.jpg (lines 4 and 7); each image needs exactly one row, so remove the repeated rows."
    )


def test_value_other_than_one_or_minus_one_names_line_column_attribute_and_value(tmp_path, shapes):
    path = _write(tmp_path, f"2\n{HEADER}000001.jpg 1 -1\n000002.jpg -1 0\n")
    assert _error(path, shapes["celeba_image_dir"]) == (
        f"--attr_path {path} line 4, column 3 (Large): got '0'; values must be 1 (has the attribute) "
        "or -1 (has not); this format writes 'has not' as -1, not 0."
    )
    path = _write(tmp_path, f"1\n{HEADER}000001.jpg yes -1\n")
    assert "line 3, column 2 (Blue_Shape): got 'yes'; values must be 1" in _error(path, shapes["celeba_image_dir"])


def test_row_with_wrong_value_count_names_line(tmp_path, shapes):
    path = _write(tmp_path, f"2\n{HEADER}000001.jpg 1 -1\n000002.jpg  1\n")
    assert _error(path, shapes["celeba_image_dir"]) == (
        f"--attr_path {path} line 4: expected an image file name and 2 values (one per attribute named on "
        "line 2), got 1 value(s); fix or remove this row."
    )
    path = _write(tmp_path, f"1\n{HEADER}my photo.jpg 1 -1\n")
    assert "got 3 value(s) (file names cannot contain spaces: rename my photo.jpg); fix" in _error(
        path, shapes["celeba_image_dir"])


@pytest.mark.parametrize("name", ["../000001.jpg", "sub/000001.jpg", "/etc/passwd", ".."])
def test_image_names_must_stay_inside_the_image_folder(tmp_path, shapes, name):
    path = _write(tmp_path, f"1\n{HEADER}{name} 1 -1\n")
    assert _error(path, shapes["celeba_image_dir"]) == (
        f"--attr_path {path} line 3: image name {name!r} is not a plain file name; list images by their "
        "names inside --celeba_image_dir (no folders, no '..')."
    )


def test_missing_file_or_folder_names_the_flag(tmp_path, shapes):
    missing = str(tmp_path / "nope.txt")
    assert _error(missing, shapes["celeba_image_dir"]) == (
        f"--attr_path {missing} does not exist; point it at list_attr_celeba.txt."
    )
    assert "is a folder; point it at the attribute file" in _error(str(tmp_path), shapes["celeba_image_dir"])


def test_unknown_or_no_selected_attribute_lists_available(tmp_path, shapes):
    path = _write(tmp_path, f"1\n{HEADER}000001.jpg 1 -1\n")
    assert _error(path, shapes["celeba_image_dir"], ["Black_Hair", "Large"]) == (
        f"--selected_attrs Black_Hair not found in --attr_path {path}; available attributes: Blue_Shape Large"
    )
    assert _error(path, shapes["celeba_image_dir"], []).startswith("--selected_attrs is empty; name attributes of")


def test_header_lines(tmp_path, shapes):
    path = _write(tmp_path, f"{HEADER}000001.jpg 1 -1\n000002.jpg -1 1\n")
    assert _error(path, shapes["celeba_image_dir"]).startswith(
        f"--attr_path {path} line 1: expected the number of images, got 'Blue_Shape Large'; the file needs "
        "the image count on line 1, the attribute names on line 2, then one row per image"
    )
    path = _write(tmp_path, "2\n000001.jpg 1 -1\n000002.jpg -1 1\n")
    assert "line 2 is an image row, not the attribute names" in _error(path, shapes["celeba_image_dir"])
    path = _write(tmp_path, "1\nLarge Blue_Shape Large\n000001.jpg 1 -1 1\n")
    assert "line 2 names attribute(s) Large more than once" in _error(path, shapes["celeba_image_dir"])


def test_count_line_disagreeing_with_rows(tmp_path, shapes):
    path = _write(tmp_path, f"3\n{HEADER}000001.jpg 1 -1\n000002.jpg -1  1\n")
    assert _error(path, shapes["celeba_image_dir"]) == (
        f"--attr_path {path} line 1 says 3 images but the file has 2 image rows; fix the count on line 1 "
        "or the rows."
    )


def test_missing_images_are_listed_with_their_lines(tmp_path, shapes):
    image_dir = shapes["celeba_image_dir"]
    path = _write(tmp_path, f"3\n{HEADER}000001.jpg 1 -1\nghost.jpg -1  1\n\nspook.png 1 1\n")
    assert _error(path, image_dir) == (
        f"2 of the 3 image(s) listed in --attr_path {path} are not files in --celeba_image_dir {image_dir}, "
        "e.g. ghost.jpg (line 4), spook.png (line 6); add the images or remove their rows."
    )
    assert _error(path, str(tmp_path / "no_dir")).startswith(
        f"--celeba_image_dir {tmp_path / 'no_dir'} does not exist or is not a folder; point it at the folder "
        f"of the images listed in --attr_path {path}."
    )


def test_empty_file_or_no_rows(tmp_path, shapes):
    path = _write(tmp_path, "\n \n")
    assert _error(path, shapes["celeba_image_dir"]).startswith(f"--attr_path {path} is empty; it needs the image count")
    path = _write(tmp_path, f"0\n{HEADER}")
    assert _error(path, shapes["celeba_image_dir"]).startswith(
        f"--attr_path {path} has no image rows (2 non-blank line(s)); it needs the image count"
    )


def test_official_split_sizes_and_order():
    test, train = split_indices(202599, "test"), split_indices(202599, "train")
    assert len(test) == 1999 and len(train) == 200600
    assert sorted(test + train) == list(range(202599))
    official = list(range(202599))
    random.seed(1234)
    random.shuffle(official)
    assert test == official[:1999]


def test_small_datasets_hold_out_a_tenth_and_below_ten_rows_none():
    assert len(split_indices(60, "test")) == 6 and len(split_indices(60, "train")) == 54
    assert len(split_indices(10, "test")) == 1 and len(split_indices(10, "train")) == 9
    for rows in (1, 3, 8, 9):
        assert split_indices(rows, "test") == []
        assert sorted(split_indices(rows, "train")) == list(range(rows))
    with pytest.raises(ValueError, match="num_test=60 must hold out at least 1 and fewer than all 60 rows"):
        split_indices(60, "train", num_test=60)


def test_ordered_split_is_the_first_rows_for_training_as_spatial_attention_gan():
    """SaGAN's CelebA split: rows 1-200,000 train, the 2,599 others test; a file with fewer
    rows than --celeba_train_images holds out its last tenth."""
    train, test = ordered_split_indices(202599, "train", 200_000), ordered_split_indices(202599, "test", 200_000)
    assert train == list(range(200_000)) and test == list(range(200_000, 202599))
    assert ordered_split_indices(64, "train", 200_000) == list(range(58))
    assert ordered_split_indices(64, "test", 200_000) == list(range(58, 64))
    assert ordered_split_indices(5, "test", 200_000) == []
