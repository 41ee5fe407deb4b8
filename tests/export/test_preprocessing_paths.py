"""One preprocessing in every path that reads a user's image: test mode's loader, the ``*_bytes``
signature (in the graph, fed by the REST client), the client's float body and predict_tflite
give the same model input, with and without a load size, measured through the probe bundle (``export_fixtures``): its PNG
output stays at PROBE_LEVEL only where its input is within PROBE_RESOLUTION (3.9e-5, a 200th of
an 8-bit level) of test mode's. Measured: 0 between the PIL paths (one implementation), at most
5e-7 between PIL and the graph at this size (float rounding of the two resize implementations;
JPEG decodes to the same 8 bits with the accurate IDCT)."""

import dataclasses
import io
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from export_fixtures import (PROBE_CENTRE, PROBE_GAIN, PROBE_LEVEL, PROBE_RESOLUTION, PROBE_SIZE, png16,
                             probe_bundle)
from stargan_tf.export import client, export_bundle, predict_tflite, preprocess
from stargan_tf.export.contract import METADATA_ASSET
from stargan_tf.pipelines import load_user_images
from stargan_tf.pipelines.images import decode_uint8

S = PROBE_SIZE


def _save(path, image, **kwargs):
    image.save(path, **kwargs)
    return str(path)


def _rgba_wide(path):
    """24 x 40 RGBA: opaque blue 8-column edges (outside the centred square), then transparent
    black (white once composited), then red at alpha 128 (top) and 255 (bottom)."""
    pixels = np.zeros((24, 40, 4), np.uint8)
    pixels[:, :8] = pixels[:, 32:] = (0, 0, 255, 255)
    pixels[:, 20:32] = (255, 0, 0, 255)
    pixels[:12, 20:32, 3] = 128
    return _save(path, Image.fromarray(pixels, "RGBA"))


def _exif_rotated(path):
    """An upright 24 x 32 image (red top rows, blue bottom rows) stored turned 90 degrees
    counter-clockwise with EXIF orientation 6 (turn clockwise to view), as phones write them."""
    upright = np.zeros((24, 32, 3), np.uint8)
    upright[:12] = (255, 0, 0)
    upright[12:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    return _save(path, Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90), quality=95, exif=exif)


def _keyed_gif(path):
    """A GIF whose palette entry 0 (black) is transparent: white in every path, not black."""
    image = Image.new("P", (20, 16), 0)
    image.putpalette([0, 0, 0, 0, 160, 0] + [0] * 762)
    image.paste(1, (10, 0, 20, 16))
    return _save(path, image, transparency=0)


def _gradient16(channels):
    ys, xs = np.mgrid[0:S, 0:S]
    values = [(xs * 4099 + ys * 37 + 977 * c) % 65536 for c in range(channels)]
    return np.stack(values, -1).squeeze(-1) if channels == 1 else np.stack(values, -1)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user_photos")
    (folder / "grey16.png").write_bytes(png16(_gradient16(1)))
    (folder / "rgb16.png").write_bytes(png16(_gradient16(3)))
    ys, xs = np.mgrid[0:20, 0:30]
    photo = np.stack([xs * 8, ys * 12, (xs + ys) * 5], -1).astype(np.uint8)
    paths = {"rgba_wide.png": _rgba_wide(folder / "rgba_wide.png"), "exif6.jpg": _exif_rotated(folder / "exif6.jpg"),
             "keyed.gif": _keyed_gif(folder / "keyed.gif"),
             "photo.webp": _save(folder / "photo.webp", Image.fromarray(photo), lossless=True),
             "grey16.png": str(folder / "grey16.png"), "rgb16.png": str(folder / "rgb16.png")}
    photos = load_user_images(str(folder), S)
    assert not photos.skipped and sorted(photos.stems) == sorted(os.path.splitext(n)[0] for n in paths)
    expected = {os.path.basename(p): image for p, image in zip(photos.paths, photos.images)}
    return paths, expected


@pytest.fixture(scope="module", params=[None, (S + 3, S + 3)], ids=["resized", "load_size"])
def probe(request, files, tmp_path_factory):
    """The probe exported resizing images straight to its size, and with a load size (resize,
    then the centred window: DRIT's test framing; offsets round(1.5) = 2); test mode's images
    of the files framed so."""
    load = request.param
    photos = load_user_images(list(files[0].values()), S, load)
    expected = {os.path.basename(p): image for p, image in zip(photos.paths, photos.images)}
    report = export_bundle(dataclasses.replace(probe_bundle(), load_size=load), str(tmp_path_factory.mktemp("probe")),
                           tflite_quantizations=("float32",), verify=False, verbose=False)
    return report["path"], tf.saved_model.load(report["path"]), expected


