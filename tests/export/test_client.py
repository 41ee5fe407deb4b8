"""The REST client: request bodies, response decoding, the CLI and its messages. (Its
preprocessing is held against the serving graph's in test_preprocess*.py.)"""

import base64
import json

import numpy as np
import pytest

from export_fixtures import HEIGHT, WIDTH
from stargan_tf.export import client, images as images_lib


def test_build_request_formats():
    images = np.zeros((2, 2, 2, 3), np.float32)
    labels = np.array([[1, 0, 1], [0, 1, 0]], np.float32)
    rows = client.build_request("translate", {"image": images, "target": labels})
    assert rows["signature_name"] == "translate"
    assert rows["instances"][1] == {"image": images[1].tolist(), "target": [0.0, 1.0, 0.0]}
    columns = client.build_request("translate", {"image": images, "target": labels}, "inputs")
    assert columns["inputs"]["target"] == labels.tolist()
    blobs = client.build_request("translate_bytes", {"images_bytes": [b"\x89PNG"], "target": labels[:1]})
    assert blobs["instances"][0]["images_bytes"] == {"b64": base64.b64encode(b"\x89PNG").decode()}


def test_cli_prints_bytes_and_float_bodies(image_files, capsys):
    assert client.main(["--images", f"{image_files['rgb.jpg']},{image_files['gray.png']}",
                        "--signature", "translate_bytes", "--bytes", "--target", "1,0,1"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert len(body["instances"]) == 2 and body["instances"][0]["target"] == [1.0, 0.0, 1.0]
    assert base64.b64decode(body["instances"][0]["images_bytes"]["b64"]) == open(image_files["rgb.jpg"], "rb").read()

    assert client.main(["--images", image_files["rgba.png"], "--format", "inputs", "--size", f"{HEIGHT},{WIDTH}",
                        "--condition", "target=0,1,0"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert np.asarray(body["inputs"]["image"]).shape == (1, HEIGHT, WIDTH, 3)
    assert body["signature_name"] == "serving_default"

    assert client.main(["--images", image_files["rgba.png"]]) == 2  # float body needs a size
    assert "size" in capsys.readouterr().err


def test_decode_response_shapes():
    pixels = np.arange(2 * 3 * 4 * 3, dtype=np.uint8).reshape(2, 3, 4, 3)
    b64 = [{"b64": base64.b64encode(images_lib.encode_png(p)).decode()} for p in pixels]
    floats = images_lib.to_model_range(pixels).tolist()
    for response in ({"predictions": b64}, {"outputs": b64}, {"predictions": floats},
                     {"outputs": floats}, {"predictions": [{"translated_bytes": b, "other": 1} for b in b64]}):
        np.testing.assert_array_equal(np.stack(client.decode_response(response)), pixels)


@pytest.mark.parametrize("argv, words", [
    (["--images", "{missing}", "--bytes"], ["{missing}", "no such file"]),
    (["--images", "{text}", "--bytes"], ["{text}", "not an image file"]),
    (["--images", "{text}", "--size", "16,24"], ["{text}", "not an image file"]),
    (["--images", "{image}", "--size", "16x24"], ["--size", "H,W", "'16x24'"]),
    (["--images", "{image}", "--size", "16,0"], ["--size", "positive"]),
    (["--images", "{image}", "--metadata", "{text}"], ["--metadata", "{text}"]),
    (["--images", "{image}", "--bytes", "--max_pixels", "100"], ["{image}", "above the limit of 100 pixels"]),
])
def test_cli_errors_name_the_file_or_flag_without_traceback(image_files, tmp_path, capsys, argv, words):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    names = {"missing": str(tmp_path / "missing.png"), "text": str(text), "image": image_files["rgb.jpg"]}
    assert client.main([a.format(**names) for a in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err and "BytesIO" not in captured.err
    for word in words:
        assert word.format(**names) in captured.err, captured.err
