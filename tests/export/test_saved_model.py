"""The TF Serving contract: every signature, called in a fresh process with the JSON a REST
client sends, converted the way TF Serving converts it (client.emulate_predict)."""

import base64
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from export_fixtures import HEIGHT, WIDTH, serve_requests
from stargan_tf.export import client, images as images_lib, signatures

FLOAT_TOLERANCE = 1e-4   # reloaded graph vs eager Keras (see verify.py)
LEVEL_TOLERANCE = 1      # 8-bit rounding flips


def version_dir(report):
    return report["path"]


def test_signature_names_inputs_outputs(stargan_export):
    _, _, report = stargan_export
    sigs = report["signatures"]
    assert set(sigs) == {"serving_default", "translate", "translate_bytes", "metadata"}
    for name in ("serving_default", "translate"):
        assert sigs[name]["inputs"] == {"image": {"dtype": "float32", "shape": [-1, -1, -1, -1]},
                                        "target": {"dtype": "float32", "shape": [-1, -1]}}
        assert sigs[name]["outputs"] == {"translated": {"dtype": "float32", "shape": [-1, HEIGHT, WIDTH, 3]}}
    assert sigs["translate_bytes"]["inputs"]["images_bytes"] == {"dtype": "string", "shape": [-1]}
    assert sigs["translate_bytes"]["outputs"] == {"translated_bytes": {"dtype": "string", "shape": [-1]}}
    assert sigs["metadata"]["inputs"] == {}
    assert os.path.isfile(os.path.join(version_dir(report), "saved_model.pb"))
    with open(os.path.join(version_dir(report), "assets.extra", "metadata.json")) as f:
        meta = json.load(f)
    assert meta["image_size"] == [HEIGHT, WIDTH]
    assert [i["name"] for i in meta["endpoints"][0]["inputs"]] == ["image", "target"]
    assert meta["endpoints"][0]["inputs"][1]["names"] == ["Black_Hair", "Male", "Young"]


@pytest.fixture(scope="module")
def stargan_responses(stargan_export, image_files, tmp_path_factory):
    """Every request of this module answered by one fresh-process load of the SavedModel."""
    bundle, _, report = stargan_export
    rng = np.random.default_rng(5)
    images = rng.uniform(-1, 1, (3, HEIGHT, WIDTH, 3)).astype(np.float32)
    labels = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 1]], np.float32)
    files = [image_files[k] for k in ("rgb.jpg", "rgba.png", "gray.png", "gray.jpg", "exact.png")]
    file_labels = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 0, 0]], np.float32)
    raw = [open(p, "rb").read() for p in files]
    bad_image = images.copy()
    bad_image[0, 0, 0, 0] = 255.0
    requests = {
        "float_instances": client.build_request("translate", {"image": images, "target": labels}),
        "float_inputs": client.build_request("serving_default", {"image": images, "target": labels}, "inputs"),
        "bytes_instances": client.request_from_files(files, "translate_bytes", {"target": file_labels},
                                                     as_bytes=True),
        "bytes_inputs": client.request_from_files(files, "translate_bytes", {"target": file_labels},
                                                  fmt="inputs", as_bytes=True),
        "metadata": {"signature_name": "metadata", "inputs": {}},
        "bad_channels": client.build_request("translate", {"image": images[..., :2], "target": labels}),
        "bad_rgba_float": client.build_request(
            "translate", {"image": np.concatenate([images, images[..., :1]], -1), "target": labels}, "inputs"),
        "bad_size": client.build_request("translate", {"image": images[:, :8], "target": labels}, "inputs"),
        "bad_label_length": client.build_request("translate", {"image": images, "target": labels[:, :2]}),
        "bad_label_range": client.build_request("translate", {"image": images, "target": labels * 2}),
        "bad_label_binary": client.build_request("translate", {"image": images, "target": labels * 0.5}),
        "bad_batch": client.build_request("translate", {"image": images, "target": labels[:2]}, "inputs"),
        "bad_pixels_0_255": client.build_request("translate", {"image": bad_image, "target": labels}),
        "bad_bytes": client.build_request("translate_bytes", {"images_bytes": [raw[0], b"not an image"],
                                                              "target": labels[:2]}),
        "bad_bytes_label": client.build_request("translate_bytes", {"images_bytes": raw[:2],
                                                                    "target": labels[:2, :1]}),
    }
    responses = serve_requests(version_dir(report), requests, tmp_path_factory.mktemp("serve"))
    return bundle, images, labels, files, file_labels, responses


def keras_reference(bundle, images, labels):
    return bundle.endpoints[0].translate(tf.constant(images), target=tf.constant(labels)).numpy()


def test_rest_float_row_and_columnar(stargan_responses):
    bundle, images, labels, _, _, responses = stargan_responses
    expected = keras_reference(bundle, images, labels)
    row = np.asarray(responses["float_instances"]["predictions"], np.float32)  # single output: no name
    columnar = np.asarray(responses["float_inputs"]["outputs"], np.float32)
    assert row.shape == columnar.shape == (3, HEIGHT, WIDTH, 3)
    assert np.max(np.abs(row - expected)) < FLOAT_TOLERANCE
    assert np.max(np.abs(columnar - expected)) < FLOAT_TOLERANCE


