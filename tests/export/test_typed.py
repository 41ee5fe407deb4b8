"""Typed endpoints: a second image input, a NORMAL code, a MASK output, an endpoint without
TFLite; through the SavedModel (REST in a fresh process), the metadata, the TFLite files, the
client and predict_tflite."""

import base64
import io
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from PIL import Image

from export_fixtures import ATTRIBUTE_SIZE, HEIGHT, NO_TFLITE_REASON, WIDTH, serve_requests
from stargan_tf.export import client, images as images_lib, predict_tflite, preprocess, report as report_lib

FLOAT_TOLERANCE = 1e-4   # reloaded graph vs eager (see verify.py)
LEVEL_TOLERANCE = 1      # 8-bit rounding flips


def tflite_path(report, endpoint, precision):
    return os.path.join(report["path"], "tflite", f"{endpoint}_{precision}.tflite")


def eager(bundle, endpoint_name, **inputs):
    endpoint = next(e for e in bundle.endpoints if e.name == endpoint_name)
    return {k: v.numpy() for k, v in endpoint.translate(**{k: tf.constant(v) for k, v in inputs.items()}).items()}


def test_signature_inputs_and_outputs(typed_export):
    _, _, report = typed_export
    sigs = report["signatures"]
    image = {"dtype": "float32", "shape": None}  # unknown rank: checked in the graph
    blobs = {"dtype": "string", "shape": None}
    outputs = {"translated": {"dtype": "float32", "shape": [-1, HEIGHT, WIDTH, 3]},
               "mask": {"dtype": "float32", "shape": [-1, HEIGHT, WIDTH, 1]}}
    for name in ("serving_default", "translate"):
        assert sigs[name] == {"inputs": {"image": image, "reference": image}, "outputs": outputs}
    pngs = {"dtype": "string", "shape": [-1]}
    assert sigs["translate_bytes"] == {"inputs": {"images_bytes": blobs, "reference_bytes": blobs},
                                       "outputs": {"translated_bytes": pngs, "mask_bytes": pngs}}
    assert sigs["sample"]["inputs"] == {"image": image, "attribute": {"dtype": "float32", "shape": None}}
    assert set(sigs["sample_bytes"]["inputs"]) == {"images_bytes", "attribute"}
    assert set(sigs["complete_bytes"]["outputs"]) == {"translated_bytes"}


@pytest.fixture(scope="module")
def typed_responses(typed_export, image_files, tmp_path_factory):
    """Every REST request of this module answered by one fresh-process load."""
    bundle, _, report = typed_export
    rng = np.random.default_rng(11)
    images = rng.uniform(-1, 1, (2, HEIGHT, WIDTH, 3)).astype(np.float32)
    codes = rng.standard_normal((2, ATTRIBUTE_SIZE)).astype(np.float32)
    files = [image_files["rgb.jpg"], image_files["gray.png"]]
    references = [image_files["rgba.png"], image_files["exact.png"]]
    requests = {
        "bytes_rows": client.request_from_files(files, "translate_bytes", as_bytes=True,
                                                images={"reference": references}),
        "float_columns": client.request_from_files(files, "translate", fmt="inputs", image_size=(HEIGHT, WIDTH),
                                                   images={"reference": references}),
        "sample_rows": client.build_request("sample", {"image": images, "attribute": codes}),
        "metadata": {"signature_name": "metadata", "inputs": {}},
        "bad_reference_size": client.build_request("translate", {"image": images, "reference": images[:, :8]},
                                                   "inputs"),
        "bad_reference_batch": client.build_request("translate", {"image": images, "reference": images[:1]},
                                                    "inputs"),
        "bad_reference_bytes": client.build_request(
            "translate_bytes", {"images_bytes": [open(files[0], "rb").read()], "reference_bytes": [b"not an image"]}),
        "bad_attribute_length": client.build_request("sample", {"image": images, "attribute": codes[:, :3]}),
    }
    responses = serve_requests(report["path"], requests, tmp_path_factory.mktemp("serve_typed"))
    return bundle, files, references, images, codes, responses


def test_rest_bytes_two_images_and_mask_png(typed_responses):
    """``images_bytes`` + ``reference_bytes`` in; ``translated_bytes`` RGB and ``mask_bytes``
    one-channel PNGs out, the mask equal to round(mask * 255) of the eager function."""
    bundle, files, references, _, _, responses = typed_responses
    rows = responses["bytes_rows"]["predictions"]
    assert [set(r) for r in rows] == [{"translated_bytes", "mask_bytes"}] * 2
    load = lambda paths: np.stack([preprocess.load_image(p, (HEIGHT, WIDTH)) for p in paths])  # noqa: E731
    expected = eager(bundle, "translate", image=load(files), reference=load(references))
    masks = np.stack(client.decode_response(responses["bytes_rows"], "mask_bytes")).astype(np.int32)
    assert masks.shape == (2, HEIGHT, WIDTH, 1)
    assert 0 <= masks.min() and masks.max() <= 255
    want = np.round(expected["mask"] * 255).astype(np.int32)
    assert np.max(np.abs(masks - want)) <= LEVEL_TOLERANCE
    translated = np.stack(client.decode_response(responses["bytes_rows"])).astype(np.int32)  # default output
    assert np.max(np.abs(translated - images_lib.to_pixels(expected["translated"]))) <= LEVEL_TOLERANCE
    with Image.open(io.BytesIO(base64.b64decode(rows[0]["mask_bytes"]["b64"]))) as png:
        assert png.mode == "L"  # 8-bit grayscale


