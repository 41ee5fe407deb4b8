"""The real StarGAN generator through the exporter: REST payloads answered by the SavedModel
in a fresh process agree with the Keras model; bad payloads name the problem; TFLite passes."""

import io

import keras
import numpy as np
from PIL import Image

from export_fixtures import serve_requests
from stargan_tf.export import export_bundle
from stargan_tf.export.client import build_request, decode_response
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
    assert {t["precision"] for t in report["tflite"]} == {"float32", "float16", "dynamic_int8"}
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    targets = np.array([[1, 0, 1], [0, 1, 0]], np.float32)
    expected = model.generator((images, targets)).numpy()

    png = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (23, 31, 4), dtype=np.uint8), "RGBA").save(png, format="PNG")
    requests = {
        "rows": build_request("serving_default", {"image": images, "target": targets}, fmt="instances"),
        "columns": build_request("serving_default", {"image": images, "target": targets}, fmt="inputs"),
        "bytes": build_request("translate_bytes", {"images_bytes": [png.getvalue()], "target": targets[:1]}),
        "short_label": build_request("serving_default", {"image": images, "target": targets[:, :2]}, fmt="inputs"),
    }
    responses = serve_requests(report["path"], requests, tmp_path)
    np.testing.assert_allclose(np.asarray(responses["rows"]["predictions"]), expected, atol=1e-4)
    np.testing.assert_allclose(np.asarray(responses["columns"]["outputs"]), expected, atol=1e-4)
    (translated,) = decode_response(responses["bytes"])
    assert translated.shape == (SIZE, SIZE, 3) and translated.dtype == np.uint8
    assert "target" in responses["short_label"]["error"] and "length" in responses["short_label"]["error"]
