"""Image decoding, up-front file validation, and loading the user's own photos."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from stargan_tf.pipelines import DataError, decode_and_resize, list_image_files, load_user_images, validate_image_files


def _save(path, image, **kwargs):
    """Save a PIL image and return the path as a string."""
    image.save(path, **kwargs)
    return str(path)


def _gradient(width, height):
    """A uint8 RGB test image whose red channel encodes the column."""
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    pixels = np.broadcast_to(x, (height, width, 3)).copy()
    pixels[..., 1] = 80
    return Image.fromarray(pixels.astype(np.uint8))


def test_decode_center_crops_then_resizes(tmp_path):
    # A 20x30 (w x h) PNG with a marker row band only in the centre crop's top row.
    pixels = np.zeros((30, 20, 3), np.uint8)
    pixels[5, :, 0] = 255  # row 5 is the first row of the centred 20x20 crop (offset (30-20)/2).
    path = _save(tmp_path / "a.png", Image.fromarray(pixels))
    image = decode_and_resize(tf.constant(path), image_size=20, crop_size=20).numpy()
    assert image.shape == (20, 20, 3) and image.dtype == np.float32
    assert image.min() >= -1.0 and image.max() <= 1.0
    np.testing.assert_allclose(image[0, :, 0], 1.0)
    np.testing.assert_allclose(image[1:, :, 0], -1.0)


def test_decode_from_bytes_matches_path_and_crop_clips_to_short_side(tmp_path):
    path = _save(tmp_path / "g.jpg", _gradient(40, 24), quality=95)
    from_path = decode_and_resize(tf.constant(path), 16, crop_size=100).numpy()
    with open(path, "rb") as handle:
        from_bytes = decode_and_resize(tf.constant(handle.read()), 16, crop_size=24, from_bytes=True).numpy()
    np.testing.assert_array_equal(from_path, from_bytes)


def test_decode_handles_grayscale_and_rgba(tmp_path):
    gray = _save(tmp_path / "g.png", Image.new("L", (10, 10), 255))
    rgba = _save(tmp_path / "r.png", Image.new("RGBA", (10, 10), (255, 0, 0, 128)))
    assert decode_and_resize(tf.constant(gray), 8).numpy().min() == 1.0
    np.testing.assert_allclose(decode_and_resize(tf.constant(rgba), 8).numpy()[0, 0], [1.0, -1.0, -1.0])


def test_validate_accepts_good_and_reports_bad_files(tmp_path):
    good = _save(tmp_path / "good.jpg", _gradient(64, 64), quality=95)
    with open(good, "rb") as handle:
        data = handle.read()
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(data[: len(data) // 2])
    fake = tmp_path / "fake.jpg"
    fake.write_text("this is not an image")
    validate_image_files([good])
    with pytest.raises(DataError) as caught:
        validate_image_files([good, str(truncated), str(fake)])
    message = str(caught.value)
    assert "2 of 3" in message and "truncated.jpg" in message and "fake.jpg" in message
    assert "good.jpg" not in message and "remove or replace these files" in message.lower()


def test_validate_cache_file_skips_revalidation(tmp_path):
    good = _save(tmp_path / "good.png", _gradient(8, 8))
    cache = tmp_path / "cache" / "validated.json"
    validate_image_files([good], cache_file=str(cache))
    assert len(json.loads(cache.read_text())["fingerprints"]) == 1
    validate_image_files([good], cache_file=str(cache))
    assert len(json.loads(cache.read_text())["fingerprints"]) == 1
    # A changed file changes the fingerprint, so it is checked again and caught.
    (tmp_path / "good.png").write_text("broken now")
    with pytest.raises(DataError, match="good.png"):
        validate_image_files([good], cache_file=str(cache))


def test_load_user_images_all_modes(tmp_path):
    _save(tmp_path / "a_rgba.png", Image.new("RGBA", (30, 30), (0, 0, 0, 0)))
    _save(tmp_path / "b_gray.png", Image.new("L", (20, 20), 0))
    palette = Image.new("P", (16, 16), 0)
    palette.putpalette([0, 0, 255] + [0] * 765)
    _save(tmp_path / "c_palette.png", palette)
    _save(tmp_path / "d_wide.jpg", _gradient(60, 20), quality=95)
    photos = load_user_images(str(tmp_path), 8)
    assert [os.path.basename(p) for p in photos.paths] == ["a_rgba.png", "b_gray.png", "c_palette.png", "d_wide.jpg"]
    assert photos.stems == ("a_rgba", "b_gray", "c_palette", "d_wide") and photos.skipped == ()
    images = photos.images
    assert images.shape == (4, 8, 8, 3) and images.dtype == np.float32
    np.testing.assert_allclose(images[0], 1.0)  # fully transparent -> white
    np.testing.assert_allclose(images[1], -1.0)
    np.testing.assert_allclose(images[2][0, 0], [-1.0, -1.0, 1.0])
    # The wide image is centre-cropped to its middle 20 columns: red stays mid-range.
    assert -0.5 < images[3][..., 0].mean() < 0.5
    single = load_user_images(str(tmp_path / "d_wide.jpg"), 8)
    assert single.stems == ("d_wide",)
    np.testing.assert_array_equal(single.images[0], images[3])
    assert load_user_images(str(tmp_path), (8, 12)).images.shape == (4, 8, 12, 3)  # a non-square model
    pattern = load_user_images(str(tmp_path / "[bd]_*"), 8)  # a glob: the matching files, sorted
    assert pattern.stems == ("b_gray", "d_wide")
    np.testing.assert_array_equal(pattern.images[1], images[3])
    with pytest.raises(DataError, match=r"no files in pattern .*\*\.webp"):
        load_user_images(str(tmp_path / "*.webp"), 8)


def test_load_user_images_reads_every_decodable_format_and_skips_the_rest(tmp_path, capsys):
    """GIF and WEBP were silently left out; now every file is tried, and one that cannot be
    read is skipped with a line naming it and why, then the count, while the others are read."""
    _save(tmp_path / "a.gif", Image.new("P", (12, 10), 0))
    _save(tmp_path / "b.webp", _gradient(14, 10))
    _save(tmp_path / "c.bmp", _gradient(10, 10))
    _save(tmp_path / "d.tiff", _gradient(10, 10))
    whole = _save(tmp_path / "e.jpg", _gradient(64, 64), quality=95)
    with open(whole, "rb") as handle:
        data = handle.read()
    (tmp_path / "e.jpg").write_bytes(data[: len(data) // 2])
    (tmp_path / "notes.txt").write_text("not a photo")
    (tmp_path / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden: not tried
    photos = load_user_images(str(tmp_path), 8)
    assert photos.stems == ("a", "b", "c")
    reasons = {"d.tiff": "format TIFF is not supported (use JPEG, PNG, GIF, BMP, WEBP)", "e.jpg": "cannot ",
               "notes.txt": "not an image file Pillow can identify"}
    assert [os.path.basename(p) for p, _ in photos.skipped] == list(reasons)
    for path, reason in photos.skipped:
        assert reason.startswith(f"{path}: {reasons[os.path.basename(path)]}"), reason
    assert photos.total == 6
    lines = capsys.readouterr().err.splitlines()
    assert lines[:3] == [f"skipping {reason}" for _, reason in photos.skipped]
    assert lines[3] == f"Skipped 3 of 6 files in folder {tmp_path}; reading the other 3."


def test_load_user_images_gives_files_sharing_a_stem_their_own_names(tmp_path):
    for name in ("shape.bmp", "shape.jpg", "Other.png", "other.gif", "square.png"):
        _save(tmp_path / name, _gradient(8, 8))
    assert load_user_images(str(tmp_path), 8).stems == ("Other.png", "other.gif", "shape.bmp", "shape.jpg", "square")
    (tmp_path / "more").mkdir()
    _save(tmp_path / "more" / "square.png", _gradient(8, 8))
    files = [str(tmp_path / "square.png"), str(tmp_path / "more" / "square.png"), str(tmp_path / "shape.jpg")]
    assert load_user_images(files, 8).stems == ("square.png", "square.png-2", "shape")


def test_load_user_images_errors(tmp_path):
    with pytest.raises(DataError, match=str(tmp_path)):
        load_user_images(str(tmp_path), 8)
    with pytest.raises(DataError, match="does not exist"):
        load_user_images(str(tmp_path / "nowhere"), 8)
    (tmp_path / "bad.jpg").write_text("nope")
    (tmp_path / "worse.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(DataError) as caught:
        load_user_images(str(tmp_path), 8)
    message = str(caught.value)
    assert f"none of the 2 file(s) in folder {tmp_path}" in message and "bad.jpg" in message and "worse.png" in message


def test_training_lists_and_accepts_gif_but_not_formats_tensorflow_cannot_decode(tmp_path):
    for name in ("a.gif", "b.png", "c.webp"):
        _save(tmp_path / name, _gradient(8, 8))
    assert [os.path.basename(p) for p in list_image_files(str(tmp_path))] == ["a.gif", "b.png"]
    validate_image_files(list_image_files(str(tmp_path)))
    with pytest.raises(DataError, match="format WEBP cannot be decoded by TensorFlow"):
        validate_image_files([str(tmp_path / "c.webp")])
