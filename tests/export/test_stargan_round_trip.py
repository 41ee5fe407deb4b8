"""The real StarGAN generator and D's label estimator through the exporter: REST payloads
answered by the SavedModel in a fresh process agree with the Keras model; bad payloads name the
problem; TFLite passes; predict_tflite writes the estimator's scores by label name."""

import io
import json

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from export_fixtures import serve_requests
from stargan_tf.export import export_bundle, predict_tflite, preprocess
from stargan_tf.export.client import build_request, decode_response, decode_scores
from stargan_tf.models.stargan.config import StarGANConfig
from stargan_tf.models.stargan.system import DatasetLabels, StarGAN
from stargan_tf.pipelines.labels import LabelSpace

SIZE = 16
ATTRS = ["Black_Hair", "Blond_Hair", "Male"]


def test_stargan_rest_round_trip(tmp_path):
    keras.utils.set_random_seed(0)
    config = StarGANConfig(image_size=SIZE, g_conv_dim=8, d_conv_dim=8, g_repeat_num=1, d_repeat_num=3)
    model = StarGAN(config, [DatasetLabels("celeba", LabelSpace(ATTRS))])
    model.build_networks()
    report = export_bundle(model.serving_bundle(), str(tmp_path / "export"), verbose=False)
    assert report["passed"]
    precisions = {"float32", "float16", "dynamic_int8"}
    assert {(t["endpoint"], t["precision"]) for t in report["tflite"]} == {
        (e, p) for e in ("translate", "attributes") for p in precisions}
    assert all(t["passed"] for t in report["tflite"])
    scores_check = report["saved_model"]["checks"]["attributes"]["outputs"]["scores"]
    assert scores_check["passed"] and scores_check["bytes_vs_float_max_abs"] <= 1e-4
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    targets = np.array([[1, 0, 1], [0, 1, 0]], np.float32)
    expected = model.generator((images, targets)).numpy()
    expected_scores = tf.sigmoid(model.discriminator(images)[1]).numpy()

    png = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (23, 31, 4), dtype=np.uint8), "RGBA").save(png, format="PNG")
    requests = {
        "rows": build_request("serving_default", {"image": images, "target": targets}, fmt="instances"),
        "columns": build_request("serving_default", {"image": images, "target": targets}, fmt="inputs"),
        "bytes": build_request("translate_bytes", {"images_bytes": [png.getvalue()], "target": targets[:1]}),
        "short_label": build_request("serving_default", {"image": images, "target": targets[:, :2]}, fmt="inputs"),
        "scores": build_request("attributes", {"image": images}),
        "scores_bytes": build_request("attributes_bytes", {"images_bytes": [png.getvalue()]}, fmt="inputs"),
    }
    responses = serve_requests(report["path"], requests, tmp_path)
    np.testing.assert_allclose(np.asarray(responses["rows"]["predictions"]), expected, atol=1e-4)
    np.testing.assert_allclose(np.asarray(responses["columns"]["outputs"]), expected, atol=1e-4)
    (translated,) = decode_response(responses["bytes"])
    assert translated.shape == (SIZE, SIZE, 3) and translated.dtype == np.uint8
    assert "target" in responses["short_label"]["error"] and "length" in responses["short_label"]["error"]
    np.testing.assert_allclose(decode_scores(responses["scores"]), expected_scores, atol=1e-4)
    (by_name,) = decode_scores(responses["scores_bytes"], ATTRS)  # floats, not PNG, from the bytes signature
    assert list(by_name) == ATTRS and all(0.0 <= v <= 1.0 for v in by_name.values())

    # predict_tflite: the scores as {label: score} JSON, the names from the export's metadata.
    photo = tmp_path / "photo.png"
    photo.write_bytes(png.getvalue())
    tflite = f"{report['path']}/tflite/attributes_float32.tflite"
    (written,) = predict_tflite.translate_files(tflite, [str(photo)], {}, str(tmp_path / "out"))
    assert written.endswith("photo_attributes_scores.json")
    with open(written) as handle:
        scores = json.load(handle)
    want = tf.sigmoid(model.discriminator(preprocess.load_image(str(photo), (SIZE, SIZE))[None])[1]).numpy()[0]
    assert list(scores) == ATTRS
    np.testing.assert_allclose(list(scores.values()), want, atol=1e-3)  # float32 TFLite's export bound
