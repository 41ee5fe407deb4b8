"""Version directories, models.config, the report, and failed exports leaving nothing."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from export_fixtures import HEIGHT, WIDTH, two_way_bundle
from stargan_tf.export import MASK, ExportError, ServingBundle, ServingEndpoint, ServingOutput, export_bundle
from stargan_tf.export.verify import DEFAULT_TOLERANCES


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


def test_models_config_base_paths_are_absolute_for_a_relative_export_dir(tmp_path, monkeypatch):
    from stargan_tf.export import saved_model
    (tmp_path / "exports" / "m" / "1").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert f'base_path: "{tmp_path / "exports" / "m"}"' in saved_model.model_config_text("exports")


def test_report_written(stargan_export):
    _, _, report = stargan_export
    with open(os.path.join(report["path"], "export_report.json")) as f:
        on_disk = json.load(f)
    assert on_disk["passed"] and on_disk["verified"] and on_disk["version"] == 1
    assert on_disk["saved_model"]["checks"]["translate"]["outputs"]["translated"]["max_abs_error_vs_keras"] <= 1e-4
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


def test_endpoint_tolerances_override_the_exporters(tmp_path):
    """DEFAULT_TOLERANCES < export_bundle(tolerances=) < ServingEndpoint(tolerances=): an
    impossible bound on one endpoint fails that endpoint only, and nothing is published."""
    bundle = two_way_bundle("strict", tolerances={"b2a": {"saved_model_max_abs": -1.0}})
    with pytest.raises(ExportError, match="saved_model:b2a:translated") as caught:
        export_bundle(bundle, str(tmp_path), tflite_quantizations=(), verbose=False,
                      tolerances={"saved_model_max_abs": 1e-3})
    report = caught.value.report
    assert list(report["failures"]) == ["saved_model:b2a:translated"]
    assert report["endpoints"]["a2b"]["tolerances"]["saved_model_max_abs"] == 1e-3
    assert report["endpoints"]["b2a"]["tolerances"]["saved_model_max_abs"] == -1.0
    assert report["saved_model"]["checks"]["a2b"]["passed"]
    assert os.listdir(tmp_path / "strict") == []
    assert not os.path.exists(tmp_path / "models.config")
    with pytest.raises(ExportError, match="unknown tolerances \\['float32_psnr'\\]"):
        export_bundle(two_way_bundle("typo", tolerances={"a2b": {"float32_psnr": 40.0}}), str(tmp_path), verbose=False)
    assert not os.path.exists(tmp_path / "typo")


@pytest.mark.parametrize("outputs, returns, message", [
    ((ServingOutput("translated"), ServingOutput("mask", MASK)), "tensor", "must return a dict"),
    ((ServingOutput("translated"), ServingOutput("mask", MASK)), {"translated", "heatmap"},
     "returned outputs \\['heatmap', 'translated'\\], declared \\['mask', 'translated'\\]"),
    ((ServingOutput("translated"), ServingOutput("mask", MASK)), {"translated", "mask"},
     "output 'mask' \\(mask\\) has shape .* expected \\[batch, 16, 24, 1\\]"),
])
def test_output_declarations_checked_when_traced(tmp_path, outputs, returns, message):
    generator = two_way_bundle("traced").trackables["genA2B"]

    def translate(image):
        out = generator(image)  # [batch, H, W, 3]: wrong for a MASK output
        return out if returns == "tensor" else {name: out for name in returns}

    bundle = ServingBundle("traced", (HEIGHT, WIDTH), (ServingEndpoint("a2b", translate, outputs=outputs),),
                           {"genA2B": generator})
    with pytest.raises(ExportError, match=message):
        export_bundle(bundle, str(tmp_path), tflite_quantizations=(), verbose=False)
    assert os.listdir(tmp_path / "traced") == []


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
    assert all(np.isfinite(e["outputs"]["translated"]["max_abs_error"]) for e in report["tflite"])


def test_published_files_have_the_modes_of_an_ordinary_mkdir_and_open(tmp_path):
    """Under umask 002 an ordinary mkdir gives 0775 and open 0664. Before: the version folder
    0700 (tempfile.mkdtemp), models.config 0600 (mkstemp), TensorFlow's variables/ 0755."""
    previous = os.umask(0o002)
    try:
        report = export_bundle(two_way_bundle("shared"), str(tmp_path), tflite_quantizations=("float32",),
                               verify=False, verbose=False)
    finally:
        os.umask(previous)
    modes = {}
    for folder, subfolders, files in os.walk(report["path"]):
        modes[folder] = os.stat(folder).st_mode & 0o777
        modes.update({os.path.join(folder, f): os.stat(os.path.join(folder, f)).st_mode & 0o777 for f in files})
    folders = {p for p in modes if os.path.isdir(p)}
    assert {os.path.relpath(p, report["path"]) for p in folders} >= {".", "variables", "assets.extra", "tflite"}
    assert {p: oct(m) for p, m in modes.items() if m != (0o775 if p in folders else 0o664)} == {}
    assert os.stat(tmp_path / "models.config").st_mode & 0o777 == 0o664


