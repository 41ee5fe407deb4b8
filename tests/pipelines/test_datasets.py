"""tf.data pipelines: structure, determinism, exact resume, cache equivalence, splits, errors."""

import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.pipelines import (
    SHAPES_ATTRIBUTES,
    DataError,
    both_dataset,
    celeba_dataset,
    decode_and_resize,
    rafd_dataset,
    unpaired_dataset,
)

SIZE = 16


def _celeba(shapes, **kwargs):
    """The shapes CelebA-style pipeline at 16 pixels with batch 4, overridable."""
    options = dict(image_size=SIZE, crop_size=None, global_batch_size=4, seed=7)
    options.update(kwargs)
    return celeba_dataset(shapes["celeba_image_dir"], shapes["attr_path"], list(SHAPES_ATTRIBUTES), **options)


def _batches(dataset, count):
    """The first `count` batches as dicts of numpy arrays."""
    return [{k: v.numpy() for k, v in b.items()} for b in dataset.take(count)]


def _assert_same(batches_a, batches_b):
    """Two lists of batch dicts are identical."""
    assert len(batches_a) == len(batches_b)
    for a, b in zip(batches_a, batches_b):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])


def test_celeba_train_structure(shapes):
    info = _celeba(shapes)
    assert info.num_examples == 54 and len(info.filenames) == 54
    assert info.label_space.names == SHAPES_ATTRIBUTES
    batch = _batches(info.dataset, 1)[0]
    assert set(batch) == {"image", "label", "target"}
    assert batch["image"].shape == (4, SIZE, SIZE, 3) and batch["image"].dtype == np.float32
    assert -1.0 <= batch["image"].min() and batch["image"].max() <= 1.0
    assert batch["label"].shape == batch["target"].shape == (4, len(SHAPES_ATTRIBUTES))
    assert set(np.unique(batch["label"])) <= {0.0, 1.0}


def test_deterministic_resume_and_cache(shapes):
    reference = _batches(_celeba(shapes).dataset, 6)
    _assert_same(reference, _batches(_celeba(shapes).dataset, 6))
    _assert_same(reference[4:], _batches(_celeba(shapes, start_step=4).dataset, 2))
    _assert_same(reference, _batches(_celeba(shapes, cache=True).dataset, 6))
    other_seed = _batches(_celeba(shapes, seed=8).dataset, 1)[0]
    assert not np.array_equal(other_seed["image"], reference[0]["image"])


def test_targets_are_a_permutation_of_labels_within_each_batch(shapes):
    batches = _batches(_celeba(shapes, global_batch_size=8).dataset, 5)
    for batch in batches:
        assert sorted(map(tuple, batch["target"])) == sorted(map(tuple, batch["label"]))
    assert any(not np.array_equal(b["target"], b["label"]) for b in batches)


def test_each_epoch_reads_every_train_file_once(shapes):
    info = _celeba(shapes, global_batch_size=6, flip=False, cache=True)
    expected = sorted(decode_and_resize(tf.constant(p), SIZE).numpy().tobytes() for p in info.filenames)
    epochs = _batches(info.dataset, 18)  # 54 files / 6 = 9 batches per epoch
    for epoch in (epochs[:9], epochs[9:]):
        seen = sorted(image.tobytes() for batch in epoch for image in batch["image"])
        assert seen == expected
    assert not np.array_equal(epochs[0]["image"], epochs[9]["image"])  # a new order each epoch


def test_celeba_test_split_is_finite_ordered_and_unaugmented(shapes):
    info = _celeba(shapes, split="test", global_batch_size=4)
    batches = _batches(info.dataset, 100)
    assert [len(b["image"]) for b in batches] == [4, 2] and info.num_examples == 6
    assert set(batches[0]) == {"image", "label"}
    first = decode_and_resize(tf.constant(info.filenames[0]), SIZE).numpy()
    np.testing.assert_array_equal(batches[0]["image"][0], first)


def test_rafd_one_hot_classes(shapes):
    info = rafd_dataset(shapes["rafd_image_dir"], image_size=SIZE, global_batch_size=4, seed=1)
    assert info.label_space.names == ("Blue_Shape", "Green_Shape", "Red_Shape") and info.label_space.single_label
    batch = _batches(info.dataset, 1)[0]
    np.testing.assert_array_equal(batch["label"].sum(axis=1), 1.0)
    assert set(batch) == {"image", "label", "target"}
    # The label is the class folder: blue-class images have a dominant blue channel.
    blue = batch["image"][batch["label"][:, 0] == 1]
    red = batch["image"][batch["label"][:, 2] == 1]
    for images, channel in ((blue, 2), (red, 0)):
        for image in images:
            saturated = image.max(axis=2) - image.min(axis=2) > 0.8
            assert np.argmax(image[saturated].mean(axis=0)) == channel
    test = rafd_dataset(shapes["rafd_test_dir"], split="test", image_size=SIZE, global_batch_size=4,
                        classes=info.label_space.names)
    assert sum(len(b["image"]) for b in _batches(test.dataset, 100)) == test.num_examples == 6


