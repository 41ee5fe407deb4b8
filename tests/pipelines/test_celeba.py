"""CelebA attribute-file parser, its error messages, and the official split."""

import random

import numpy as np
import pytest

from stargan_tf.pipelines import DataError, SHAPES_ATTRIBUTES, read_attribute_file, split_indices

ATTRS = ["Blue_Shape", "Large"]


def _write(tmp_path, text):
    """Write an attribute file with `text` and return its path."""
    path = tmp_path / "list_attr_celeba.txt"
    path.write_text(text)
    return str(path)


def test_parses_real_file_in_selected_order(shapes):
    names, labels = read_attribute_file(shapes["attr_path"], shapes["celeba_image_dir"], ATTRS)
    assert len(names) == shapes["num_images"] and names[0] == "000001.jpg"
    assert labels.dtype == np.float32 and labels.shape == (shapes["num_images"], 2)
    with open(shapes["attr_path"]) as handle:
        first_row = handle.readlines()[2].split()
    expected = [first_row[1 + SHAPES_ATTRIBUTES.index(a)] == "1" for a in ATTRS]
    np.testing.assert_array_equal(labels[0], np.array(expected, np.float32))


def test_missing_file_names_the_flag(tmp_path, shapes):
    with pytest.raises(DataError, match="--attr_path .*nope.txt"):
        read_attribute_file(str(tmp_path / "nope.txt"), shapes["celeba_image_dir"], ATTRS)


def test_unknown_attribute_lists_available(tmp_path, shapes):
    path = _write(tmp_path, "1\nBlue_Shape Large\n000001.jpg 1 -1\n")
    with pytest.raises(DataError, match="--selected_attrs.*Black_Hair.*available attributes: Blue_Shape Large"):
        read_attribute_file(path, shapes["celeba_image_dir"], ["Black_Hair"])


def test_row_with_wrong_value_count_names_line(tmp_path, shapes):
    path = _write(tmp_path, "2\nBlue_Shape Large\n000001.jpg 1 -1\n000002.jpg  1\n")
    with pytest.raises(DataError, match="list_attr_celeba.txt line 4"):
        read_attribute_file(path, shapes["celeba_image_dir"], ATTRS)


def test_count_line_disagreeing_with_rows(tmp_path, shapes):
    path = _write(tmp_path, "3\nBlue_Shape Large\n000001.jpg 1 -1\n000002.jpg -1  1\n")
    with pytest.raises(DataError, match="says 3 images but the file has 2 rows"):
        read_attribute_file(path, shapes["celeba_image_dir"], ATTRS)


def test_missing_images_are_listed(tmp_path, shapes):
    path = _write(tmp_path, "2\nBlue_Shape Large\n000001.jpg 1 -1\nghost.jpg -1  1\n")
    with pytest.raises(DataError, match=r"1 image\(s\).*--celeba_image_dir.*ghost.jpg"):
        read_attribute_file(path, shapes["celeba_image_dir"], ATTRS)
    with pytest.raises(DataError, match="--celeba_image_dir .*no_dir"):
        read_attribute_file(path, str(tmp_path / "no_dir"), ATTRS)


def test_empty_file(tmp_path, shapes):
    for text in ("", "0\nBlue_Shape Large\n"):
        path = _write(tmp_path, text)
        with pytest.raises(DataError, match="list_attr_celeba.txt is empty"):
            read_attribute_file(path, shapes["celeba_image_dir"], ATTRS)


def test_official_split_sizes_and_order():
    test, train = split_indices(202599, "test"), split_indices(202599, "train")
    assert len(test) == 1999 and len(train) == 200600
    assert sorted(test + train) == list(range(202599))
    official = list(range(202599))
    random.seed(1234)
    random.shuffle(official)
    assert test == official[:1999]


def test_small_dataset_keeps_a_train_split():
    assert len(split_indices(60, "test")) == 6 and len(split_indices(60, "train")) == 54
    with pytest.raises(DataError, match="lower num_test"):
        split_indices(60, "train", num_test=60)