def test_rest_float_columns_two_outputs(typed_responses):
    bundle, files, references, _, _, responses = typed_responses
    outputs = responses["float_columns"]["outputs"]
    assert set(outputs) == {"translated", "mask"}
    load = lambda paths: np.stack([preprocess.load_image(p, (HEIGHT, WIDTH)) for p in paths])  # noqa: E731
    expected = eager(bundle, "translate", image=load(files), reference=load(references))
    for name in ("translated", "mask"):
        assert np.max(np.abs(np.asarray(outputs[name], np.float32) - expected[name])) < FLOAT_TOLERANCE
    masks = client.decode_response(responses["float_columns"], "mask")
    np.testing.assert_array_equal(np.stack(masks), images_lib.output_pixels(outputs["mask"]))
    sample = responses["sample_rows"]["predictions"]
    assert [set(r) for r in sample] == [{"translated", "mask"}] * 2


@pytest.mark.parametrize("case, words", [
    ("bad_reference_size", ["`reference`", "height/width"]),
    ("bad_reference_batch", ["`reference`", "batch size", "`image`"]),
    ("bad_reference_bytes", ["`reference_bytes`", "element 0 of the batch", "not an encoded"]),
    ("bad_attribute_length", ["`attribute`", "length", f"{ATTRIBUTE_SIZE} values"]),
])
def test_bad_payloads_name_the_input(typed_responses, case, words):
    *_, responses = typed_responses
    assert set(responses[case]) == {"error"}, responses[case]
    for word in words:
        assert word in responses[case]["error"], responses[case]["error"]


def test_non_finite_normal_code_is_named(typed_export):
    _, _, report = typed_export
    sample = tf.saved_model.load(report["path"]).signatures["sample"]
    code = np.zeros((1, ATTRIBUTE_SIZE), np.float32)
    code[0, 2] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="input `attribute`: values must be finite"):
        sample(image=tf.zeros([1, HEIGHT, WIDTH, 3]), attribute=tf.constant(code))
    code[0, 2] = 40.0  # far out in the tail, still a valid draw: no range check on NORMAL
    assert np.all(np.isfinite(sample(image=tf.zeros([1, HEIGHT, WIDTH, 3]), attribute=tf.constant(code))["mask"]))


def test_metadata_describes_inputs_and_outputs(typed_export, typed_responses):
    _, _, report = typed_export
    out = typed_responses[-1]["metadata"]["outputs"]
    assert out["input_names"] == ["image", "reference", "image", "attribute", "image"]
    assert out["input_endpoints"] == ["translate", "translate", "sample", "sample", "complete"]
    assert out["output_kinds"] == ["image", "mask", "image", "mask", "image"]
    assert (out["condition_names"], out["condition_kinds"], out["condition_sizes"]) == (["attribute"], ["normal"], [4])
    assert out["condition_shapes"] == ["[4]"]
    described = json.loads(out["export_json"])
    with open(os.path.join(report["path"], "assets.extra", "metadata.json")) as f:
        assert json.load(f) == described
    translate, sample, complete = described["endpoints"]
    assert [(i["name"], i["kind"], i["bytes_name"], i["minimum"], i["maximum"]) for i in translate["inputs"]] == [
        ("image", "image", "images_bytes", -1.0, 1.0), ("reference", "image", "reference_bytes", -1.0, 1.0)]
    assert sample["inputs"][1] == {"name": "attribute", "kind": "normal", "shape": [4], "minimum": None,
                                   "maximum": None, "names": [], "description": "", "bytes_name": "attribute"}
    assert [(o["name"], o["kind"], o["bytes_name"]) for o in translate["outputs"]] == [
        ("translated", "image", "translated_bytes"), ("mask", "mask", "mask_bytes")]
    assert (translate["tflite"], complete["tflite"]) == ({"skipped": None}, {"skipped": NO_TFLITE_REASON})


