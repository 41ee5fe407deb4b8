"""Sketch | photo joint images (Contextual GAN's training data): pairs matched by file name,
the joint batches (grey sketch left, photo right, XDoG drawn in the pipeline), resumption,
the built-in data's loader, and the bad inputs named: unmatched names, empty folders, XDoG
parameters that draw blank sketches."""

import os
import types

import numpy as np
import pytest
from PIL import Image

from stargan_tf.cli import config_flags
from stargan_tf.cli.data import sketch_data
from stargan_tf.cli.data_options import SketchDataOptions
from stargan_tf.models import contextual_gan
from stargan_tf.models.config import ConfigError
from stargan_tf.pipelines import DataError, images, sketches
from stargan_tf.pipelines.xdog import LUMA, XDoGParameters, xdog

SIZE = 16
# Measured with benchmarks/xdog_shapes.py on the built-in shapes: the CPU preset's values
# (2-px lines on white paper at 32 px) and the grey-paper values that outline the most shapes
# at 64 px (README); the public code's defaults draw almost nothing on them.
BUILTIN_XDOG_32 = config_flags.resolve(contextual_gan.SPEC, {}).data.xdog_parameters()  # the CPU preset's
BUILTIN_XDOG_64 = XDoGParameters(sigma=0.6, k=2.0, tau=1.0, phi=20.0, epsilon=0.01)


