"""Version directories, models.config, the report, and failed exports leaving nothing."""

import json
import os

import numpy as np
import pytest

from export_fixtures import HEIGHT, WIDTH, two_way_bundle
from stargan_tf.export import ExportError, ServingBundle, ServingEndpoint, export_bundle


def test_layout_and_models_config(stargan_export, two_way_export):
    _, export_dir, report = stargan_export
    _, _, two_way_report = two_way_export
    assert report["path"] == os.path.join(export_dir, "tiny_stargan", "1")
    assert two_way_report["path"] == os.path.join(export_dir, "tiny_ugatit", "1")
    assert sorted(os.listdir(os.path.join(export_dir, "tiny_stargan"))) == ["1"]  # no staging left
    with open(os.path.join(export_dir, "models.config")) as f:
        config = f.read()
    for name in ("tiny_stargan", "tiny_ugatit"):
        assert (f'  config {{\n    name: "{name}"\n    base_path: "{os.path.join(export_dir, name)}"\n'
                '    model_platform: "tensorflow"\n  }') in config
    assert config.rstrip().endswith("}") and "model_config_list {" in config
    assert os.path.isabs(export_dir)


def test_report_written(stargan_export):
    _, _, report = stargan_export
    with open(os.path.join(report["path"], "export_report.json")) as f:
        on_disk = json.load(f)
    assert on_disk["passed"] and on_disk["verified"] and on_disk["version"] == 1
    assert on_disk["saved_model"]["checks"]["translate"]["max_abs_error_vs_keras"] <= 1e-4
    assert {(e["endpoint"], e["precision"]) for e in on_disk["tflite"]} == {
        ("translate", p) for p in ("float32", "float16", "dynamic_int8")}
    for entry in on_disk["tflite"]:
        assert entry["passed"] and entry["size_bytes"] > 0
        assert os.path.isfile(os.path.join(report["path"], entry["file"]))
    assert report["models_config"].endswith("models.config")


def test_versions_increment_and_never_overwrite(tmp_path):
    bundle = two_way_bundle("versioned")
    quick = dict(tflite_quantizations=(), verify=False, verbose=False)
    first = export_bundle(bundle, str(tmp_path), **quick)
    second = export_bundle(bundle, str(tmp_path), **quick)
    assert (first["version"], second["version"]) == (1, 2)
    stamp = os.path.getmtime(os.path.join(first["path"], "saved_model.pb"))
    with pytest.raises(ExportError, match="version 1 already exists"):
        export_bundle(bundle, str(tmp_path), version=1, **quick)
    assert os.path.getmtime(os.path.join(first["path"], "saved_model.pb")) == stamp
    assert export_bundle(bundle, str(tmp_path), version=7, **quick)["version"] == 7
    assert export_bundle(bundle, str(tmp_path), **quick)["version"] == 8
    assert sorted(os.listdir(tmp_path / "versioned")) == ["1", "2", "7", "8"]


def test_failed_verification_leaves_no_version(tmp_path):
    """A translate function whose eager result differs from its traced graph (as a system
    bug would) must fail the SavedModel-vs-Keras check and leave no version behind."""
    good = two_way_bundle("broken")
    generator = good.trackables["genA2B"]

    def drifting(image):
        out = generator(image)
        import tensorflow as tf
        return out + 0.5 if tf.executing_eagerly() else out

    bundle = ServingBundle("broken", (HEIGHT, WIDTH), (ServingEndpoint("a2b", drifting),),
                           {"genA2B": generator})
    with pytest.raises(ExportError, match="saved_model:a2b") as caught:
        export_bundle(bundle, str(tmp_path), tflite_quantizations=(), verbose=False)
    assert caught.value.report["passed"] is False
    assert os.listdir(tmp_path / "broken") == []
    assert not os.path.exists(tmp_path / "models.config")


def test_bad_bundles_rejected(tmp_path):
    bundle = two_way_bundle("bad")
    renamed = ServingBundle("bad", (HEIGHT, WIDTH), (bundle.endpoints[0],) * 2, bundle.trackables)
    with pytest.raises(ExportError, match="taken"):
        export_bundle(renamed, str(tmp_path), verbose=False)
    with pytest.raises(ExportError, match="precisions"):
        export_bundle(bundle, str(tmp_path), tflite_quantizations=("int4",), verbose=False)
    assert not os.path.exists(tmp_path / "bad" / "1")


def test_sample_images_from_files(tmp_path, image_files):
    bundle = two_way_bundle("samples")
    report = export_bundle(bundle, str(tmp_path), tflite_quantizations=("float32",), verbose=False,
                           sample_images=[image_files["rgb.jpg"], image_files["gray.png"]])
    assert report["samples"] == {"source": "2 image files", "count": 2}
    assert all(np.isfinite(e["max_abs_error"]) for e in report["tflite"])