def test_rafd_test_folder_must_have_the_training_classes(shapes):
    with pytest.raises(DataError) as error:
        rafd_dataset(shapes["rafd_test_dir"], split="test", classes=("Blue_Shape", "Red_Shape", "Yellow_Shape"))
    assert str(error.value) == (
        f"--rafd_image_dir: {shapes['rafd_test_dir']} has class sub-folders Blue_Shape, Green_Shape, Red_Shape "
        "but training uses Blue_Shape, Red_Shape, Yellow_Shape; give both folders the same class sub-folders."
    )


def test_both_pairs_celeba_and_rafd(shapes):
    rafd = rafd_dataset(shapes["rafd_image_dir"], image_size=SIZE, global_batch_size=4)
    batch = next(iter(both_dataset(_celeba(shapes).dataset, rafd.dataset)))
    assert set(batch) == {"celeba", "rafd"}
    assert batch["celeba"]["label"].shape == (4, len(SHAPES_ATTRIBUTES)) and batch["rafd"]["label"].shape == (4, 3)


def test_unpaired_train_unequal_domains_and_resume(shapes):
    info = unpaired_dataset(shapes["circle2square"], image_size=SIZE, global_batch_size=2, seed=3)
    assert info.num_a != info.num_b and info.dataset_b is None
    batches = _batches(info.dataset, 40)  # more steps than either domain has images
    assert set(batches[0]) == {"image_a", "image_b"}
    assert batches[0]["image_a"].shape == (2, SIZE, SIZE, 3)
    assert -1.0 <= min(b["image_b"].min() for b in batches) and max(b["image_a"].max() for b in batches) <= 1.0
    resumed = unpaired_dataset(shapes["circle2square"], image_size=SIZE, global_batch_size=2, seed=3, start_step=25)
    _assert_same(batches[25:30], _batches(resumed.dataset, 5))
    cached = unpaired_dataset(shapes["circle2square"], image_size=SIZE, global_batch_size=2, seed=3, cache=True)
    _assert_same(batches[:3], _batches(cached.dataset, 3))


def test_unpaired_pairs_are_consecutive_draws_and_resume(shapes):
    """``images_per_example=2`` (DRIT): example j holds draws 2j and 2j + 1 of each domain,
    the very images the one-image stream gives at twice the batch, so a batch of pairs
    splits across replicas by whole pairs."""
    single = _batches(unpaired_dataset(shapes["gray2color"], image_size=SIZE, global_batch_size=4, seed=3).dataset, 3)
    pairs = unpaired_dataset(shapes["gray2color"], image_size=SIZE, global_batch_size=4, seed=3, images_per_example=2)
    batches = _batches(pairs.dataset, 3)
    assert set(batches[0]) == {"image_a", "image_b", "image_a_random", "image_b_random"}
    assert batches[0]["image_a"].shape == (2, SIZE, SIZE, 3)
    for one, two in zip(single, batches):
        for domain in ("a", "b"):
            np.testing.assert_array_equal(two[f"image_{domain}"], one[f"image_{domain}"][0::2])
            np.testing.assert_array_equal(two[f"image_{domain}_random"], one[f"image_{domain}"][1::2])
    resumed = unpaired_dataset(shapes["gray2color"], image_size=SIZE, global_batch_size=4, seed=3, start_step=2,
                               images_per_example=2)
    _assert_same(batches[2:3], _batches(resumed.dataset, 1))
    with pytest.raises(ValueError, match="images_per_example"):
        unpaired_dataset(shapes["gray2color"], image_size=SIZE, global_batch_size=3, images_per_example=2)


def test_unpaired_load_size_sets_the_crop_margin(tmp_path):
    """One gradient image per domain: with load_size == image_size (and no flip) every element
    is that image resized; with the default image_size + 30 the random crops differ."""
    from PIL import Image

    ramp = np.tile(np.linspace(0, 255, 40, dtype=np.uint8)[None, :, None], (40, 1, 3))
    for folder in ("trainA", "trainB"):
        (tmp_path / folder).mkdir()
        Image.fromarray(ramp).save(tmp_path / folder / "x.png")
    exact = _batches(unpaired_dataset(str(tmp_path), image_size=SIZE, load_size=SIZE, flip=False,
                                      global_batch_size=4).dataset, 2)
    resized = tf.image.resize(ramp[None].astype(np.float32), (SIZE, SIZE)).numpy()[0] / 127.5 - 1.0
    for batch in exact:
        np.testing.assert_allclose(batch["image_a"], np.broadcast_to(resized, (4, SIZE, SIZE, 3)), atol=2e-2)
    cropped = _batches(unpaired_dataset(str(tmp_path), image_size=SIZE, flip=False, global_batch_size=4).dataset, 1)
    assert np.ptp(cropped[0]["image_a"][:, 0, 0, 0]) > 0.1, "crops from the 46 px resize should differ"


def test_unpaired_test_readers(shapes):
    info = unpaired_dataset(shapes["red2blue"], split="test", image_size=SIZE, global_batch_size=2)
    a, b = _batches(info.dataset, 100), _batches(info.dataset_b, 100)
    assert set(a[0]) == {"image_a", "name"} and set(b[0]) == {"image_b", "name"}
    assert sum(len(x["name"]) for x in a) == info.num_a and sum(len(x["name"]) for x in b) == info.num_b
    assert a[0]["name"][0] == b"000001.jpg" and a[0]["image_a"].shape[1:] == (SIZE, SIZE, 3)