def write_image(path, size, seed, grey=False):
    """A random image with a dark square (an edge for XDoG) at ``path``; ``size`` = (w, h)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(150, 256, (size[1], size[0], 3), dtype=np.uint8)
    pixels[size[1] // 4: size[1] // 2, size[0] // 4: size[0] // 2] = 20
    if grey:
        pixels[..., 1:] = pixels[..., :1]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(pixels).save(path)


def write_pairs(root, split, stems, sketch_stems=None):
    """Photos (JPEG, various sizes) and sketches (PNG) of ``stems`` under ``root/split``."""
    for i, stem in enumerate(stems):
        write_image(os.path.join(root, split, "photo", f"{stem}.jpg"), (20 + 4 * i, 24), seed=i)
    for i, stem in enumerate(stems if sketch_stems is None else sketch_stems):
        write_image(os.path.join(root, split, "sketch", f"{stem}.png"), (40, 40), seed=100 + i)


def write_photos(root, split, count):
    """``count`` photos of various sizes in ``root/split``; their sorted paths."""
    for i in range(count):
        write_image(os.path.join(root, split, f"{i:03d}.png"), (24 + 2 * i, 20 + i), seed=i)
    return sketches.read_photos(root, split)


def batches(dataset, count):
    """The joint images of the first ``count`` batches."""
    return [batch["joint"].numpy() for _, batch in zip(range(count), dataset)]


def test_pairs_are_matched_by_file_stem_whatever_the_extension(tmp_path):
    write_pairs(tmp_path, "train", ["b", "a", "c"])
    sketch_paths, photo_paths = sketches.read_sketch_pairs(tmp_path, "train")
    assert [os.path.basename(p) for p in sketch_paths] == ["a.png", "b.png", "c.png"]
    assert [os.path.basename(p) for p in photo_paths] == ["a.jpg", "b.jpg", "c.jpg"]


def test_unmatched_names_of_each_side_are_listed(tmp_path):
    write_pairs(tmp_path, "train", ["a", "b", "d"], sketch_stems=["a", "b", "c", "e"])
    with pytest.raises(DataError) as caught:
        sketches.read_sketch_pairs(tmp_path, "train")
    message = str(caught.value)
    assert "2 sketch file(s) have no photo of the same name (c, e)" in message
    assert "1 photo file(s) have no sketch of the same name (d)" in message
    assert str(tmp_path / "train") in message


def test_two_files_with_one_stem_are_refused(tmp_path):
    write_pairs(tmp_path, "train", ["a"])
    write_image(str(tmp_path / "train" / "photo" / "a.png"), (8, 8), seed=0)
    with pytest.raises(DataError, match="a.jpg / a.png share a file name"):
        sketches.read_sketch_pairs(tmp_path, "train")


def test_an_empty_or_missing_folder_is_named(tmp_path):
    write_pairs(tmp_path, "train", ["a"])
    os.remove(tmp_path / "train" / "photo" / "a.jpg")
    with pytest.raises(DataError, match=f"{tmp_path / 'train' / 'photo'} has no image files"):
        sketches.read_sketch_pairs(tmp_path, "train")
    with pytest.raises(DataError, match=f"{tmp_path / 'test'} does not exist"):
        sketches.read_photos(tmp_path, "test")


def test_drawn_sketches_are_the_grey_xdog_of_the_photo_beside_them(tmp_path):
    photos = write_photos(tmp_path, "train", 5)  # every size differs from SIZE: resized
    parameters = XDoGParameters(epsilon=0.0)
    joint = batches(sketches.sketch_dataset(photos, image_size=SIZE, global_batch_size=4,
                                            xdog_parameters=parameters), 1)[0]
    assert joint.shape == (4, SIZE, 2 * SIZE, 3) and joint.dtype == np.float32
    assert joint.min() >= -1.0 and joint.max() <= 1.0
    sketch, photo = joint[:, :, :SIZE], joint[:, :, SIZE:]
    assert np.array_equal(sketch[..., :1], sketch[..., 1:2]) and np.array_equal(sketch[..., :1], sketch[..., 2:])
    np.testing.assert_allclose(sketch[..., :1], xdog((photo + 1) / 2, parameters).numpy() * 2 - 1, atol=1e-6)
    assert (sketch < 0).any()  # lines drawn: the dark square's edges


def test_joint_halves_cut_the_sketch_left_and_the_photo_right():
    joint = np.concatenate([np.zeros((2, 4, 4, 3)), np.ones((2, 4, 4, 3))], axis=2)
    halves = sketches.joint_halves(joint)
    assert halves["sketch"].shape == halves["photo"].shape == (2, 4, 4, 3)
    assert halves["sketch"].max() == 0.0 and halves["photo"].min() == 1.0


def test_sketch_files_are_read_as_grey_left_halves(tmp_path):
    write_pairs(tmp_path, "test", ["a", "b", "c"])
    sketch_paths, photo_paths = sketches.read_sketch_pairs(tmp_path, "test")
    test = list(sketches.sketch_dataset(photo_paths, sketch_paths, split="test", image_size=SIZE,
                                        global_batch_size=2))
    assert [len(b["joint"]) for b in test] == [2, 1]  # finite, the last batch short
    assert [n.decode() for b in test for n in b["name"].numpy()] == ["a.jpg", "b.jpg", "c.jpg"]
    joint = np.concatenate([b["joint"].numpy() for b in test])
    sketch = joint[:, :, :SIZE]
    assert np.array_equal(sketch[..., :1], sketch[..., 2:])
    resized = np.stack([images.decode_and_resize(p, SIZE).numpy() for p in sketch_paths])  # as every pipeline
    np.testing.assert_allclose(sketch[..., 0], resized @ np.asarray(LUMA, np.float32), atol=1e-6)
    assert np.array_equal(joint[:, :, SIZE:], np.stack([images.decode_and_resize(p, SIZE) for p in photo_paths]))


@pytest.mark.parametrize("cache", [False, True])
def test_training_resumes_at_any_step_and_the_cache_gives_the_same_pixels(tmp_path, cache):
    photos = write_photos(tmp_path, "train", 5)
    settings = dict(image_size=SIZE, global_batch_size=3, seed=7, xdog_parameters=XDoGParameters(epsilon=0.0))
    reference = batches(sketches.sketch_dataset(photos, **settings), 6)
    resumed = batches(sketches.sketch_dataset(photos, start_step=2, cache=cache, **settings), 4)
    for k, batch in enumerate(resumed):
        np.testing.assert_array_equal(batch, reference[2 + k])
    seen = np.concatenate(reference[:5])[:, :, SIZE:]  # 15 draws: three epochs of the 5 photos
    assert len({p.tobytes() for p in seen}) == 5


def loader_config(image_size):
    """The system configuration fields the loader reads."""
    return types.SimpleNamespace(image_size=image_size, batch_size=4, seed=0)


def xdog_flags(parameters):
    """The ``--xdog_*`` option values of ``parameters``."""
    return {f"xdog_{name}": getattr(parameters, name) for name in ("sigma", "k", "tau", "phi", "epsilon")}


def test_the_public_xdog_defaults_draw_blank_sketches_of_the_builtin_shapes(builtin_data, tmp_path):
    with pytest.raises(DataError) as caught:
        sketch_data(loader_config(32), SketchDataOptions(**builtin_data), tmp_path)
    message = str(caught.value)
    assert "--xdog_epsilon=-0.1 draws almost no lines" in message and "raise --xdog_epsilon" in message


@pytest.mark.parametrize("image_size, parameters", [(32, BUILTIN_XDOG_32), (64, BUILTIN_XDOG_64)])
def test_the_builtin_shapes_with_measured_xdog_values(builtin_data, tmp_path, image_size, parameters):
    options = SketchDataOptions(**builtin_data, **xdog_flags(parameters))
    data = sketch_data(loader_config(image_size), options, tmp_path)
    assert data.name == "shapes" and data.xdog == parameters == options.xdog_parameters()
    train, test = (data.splits[split][0] for split in ("train", "test"))
    assert len(test) == 6 and len(train) == 58 and train[-1] < test[0]  # 64 images: the last tenth is test
    joint = next(iter(data.make_dataset(0)))["joint"].numpy()
    assert joint.shape == (4, image_size, 2 * image_size, 3)
    examples = data.sample_examples(3)
    assert {k: v.shape for k, v in examples.items()} == {"sketch": (3, image_size, image_size, 3),
                                                        "photo": (3, image_size, image_size, 3)}


def test_sketch_pairs_need_a_data_dir_and_keep_no_xdog(tmp_path):
    with pytest.raises(ConfigError, match="--data_dir"):
        SketchDataOptions(dataset="sketch_pairs")
    with pytest.raises(ConfigError, match="--xdog_sigma=0"):
        SketchDataOptions(xdog_sigma=0.0)
    for split in ("train", "test"):
        write_pairs(tmp_path / "pairs", split, ["a", "b"])
    data = sketch_data(loader_config(SIZE), SketchDataOptions(dataset="sketch_pairs",
                                                              data_dir=str(tmp_path / "pairs")), tmp_path / "cache")
    assert data.name == "pairs" and data.xdog is None
    assert next(iter(data.make_dataset(0)))["joint"].shape == (4, SIZE, 2 * SIZE, 3)