def test_next_export_removes_staging_left_by_dead_exporters_of_this_host_only(tmp_path, monkeypatch):
    from stargan_tf.export import saved_model
    dead_pid = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                                  text=True, check=True).stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    model_dir = tmp_path / "cleaned"
    try:
        made = {}
        for owner, pid in (("dead", dead_pid), ("live", live.pid), ("this", os.getpid())):
            monkeypatch.setattr(os, "getpid", lambda pid=pid: pid)  # as that exporter would have named it
            made[owner] = os.path.basename(saved_model.make_staging_dir(str(model_dir), 1))
            monkeypatch.undo()
        made["elsewhere"] = made["dead"].replace(saved_model._host(), "otherhost")  # its process table is not ours
        made["unowned"] = ".tmp-1-k3j4h5g6"  # tempfile.mkdtemp's name, from before owners were recorded
        for owner in ("elsewhere", "unowned"):
            (model_dir / made[owner]).mkdir()
        (tmp_path / made["dead"].replace(".tmp-1-", ".tmp-models.config-")).write_text("half written")
        report = export_bundle(two_way_bundle("cleaned"), str(tmp_path), tflite_quantizations=(), verify=False,
                               verbose=False)
    finally:
        live.kill()
        live.wait()
    assert report["removed_abandoned_staging"] == [
        str(model_dir / made["dead"]), str(tmp_path / made["dead"].replace(".tmp-1-", ".tmp-models.config-"))]
    assert sorted(os.listdir(model_dir)) == sorted(["1", made["live"], made["this"], made["elsewhere"],
                                                    made["unowned"]])
    assert sorted(os.listdir(tmp_path)) == ["cleaned", "models.config"]


def test_max_image_pixels_is_validated(tmp_path):
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ExportError, match="max_image_pixels must be a positive integer"):
            export_bundle(two_way_bundle("limits"), str(tmp_path), max_image_pixels=bad, verbose=False)
    assert not os.path.exists(tmp_path / "limits")


def stand_in_bundle(name, stand_in_tolerances=None, stand_in_outputs=None):
    """``a2b`` runs the generator three times, verified as ``a2b_once`` (the same op once),
    with report-only bounds of its own, as an iterative search is exported."""
    generator = two_way_bundle(name).trackables["genA2B"]
    once = ServingEndpoint("a2b_once", lambda image: generator(image), tolerances=stand_in_tolerances or {},
                           **({"outputs": stand_in_outputs} if stand_in_outputs else {}))
    thrice = ServingEndpoint("a2b", lambda image: generator(generator(generator(image))), verified_as=once,
                             tolerances={"float32_max_abs": None, "float16_min_psnr": None})
    return ServingBundle(name, (HEIGHT, WIDTH), (thrice,), {"genA2B": generator})


def test_an_endpoint_verified_as_a_stand_in(tmp_path):
    """The stand-in's TFLite files are checked at its bounds and not shipped; the endpoint's
    own differences are reported."""
    report = export_bundle(stand_in_bundle("searched"), str(tmp_path), tflite_quantizations=("float32", "float16"),
                           verbose=False)
    assert sorted(os.listdir(tmp_path / "searched" / "1" / "tflite")) == ["a2b_float16.tflite", "a2b_float32.tflite"]
    assert report["endpoints"]["a2b"]["verified_as"] == {
        "endpoint": "a2b_once", "tolerances": {**DEFAULT_TOLERANCES}}
    for entry in report["tflite"]:
        assert entry["passed"] and entry["verified_as"]["endpoint"] == "a2b_once" and entry["verified_as"]["passed"]
        assert entry["tolerance"]["max_abs"] is None and entry["tolerance"]["min_psnr_db"] is None
        assert np.isfinite(entry["outputs"]["translated"]["max_abs_error"])
    assert report["tflite"][0]["verified_as"]["tolerance"]["max_abs"] == DEFAULT_TOLERANCES["float32_max_abs"]
    assert report["tflite"][1]["verified_as"]["tolerance"]["min_psnr_db"] == DEFAULT_TOLERANCES["float16_min_psnr"]


def test_a_failing_stand_in_fails_the_export_and_a_mismatched_one_is_refused(tmp_path):
    with pytest.raises(ExportError, match="a2b_float32.tflite \\(verified as a2b_once\\):translated") as caught:
        export_bundle(stand_in_bundle("strict", {"float32_max_abs": -1.0}), str(tmp_path),
                      tflite_quantizations=("float32",), verbose=False)
    assert caught.value.report["tflite"][0]["outputs"]["translated"]["passed"]
    assert os.listdir(tmp_path / "strict") == []
    with pytest.raises(ExportError, match="verified as 'a2b_once', whose inputs or outputs differ"):
        export_bundle(stand_in_bundle("mismatched", stand_in_outputs=(ServingOutput("other"),)), str(tmp_path),
                      tflite_quantizations=("float32",), verbose=False)
    assert not os.path.exists(tmp_path / "mismatched" / "1")
