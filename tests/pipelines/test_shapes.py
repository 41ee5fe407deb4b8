"""The procedural shapes dataset: determinism, idempotence, layout, labels that match pixels."""

import os

import numpy as np
from PIL import Image

from stargan_tf.pipelines import SHAPES_ATTRIBUTES, read_attribute_file, write_shapes_dataset


def _all_files(root):
    """Map of relative path -> bytes of every file under `root`."""
    out = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                out[os.path.relpath(path, root)] = handle.read()
    return out


def test_same_seed_same_bytes_and_other_seed_differs(shapes, tmp_path):
    again = write_shapes_dataset(tmp_path / "a", num_images=shapes["num_images"], image_size=shapes["image_size"], seed=0)
    assert _all_files(again["root"]) == _all_files(shapes["root"])
    other = write_shapes_dataset(tmp_path / "b", num_images=shapes["num_images"], image_size=shapes["image_size"], seed=1)
    assert _all_files(other["root"]) != _all_files(shapes["root"])


def test_idempotent_and_rewrites_on_new_parameters(tmp_path):
    paths = write_shapes_dataset(tmp_path, num_images=30, image_size=16)
    probe = os.path.join(paths["celeba_image_dir"], "000001.jpg")
    before = os.stat(probe).st_mtime_ns
    assert write_shapes_dataset(tmp_path, num_images=30, image_size=16) == paths
    assert os.stat(probe).st_mtime_ns == before
    write_shapes_dataset(tmp_path, num_images=20, image_size=16)
    assert len(os.listdir(paths["celeba_image_dir"])) == 20
    assert not os.path.exists(os.path.join(paths["celeba_image_dir"], "000021.jpg"))


def test_layout_and_counts(shapes):
    assert len(os.listdir(shapes["celeba_image_dir"])) == shapes["num_images"]
    rafd_counts = {
        split: {c: len(os.listdir(os.path.join(shapes[key], c))) for c in os.listdir(shapes[key])}
        for split, key in (("train", "rafd_image_dir"), ("test", "rafd_test_dir"))
    }
    assert set(rafd_counts["train"]) == set(rafd_counts["test"]) == {"Red_Shape", "Green_Shape", "Blue_Shape"}
    assert sum(rafd_counts["train"].values()) == 54 and sum(rafd_counts["test"].values()) == 6
    for pair in ("circle2square", "red2blue", "gray2color"):
        sizes = {d: len(os.listdir(os.path.join(shapes[pair], d))) for d in ("trainA", "trainB", "testA", "testB")}
        assert all(n > 0 for n in sizes.values())
        assert sizes["trainA"] != sizes["trainB"]
    with open(shapes["attr_path"]) as handle:
        assert handle.readline().strip() == str(shapes["num_images"])
        assert handle.readline().split() == list(SHAPES_ATTRIBUTES)


def _shape_pixels(pixels):
    """Boolean mask of strongly saturated (shape) pixels."""
    return pixels.max(axis=2).astype(int) - pixels.min(axis=2).astype(int) > 100


def _fill_ratio(mask):
    """Fraction of the mask's bounding box it covers: ~1 for a square, ~pi/4 for a circle."""
    ys, xs = np.nonzero(mask)
    return mask.sum() / ((np.ptp(ys) + 1) * (np.ptp(xs) + 1))


def test_attributes_match_pixels(shapes):
    names, labels = read_attribute_file(shapes["attr_path"], shapes["celeba_image_dir"], list(SHAPES_ATTRIBUTES))
    assert np.all(labels[:, :3].sum(axis=1) == 1)
    for name, row in zip(names, labels):
        pixels = np.asarray(Image.open(os.path.join(shapes["celeba_image_dir"], name)).convert("RGB"))
        mask = _shape_pixels(pixels)
        mean_colour = pixels[mask].mean(axis=0)
        assert int(np.argmax(mean_colour)) == int(np.argmax(row[:3])), name
        corner = pixels[:2, :2].mean()
        assert (corner < 85) if row[5] else (corner > 170), name
        area = mask.mean()
        assert (area > 0.2) if row[4] else (area < 0.2), name
        fill = _fill_ratio(mask)
        assert (fill > 0.88) if row[3] else (fill < 0.88), name
        # The spot: the darkest pixel (channel sum) of the 3x3 at the centre of the shape's box
        # against the fill's mean; 600 images measured: at most 0.48 with a spot (JPEG's
        # chroma subsampling lightens small ones), at least 0.93 without.
        ys, xs = np.nonzero(mask)
        y, x = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
        darkest = pixels[y - 1 : y + 2, x - 1 : x + 2].astype(int).sum(axis=2).min()
        ratio = darkest / pixels[mask].astype(int).sum(axis=1).mean()
        assert (ratio < 0.6) if row[6] else (ratio > 0.8), (name, ratio)
    assert 0.3 < labels[:, 6].mean() < 0.7  # Spot on about half of the images


def test_unpaired_domains_differ_as_described(shapes):
    def mean_fill_and_colour(folder):
        """Per-image fill ratio and dominant shape channel of a domain folder."""
        fills, colours = [], []
        for name in sorted(os.listdir(folder)):
            pixels = np.asarray(Image.open(os.path.join(folder, name)).convert("RGB"))
            mask = _shape_pixels(pixels)
            fills.append(_fill_ratio(mask))
            colours.append(int(np.argmax(pixels[mask].mean(axis=0))))
        return np.array(fills), np.array(colours)

    fill_a, _ = mean_fill_and_colour(os.path.join(shapes["circle2square"], "trainA"))
    fill_b, _ = mean_fill_and_colour(os.path.join(shapes["circle2square"], "trainB"))
    assert np.all(fill_a < 0.88) and np.all(fill_b > 0.88)
    _, colour_a = mean_fill_and_colour(os.path.join(shapes["red2blue"], "trainA"))
    _, colour_b = mean_fill_and_colour(os.path.join(shapes["red2blue"], "trainB"))
    assert np.all(colour_a == 0) and np.all(colour_b == 2)


def test_gray2color_has_grey_shapes_in_a_and_every_colour_in_b_on_light_backgrounds(shapes):
    """DRIT's pair: A's fill has equal channels near mid grey, B's one dominant channel, all
    three colours occurring (a multimodal target domain); every background light."""
    def shape_pixels_and_corner(path):
        pixels = np.asarray(Image.open(path).convert("RGB")).astype(int)
        corner = pixels[:2, :2].mean()
        return pixels[np.abs(pixels.mean(axis=2) - corner) > 40], corner

    colours = set()
    for domain in ("trainA", "trainB"):
        folder = os.path.join(shapes["gray2color"], domain)
        for name in sorted(os.listdir(folder)):
            fill, corner = shape_pixels_and_corner(os.path.join(folder, name))
            assert corner > 170, name
            mean = fill.mean(axis=0)
            if domain == "trainA":
                assert np.ptp(mean) < 12 and abs(mean.mean() - 128) < 16, (name, mean)
            else:
                assert mean.max() - np.sort(mean)[1] > 100, (name, mean)
                colours.add(int(np.argmax(mean)))
    assert colours == {0, 1, 2}
