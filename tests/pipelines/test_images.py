"""Image decoding, up-front file validation, and loading the user's own photos."""

import json

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from stargan_tf.pipelines import DataError, decode_and_resize, load_user_images, validate_image_files


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
    (tmp_path / "notes.txt").write_text("ignored")
    names, images = load_user_images(str(tmp_path), 8)
    assert names == ["a_rgba.png", "b_gray.png", "c_palette.png", "d_wide.jpg"]
    assert images.shape == (4, 8, 8, 3) and images.dtype == np.float32
    np.testing.assert_allclose(images[0], 1.0)  # fully transparent -> white
    np.testing.assert_allclose(images[1], -1.0)
    np.testing.assert_allclose(images[2][0, 0], [-1.0, -1.0, 1.0])
    # The wide image is centre-cropped to its middle 20 columns: red stays mid-range.
    assert -0.5 < images[3][..., 0].mean() < 0.5
    single_name, single = load_user_images(str(tmp_path / "d_wide.jpg"), 8)
    assert single_name == ["d_wide.jpg"]
    np.testing.assert_array_equal(single[0], images[3])


def test_load_user_images_errors(tmp_path):
    with pytest.raises(DataError, match=str(tmp_path)):
        load_user_images(str(tmp_path), 8)
    (tmp_path / "bad.jpg").write_text("nope")
    with pytest.raises(DataError, match="bad.jpg"):
        load_user_images(str(tmp_path), 8)