def test_unpaired_test_images_framed_as_the_training_crops(shapes):
    """``test_load_size`` (DRIT's test loader): each test image resized to it and its centred
    ``image_size`` window taken, the same pixels as the straight resize to that size, cropped."""
    load = SIZE + 5  # offset round(2.5) = 2, torchvision's rule
    framed = unpaired_dataset(shapes["gray2color"], split="test", image_size=SIZE, global_batch_size=2,
                              test_load_size=load)
    larger = unpaired_dataset(shapes["gray2color"], split="test", image_size=load, global_batch_size=2)
    for dataset, key in ((framed.dataset, "image_a"), (framed.dataset_b, "image_b")):
        got = next(iter(dataset))[key].numpy()
        expected = next(iter(larger.dataset if key == "image_a" else larger.dataset_b))[key].numpy()
        assert got.shape == (2, SIZE, SIZE, 3)
        np.testing.assert_array_equal(got, expected[:, 2:2 + SIZE, 2:2 + SIZE])


def test_folder_errors(shapes, tmp_path):
    with pytest.raises(DataError, match="--rafd_image_dir .*missing"):
        rafd_dataset(str(tmp_path / "missing"))
    one_class = tmp_path / "one"
    shutil.copytree(os.path.join(shapes["rafd_test_dir"], "Red_Shape"), one_class / "Red_Shape")
    with pytest.raises(DataError, match="at least 2"):
        rafd_dataset(str(one_class))
    (one_class / "Empty_Class").mkdir()
    with pytest.raises(DataError, match=f"--rafd_image_dir {one_class}: class folder Empty_Class has no image files"):
        rafd_dataset(str(one_class))
    not_a_folder = one_class / "Red_Shape" / os.listdir(one_class / "Red_Shape")[0]
    with pytest.raises(DataError, match=f"--rafd_image_dir {not_a_folder} is not a folder"):
        rafd_dataset(str(not_a_folder))
    pair = tmp_path / "pair"
    shutil.copytree(os.path.join(shapes["red2blue"], "trainA"), pair / "trainA")
    with pytest.raises(DataError, match="trainB.*trainA, .*trainB, .*testA, .*testB"):
        unpaired_dataset(str(pair))
    (pair / "trainB").mkdir()
    with pytest.raises(DataError, match="trainB has no image files"):
        unpaired_dataset(str(pair))


def _small_celeba(shapes, tmp_path, num_images):
    """An attribute file listing the first `num_images` shapes images (same image folder)."""
    with open(shapes["attr_path"]) as handle:
        lines = handle.read().splitlines()
    path = tmp_path / f"attrs-{num_images}.txt"
    path.write_text("\n".join([str(num_images), lines[1]] + lines[2 : 2 + num_images]) + "\n")
    return dict(shapes, attr_path=str(path))


def test_eight_images_train_on_all_and_sample_from_training_images(shapes, tmp_path, capsys):
    small = _small_celeba(shapes, tmp_path, 8)
    train = _celeba(small)
    assert train.num_examples == 8 and len(_batches(train.dataset, 3)) == 3
    assert capsys.readouterr().out == ""
    test = _celeba(small, split="test", global_batch_size=16)
    assert test.filenames == train.filenames  # the training images, in split order
    (batch,) = _batches(test.dataset, 100)
    assert set(batch) == {"image", "label"} and len(batch["image"]) == 8
    assert capsys.readouterr().out == (
        f"CelebA: 8 images in {small['attr_path']} are too few to hold out a test split (one in 10 is held out); "
        "sample grids use training images.\n"
    )


@pytest.mark.parametrize("num_images", [1, 3])
def test_fewer_images_than_the_batch_repeat_files(shapes, tmp_path, num_images):
    info = _celeba(_small_celeba(shapes, tmp_path, num_images), global_batch_size=16, flip=False, cache=True)
    expected = sorted(decode_and_resize(tf.constant(p), SIZE).numpy().tobytes() for p in info.filenames)
    for batch in _batches(info.dataset, 2):
        assert batch["image"].shape == (16, SIZE, SIZE, 3)
        assert sorted(set(image.tobytes() for image in batch["image"])) == expected


def test_rafd_one_image_per_class_fills_a_batch(shapes, tmp_path):
    for name in ("Red_Shape", "Blue_Shape"):
        (tmp_path / name).mkdir()
        first = sorted(os.listdir(os.path.join(shapes["rafd_test_dir"], name)))[0]
        shutil.copy(os.path.join(shapes["rafd_test_dir"], name, first), tmp_path / name / first)
    info = rafd_dataset(str(tmp_path), image_size=SIZE, global_batch_size=16)
    batch = _batches(info.dataset, 1)[0]
    assert info.num_examples == 2 and batch["image"].shape == (16, SIZE, SIZE, 3)
    np.testing.assert_array_equal(batch["label"].sum(axis=0), [8, 8])