@pytest.mark.parametrize("case", ["bytes_instances", "bytes_inputs"])
def test_rest_bytes_on_real_files(stargan_responses, case):
    """RGB JPEG, RGBA PNG, grayscale PNG/JPEG at odd non-square sizes -> base64 PNGs at
    (H, W) equal to Keras on the same decode + resize."""
    bundle, _, _, files, file_labels, responses = stargan_responses
    response = responses[case]
    assert "error" not in response, response
    raw = response["predictions"] if case == "bytes_instances" else response["outputs"]
    assert all(set(r) == {"b64"} for r in raw)
    got = np.stack(client.decode_response(response)).astype(np.int32)
    assert got.shape == (len(files), HEIGHT, WIDTH, 3)
    decoded = signatures.decode_images(tf.constant([open(p, "rb").read() for p in files]), (HEIGHT, WIDTH))
    expected = images_lib.to_pixels(keras_reference(bundle, decoded.numpy(), file_labels)).astype(np.int32)
    assert np.max(np.abs(got - expected)) <= LEVEL_TOLERANCE


def test_metadata_signature(stargan_responses):
    *_, responses = stargan_responses
    out = responses["metadata"]["outputs"]
    assert out["model_name"] == "tiny_stargan"
    assert out["image_size"] == [HEIGHT, WIDTH]
    assert out["endpoint_names"] == ["translate"]
    assert out["condition_names"] == ["target"] and out["condition_sizes"] == [3]
    assert json.loads(out["condition_entry_names"][0]) == ["Black_Hair", "Male", "Young"]
    assert json.loads(out["metadata_json"]) == {"selected_attrs": ["Black_Hair", "Male", "Young"]}
    assert "translate_bytes" in out["signature_names"]


@pytest.mark.parametrize("case, words", [
    ("bad_channels", ["`image`", "channel"]),
    ("bad_rgba_float", ["`image`", "channel"]),
    ("bad_size", ["`image`", "height/width"]),
    ("bad_label_length", ["`target`", "length", "3"]),
    ("bad_label_range", ["`target`", "maximum"]),
    ("bad_label_binary", ["`target`", "binary", "0 or 1"]),
    ("bad_batch", ["`target`", "batch size"]),
    ("bad_pixels_0_255", ["`image`", "above 1"]),
    ("bad_bytes", ["`images_bytes`", "not an encoded"]),
    ("bad_bytes_label", ["`target`", "length"]),
])
def test_bad_payloads_name_input_and_problem(stargan_responses, case, words):
    *_, responses = stargan_responses
    assert set(responses[case]) == {"error"}, responses[case]
    message = responses[case]["error"]
    for word in words:
        assert word in message, message


def test_bad_payload_raises_invalid_argument_in_process(stargan_export):
    _, _, report = stargan_export
    loaded = tf.saved_model.load(version_dir(report))
    with pytest.raises(tf.errors.InvalidArgumentError, match="input `image`: wrong channel count"):
        loaded.signatures["translate"](image=tf.zeros([1, HEIGHT, WIDTH, 1]), target=tf.zeros([1, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="input `images_bytes`"):
        loaded.signatures["translate_bytes"](images_bytes=tf.constant([b"GARBAGE"]), target=tf.zeros([1, 3]))


def test_two_way_endpoints(two_way_export, image_files, tmp_path):
    bundle, _, report = two_way_export
    assert set(report["signatures"]) == {"serving_default", "a2b", "b2a", "a2b_bytes", "b2a_bytes",
                                         "translate_bytes", "metadata"}
    assert set(report["signatures"]["a2b"]["inputs"]) == {"image"}
    rng = np.random.default_rng(9)
    images = rng.uniform(-1, 1, (2, HEIGHT, WIDTH, 3)).astype(np.float32)
    png = open(image_files["rgba.png"], "rb").read()
    requests = {
        # one input: instances may be bare values, inputs a bare batch
        "a2b": {"signature_name": "a2b", "instances": images.tolist()},
        "b2a": {"signature_name": "b2a", "inputs": images.tolist()},
        "default": {"instances": [{"image": images[0].tolist()}]},
        "a2b_bytes": {"signature_name": "a2b_bytes", "instances": [{"b64": base64.b64encode(png).decode()}]},
        "translate_bytes": {"signature_name": "translate_bytes", "inputs": {"images_bytes": [
            {"b64": base64.b64encode(png).decode()}]}},
    }
    responses = serve_requests(version_dir(report), requests, tmp_path)
    a2b, b2a = (e.translate for e in bundle.endpoints)
    np.testing.assert_allclose(responses["a2b"]["predictions"], a2b(images).numpy(), atol=FLOAT_TOLERANCE)
    np.testing.assert_allclose(responses["b2a"]["outputs"], b2a(images).numpy(), atol=FLOAT_TOLERANCE)
    np.testing.assert_allclose(responses["default"]["predictions"], a2b(images[:1]).numpy(), atol=FLOAT_TOLERANCE)
    assert responses["a2b_bytes"]["predictions"] == responses["translate_bytes"]["outputs"]