def test_tflite_files_signatures_and_parity(typed_export):
    bundle, _, report = typed_export
    assert sorted(os.listdir(os.path.join(report["path"], "tflite"))) == [
        "sample_float16.tflite", "sample_float32.tflite", "translate_float16.tflite", "translate_float32.tflite"]
    expected_inputs = {"translate": ["image", "reference"], "sample": ["attribute", "image"]}
    for entry in report["tflite"]:
        name = entry["endpoint"]
        assert entry["signature"] == {"name": name, "inputs": expected_inputs[name], "outputs": ["mask", "translated"]}
        signature_list = Interpreter(model_path=tflite_path(report, name, entry["precision"])).get_signature_list()
        assert signature_list == {name: {"inputs": expected_inputs[name], "outputs": ["mask", "translated"]}}
        assert entry["passed"] and set(entry["outputs"]) == {"translated", "mask"}
        assert "LOGISTIC" in entry["ops"]  # the mask's sigmoid
    # Independent of the exporter's own check: the float32 mask against the SavedModel.
    rng = np.random.default_rng(4)
    feeds = {"image": rng.uniform(-1, 1, (1, HEIGHT, WIDTH, 3)).astype(np.float32),
             "attribute": rng.standard_normal((1, ATTRIBUTE_SIZE)).astype(np.float32)}
    want = tf.saved_model.load(report["path"]).signatures["sample"](**feeds)
    got = Interpreter(model_path=tflite_path(report, "sample", "float32")).get_signature_runner("sample")(**feeds)
    for name in ("translated", "mask"):
        assert np.max(np.abs(got[name] - want[name].numpy())) <= 1e-3


def test_skipped_tflite_is_reported(typed_export):
    _, _, report = typed_export
    assert report["endpoints"]["complete"]["tflite"] == {"skipped": NO_TFLITE_REASON}
    assert report["endpoints"]["translate"]["tflite"] == {"skipped": None}
    assert not any(e["endpoint"] == "complete" for e in report["tflite"])
    with open(os.path.join(report["path"], "export_report.json")) as f:
        assert json.load(f)["endpoints"]["complete"]["tflite"]["skipped"] == NO_TFLITE_REASON
    assert f"skipped: {NO_TFLITE_REASON}" in report_lib.table(report)


def test_predict_tflite_writes_mask_png(typed_export, image_files, tmp_path):
    _, _, report = typed_export
    image, reference = image_files["rgb.jpg"], image_files["rgba.png"]
    assert predict_tflite.main(["--tflite", tflite_path(report, "translate", "float32"), "--images", image,
                                "--image", f"reference={reference}", "--output_dir", str(tmp_path)]) == 0
    assert sorted(os.listdir(tmp_path)) == ["rgb_translate.png", "rgb_translate_mask.png"]
    feeds = {k: preprocess.load_image(p, (HEIGHT, WIDTH))[None]
             for k, p in (("image", image), ("reference", reference))}
    want = tf.saved_model.load(report["path"]).signatures["translate"](**feeds)["mask"].numpy()[0]
    with Image.open(tmp_path / "rgb_translate_mask.png") as png:
        assert png.mode == "L"
        mask = np.asarray(png, np.int32)
    assert np.max(np.abs(mask - np.round(want[..., 0] * 255))) <= LEVEL_TOLERANCE


def test_predict_tflite_normal_code_needs_values_or_random(typed_export, image_files, tmp_path, capsys):
    _, _, report = typed_export
    args = ["--tflite", tflite_path(report, "sample", "float32"), "--images", image_files["rgb.jpg"]]
    assert predict_tflite.main(args + ["--output_dir", str(tmp_path / "none")]) == 2
    error = capsys.readouterr().err
    assert "attribute" in error and "--random_inputs=attribute" in error
    assert predict_tflite.main(args + ["--output_dir", str(tmp_path / "bad"), "--random_inputs=colour"]) == 2
    assert "colour" in capsys.readouterr().err
    written = []
    for run in ("a", "b"):
        assert predict_tflite.main(args + ["--output_dir", str(tmp_path / run), "--random_inputs=attribute",
                                           "--seed=3"]) == 0
        written.append((tmp_path / run / "rgb_sample_mask.png").read_bytes())
    assert written[0] == written[1]  # seeded
    assert predict_tflite.main(args + ["--output_dir", str(tmp_path / "given"), "--condition",
                                       "attribute=0.5,-1,2,0"]) == 0


def test_client_cli_extra_image_input(image_files, capsys):
    files, references = [image_files["rgb.jpg"], image_files["gray.png"]], [image_files["rgba.png"]] * 2
    assert client.main(["--images", ",".join(files), "--image", "reference=" + ",".join(references),
                        "--signature", "translate_bytes", "--bytes"]) == 0
    rows = json.loads(capsys.readouterr().out)["instances"]
    assert [set(r) for r in rows] == [{"images_bytes", "reference_bytes"}] * 2
    assert client.main(["--images", files[0], "--image", f"reference={references[0]}", "--size",
                        f"{HEIGHT},{WIDTH}", "--format", "inputs"]) == 0
    columns = json.loads(capsys.readouterr().out)["inputs"]
    assert {k: np.asarray(v).shape for k, v in columns.items()} == {
        "image": (1, HEIGHT, WIDTH, 3), "reference": (1, HEIGHT, WIDTH, 3)}
    assert client.main(["--images", ",".join(files), "--image", f"reference={references[0]}", "--bytes"]) == 2
    assert "reference" in capsys.readouterr().err
