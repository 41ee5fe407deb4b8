"""The REST client: request bodies, response decoding, the CLI, and the client-side resize
matching the serving graph's."""

import base64
import json

import numpy as np
import tensorflow as tf

from export_fixtures import HEIGHT, WIDTH
from stargan_tf.export import client, images as images_lib, signatures


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


def test_client_resize_matches_serving_graph(image_files):
    """PIL's float bilinear (images.resize) vs the graph's tf.image.resize(antialias=True),
    on PNGs (lossless, so only the resize differs): up- and down-sampling."""
    for name in ("rgba.png", "gray.png"):
        data = open(image_files[name], "rb").read()
        for size in ((HEIGHT, WIDTH), (7, 45)):
            ours = images_lib.load_image(data, size)
            graph = signatures.decode_images(tf.constant([data]), size).numpy()[0]
            assert np.max(np.abs(ours - graph)) < 2e-3, (name, size)  # < 1/4 of an 8-bit level