def _chw(image):
    return np.transpose(image, (2, 0, 1))


def test_test_mode_reads_what_the_file_shows(files):
    _, expected = files
    rgba = expected["rgba_wide.png"]  # centred 24 x 24: transparent left half, red right half
    assert (rgba[..., 2] - rgba[..., 0]).max() < 1e-5, "blue edges must be cropped away, not stretched in"
    np.testing.assert_allclose(rgba[:, :5], 1.0, atol=1e-5)  # transparent -> white
    np.testing.assert_allclose(rgba[:6, -5:], np.broadcast_to([1.0, 0.0, 0.0], (6, 5, 3)), atol=0.01)  # alpha 128
    np.testing.assert_allclose(rgba[-6:, -5:], np.broadcast_to([1.0, -1.0, -1.0], (6, 5, 3)), atol=1e-5)
    upright = expected["exif6.jpg"]
    assert upright[:5, :, 0].min() > 0.9 and upright[:5, :, 2].max() < -0.9  # red on top, across the row
    assert upright[-5:, :, 2].min() > 0.9 and upright[-5:, :, 0].max() < -0.9
    np.testing.assert_allclose(expected["keyed.gif"][:, :6], 1.0, atol=1e-5)  # transparent -> white


def test_16_bit_pngs_decode_like_training(files):
    """Test mode reads 16-bit grey and RGB PNGs as training's decoder does (high byte), not
    clipped to white; the other paths follow through the probe (next test)."""
    paths, expected = files
    for name in ("grey16.png", "rgb16.png"):
        training = decode_uint8(tf.constant(paths[name]), S, crop_size=S).numpy()
        assert 40 < training.mean() < 215  # a gradient, not a white square
        np.testing.assert_array_equal(expected[name], training / np.float32(127.5) - np.float32(1.0))


def _levels_all_at_probe_level(png_bytes):
    levels = preprocess.read_rgba(("probe output", png_bytes))[..., :3].astype(int)
    return int(np.abs(levels - PROBE_LEVEL).max())


@pytest.mark.parametrize("name", ["rgba_wide.png", "exif6.jpg", "keyed.gif", "photo.webp", "grey16.png",
                                  "rgb16.png"])
def test_every_path_gives_the_model_test_modes_pixels(files, probe, tmp_path, name):
    paths, _ = files
    version_dir, loaded, expected = probe
    path, want = paths[name], _chw(expected[name])

    with open(os.path.join(version_dir, METADATA_ASSET)) as handle:  # what the client's --metadata reads
        load_size = tuple(json.load(handle)["load_size"])
    body = client.request_from_files([path], "probe", {"expected": want[None]}, image_size=(S, S),
                                     load_size=load_size)
    floats = np.asarray(client.emulate_predict(loaded.signatures["probe"], body)["predictions"], np.float32)
    assert np.max(np.abs(floats - PROBE_CENTRE)) / PROBE_GAIN < 1e-7, "client float body"

    body = client.request_from_files([path], "probe_bytes", {"expected": want[None]}, as_bytes=True)
    response = client.emulate_predict(loaded.signatures["probe_bytes"], body)
    assert "error" not in response, response
    (served,) = client.decode_response(response)
    assert int(np.abs(served.astype(int) - PROBE_LEVEL).max()) == 0, f"bytes signature: beyond {PROBE_RESOLUTION:.1e}"

    tflite = os.path.join(version_dir, "tflite", "probe_float32.tflite")
    (written,) = predict_tflite.translate_files(tflite, [path], {"expected": want}, str(tmp_path))
    with open(written, "rb") as f:
        assert _levels_all_at_probe_level(f.read()) == 0, f"predict_tflite: beyond {PROBE_RESOLUTION:.1e}"


def test_client_sends_files_as_they_are_unless_the_graph_would_read_them_differently(files):
    paths, _ = files
    for name in ("rgba_wide.png", "grey16.png"):
        with open(paths[name], "rb") as f:
            assert preprocess.serving_bytes(paths[name]) == f.read()
    for name in ("exif6.jpg", "keyed.gif", "photo.webp"):
        with Image.open(io.BytesIO(preprocess.serving_bytes(paths[name]))) as sent:
            assert sent.format == "PNG" and not sent.getexif().get(0x0112)
