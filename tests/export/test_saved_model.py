"""The TF Serving contract: every signature, called in a fresh process with the JSON a REST
client sends, converted the way TF Serving converts it (client.emulate_predict)."""

import base64
import io
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from export_fixtures import HEIGHT, WIDTH, serve_requests, two_way_bundle, with_declared_size
from stargan_tf.export import client, contract, export_bundle, images as images_lib, preprocess

FLOAT_TOLERANCE = 1e-4   # reloaded graph vs eager Keras (see verify.py)
LEVEL_TOLERANCE = 1      # 8-bit rounding flips


def version_dir(report):
    return report["path"]


def test_signature_names_inputs_outputs(stargan_export):
    _, _, report = stargan_export
    sigs = report["signatures"]
    assert set(sigs) == {"serving_default", "translate", "translate_bytes", "metadata"}
    for name in ("serving_default", "translate"):  # unknown rank, so the graph can check it
        assert sigs[name]["inputs"] == {"image": {"dtype": "float32", "shape": None},
                                        "target": {"dtype": "float32", "shape": None}}
        assert sigs[name]["outputs"] == {"translated": {"dtype": "float32", "shape": [-1, HEIGHT, WIDTH, 3]}}
    assert sigs["translate_bytes"]["inputs"]["images_bytes"] == {"dtype": "string", "shape": None}
    assert sigs["translate_bytes"]["outputs"] == {"translated_bytes": {"dtype": "string", "shape": [-1]}}
    assert sigs["metadata"]["inputs"] == {}
    assert os.path.isfile(os.path.join(version_dir(report), "saved_model.pb"))
    with open(os.path.join(version_dir(report), "assets.extra", "metadata.json")) as f:
        meta = json.load(f)
    assert meta["image_size"] == [HEIGHT, WIDTH]
    assert meta["max_image_pixels"] == report["max_image_pixels"] == contract.DEFAULT_MAX_IMAGE_PIXELS == 4096 * 4096
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
    png, jpeg = raw[4], raw[0]
    huge_png = with_declared_size(png, 12000, 12000)  # header only: refused before any decoding
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
        "bad_rank_image": client.build_request("translate", {"image": images[0], "target": labels[:1]}, "inputs"),
        "bad_rank_target": client.build_request("translate", {"image": images, "target": labels[..., None]},
                                                "inputs"),
        "bad_rank_bytes": {"signature_name": "translate_bytes", "inputs": {
            "images_bytes": {"b64": base64.b64encode(png).decode()}, "target": labels[:1].tolist()}},
        "truncated_png": client.build_request("translate_bytes", {"images_bytes": [png, png[:-40]],
                                                                  "target": labels[:2]}),
        "truncated_jpeg": client.build_request(
            "translate_bytes", {"images_bytes": [png, png, jpeg[:len(jpeg) * 2 // 3]], "target": labels}),
        "unreadable_jpeg_header": client.build_request("translate_bytes", {"images_bytes": [jpeg[:200]],
                                                                           "target": labels[:1]}),
        "huge_png": client.build_request("translate_bytes", {"images_bytes": [png, huge_png], "target": labels[:2]}),
        "huge_jpeg": client.build_request("translate_bytes", {"images_bytes": [with_declared_size(jpeg, 5000, 4000)],
                                                              "target": labels[:1]}),
        "webp": client.build_request("translate_bytes", {"images_bytes": [png, png, _webp()], "target": labels}),
    }
    responses = serve_requests(version_dir(report), requests, tmp_path_factory.mktemp("serve"))
    return bundle, images, labels, files, file_labels, responses


def _webp():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buffer, format="WEBP")
    return buffer.getvalue()


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
    preprocessed = np.stack([preprocess.load_image(p, (HEIGHT, WIDTH)) for p in files])  # = the graph's (1e-5)
    expected = images_lib.to_pixels(keras_reference(bundle, preprocessed, file_labels)).astype(np.int32)
    assert np.max(np.abs(got - expected)) <= LEVEL_TOLERANCE


def test_metadata_signature(stargan_responses):
    *_, responses = stargan_responses
    out = responses["metadata"]["outputs"]
    assert out["model_name"] == "tiny_stargan"
    assert out["image_size"] == [HEIGHT, WIDTH]
    assert out["max_image_pixels"] == 4096 * 4096
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
    ("bad_bytes", ["`images_bytes`", "element 1 of the batch", "not an encoded"]),
    ("bad_bytes_label", ["`target`", "length"]),
    ("bad_rank_image", ["`image`", "expected float32 [batch, 16, 24, 3]", "(rank 4); got rank", "3"]),
    ("bad_rank_target", ["`target`", "expected float32 [batch, 3] (rank 2); got rank", "3"]),
    ("bad_rank_bytes", ["`images_bytes`", "string [batch]", "(rank 1); got rank", "0"]),
    ("truncated_png", ["`images_bytes`", "element 1 of the batch", "could not be decoded", "truncated"]),
    ("truncated_jpeg", ["`images_bytes`", "element 2 of the batch", "truncated or corrupt"]),
    ("unreadable_jpeg_header", ["`images_bytes`", "element 0 of the batch", "header that cannot be read"]),
    ("huge_png", ["`images_bytes`", "element 1 of the batch", "12000x12000 = 144000000 pixels",
                  "limit of 16777216 pixels", "max_image_pixels"]),
    ("huge_jpeg", ["`images_bytes`", "element 0 of the batch", "5000x4000 = 20000000 pixels"]),
    ("webp", ["`images_bytes`", "element 2 of the batch", "not an encoded", "WebP"]),
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
    with pytest.raises(tf.errors.InvalidArgumentError, match="input `image`: expected .* \\(rank 4\\)"):
        loaded.signatures["translate"](image=tf.zeros([HEIGHT, WIDTH, 3]), target=tf.zeros([1, 3]))


def test_oversized_image_refused_before_decoding(stargan_export):
    """A real 5000 x 4000 PNG (20 M pixels, above 4096 * 4096) that would decode is refused from
    its header; with the limit raised at export it is not (then it would be decoded)."""
    _, _, report = stargan_export
    loaded = tf.saved_model.load(version_dir(report))
    buffer = io.BytesIO()
    Image.new("L", (5000, 4000)).save(buffer, format="PNG")
    huge = buffer.getvalue()
    with pytest.raises(tf.errors.InvalidArgumentError, match="element 0 of the batch is 5000x4000 = 20000000 pixels"):
        loaded.signatures["translate_bytes"](images_bytes=tf.constant([huge]), target=tf.zeros([1, 3]))
    assert preprocess.read_rgba(("huge.png", huge)).shape == (4000, 5000, 4)  # it is a valid image


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


def test_max_image_pixels_set_at_export_is_recorded_and_applied(tmp_path, image_files):
    report = export_bundle(two_way_bundle("small_limit"), str(tmp_path), tflite_quantizations=(), verify=False,
                           verbose=False, max_image_pixels=1000)
    loaded = tf.saved_model.load(version_dir(report))
    assert report["max_image_pixels"] == 1000
    assert int(loaded.signatures["metadata"]()["max_image_pixels"]) == 1000
    small, large = (open(image_files[n], "rb").read() for n in ("rgb.jpg", "gray.jpg"))  # 37x23, 50x41
    assert loaded.signatures["a2b_bytes"](images_bytes=tf.constant([small]))["translated_bytes"].shape == (1,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="element 1 of the batch is 50x41 = 2050 pixels, "
                                                             "above the limit of 1000 pixels set at export"):
        loaded.signatures["a2b_bytes"](images_bytes=tf.constant([small, large]))
