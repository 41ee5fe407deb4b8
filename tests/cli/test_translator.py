"""``Translator``: one call translates the same images the same way from a run directory, its
SavedModel and its .tflite file; conditions by name, those left out estimated by the model's
``attributes`` endpoint; mistakes named."""

import json
import os
import shutil
import sys

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import two_iteration_run  # noqa: E402

from stargan_tf import Translator  # noqa: E402
from stargan_tf.errors import UserError  # noqa: E402

TINY = ["--model=stargan", "--selected_attrs=Red_Shape,Green_Shape,Blue_Shape", "--image_size=16",
        "--g_conv_dim=8", "--d_conv_dim=8", "--g_repeat_num=1", "--d_repeat_num=3", "--batch_size=4", "--n_critic=1",
        "--num_iters_decay=0"]
NAMES = ("Red_Shape", "Green_Shape", "Blue_Shape")
TARGET = {"Red_Shape": 0, "Green_Shape": 0, "Blue_Shape": 1}
# The export's verification bound of float32 TFLite against the SavedModel is 1e-4 in [-1, 1]
# units; the run's networks and the SavedModel run the same graph (float reassociation only).
SAME = 1e-4
# The same image in two rows of one batch: up to 9.5e-7 apart on an AVX2-only AMD EPYC (Zen 3),
# whose kernels treat rows differently; equal on AVX-512. A read that loses the EXIF rotation is
# more than 1e-3 away (asserted below), so 1e-5 keeps the check and the kernels' noise apart.
ROW_NOISE = 1e-5


@pytest.fixture(scope="module")
def exported(builtin_data, tmp_path_factory):
    """(run directory, its export's version folder)."""
    from stargan_tf.cli.flags import FLAGS
    from stargan_tf.cli.main import main

    run = two_iteration_run(builtin_data, tmp_path_factory, "translator", TINY)
    FLAGS.unparse_flags()
    FLAGS(["main.py", *TINY, f"--run_dir={run}", f"--shapes_dir={builtin_data['shapes_dir']}",
           f"--shapes_num_images={builtin_data['shapes_num_images']}", "--mode=export",
           "--tflite_quantization=float32"])
    try:
        assert main(["main.py"]) == 0
    finally:
        FLAGS.unparse_flags()
    return run, next(p for p in (run / "export").glob("*/1"))


@pytest.fixture(scope="module")
def forms(exported, builtin_data):
    run, version = exported
    return {"run": Translator.load(run, **builtin_data), "saved_model": Translator.load(version),
            "tflite": Translator.load(version / "tflite" / "translate_float32.tflite")}


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    rng = np.random.default_rng(1)
    return [rng.integers(0, 255, (20, 20, 3), dtype=np.uint8) for _ in range(3)]


def test_the_three_forms_give_the_same_translation(forms, tmp_path):
    rng = np.random.default_rng(0)
    photo = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 255, (40, 30, 3), dtype=np.uint8)).save(photo)
    pil = Image.open(photo)
    results = {name: translator.translate([photo, pil], target=TARGET, as_arrays=True)
               for name, translator in forms.items()}
    for name, arrays in results.items():
        assert len(arrays) == 2 and arrays[0].shape == (16, 16, 3), name
        np.testing.assert_allclose(arrays[0], arrays[1], atol=ROW_NOISE)  # a path and a PIL image read alike
        np.testing.assert_allclose(arrays[0], results["saved_model"][0], atol=SAME, err_msg=name)
    image = forms["tflite"].translate(str(photo), target=[0, 0, 1])[0]  # a list in label order; PIL out
    assert isinstance(image, Image.Image) and image.size == (16, 16)
    assert forms["run"].conditions() == {"target": ("Red_Shape", "Green_Shape", "Blue_Shape")}


def test_a_pil_image_is_turned_upright_as_its_file_is(forms, tmp_path):
    """EXIF orientation 6 (stored rotated): the opened PIL image reads as the path does."""
    rng = np.random.default_rng(2)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = tmp_path / "rotated.jpg"
    Image.fromarray(rng.integers(0, 255, (24, 40, 3), dtype=np.uint8)).save(photo, exif=exif)
    from_path, from_pil = forms["saved_model"].translate([photo, Image.open(photo)], target=TARGET, as_arrays=True)
    np.testing.assert_allclose(from_path, from_pil, atol=ROW_NOISE)
    stored_pixels = Image.fromarray(np.asarray(Image.open(photo)))  # the same pixels, no EXIF
    upright_ignored = forms["saved_model"].translate(stored_pixels, target=TARGET, as_arrays=True)
    assert np.max(np.abs(upright_ignored[0] - from_path)) > 1e-3  # the orientation matters here


def test_a_partial_target_keeps_the_left_out_labels_as_estimated(forms, photos):
    """Every form: the names left out are the source's as the ``attributes`` endpoint estimates
    them (score above 0.5), so the translation equals that of the full target spelt out."""
    estimates = {name: translator.estimate(photos) for name, translator in forms.items()}
    results = {}
    for name, translator in forms.items():
        assert [list(e) for e in estimates[name]] == [list(NAMES)] * len(photos)
        for got, want in zip(estimates[name], estimates["saved_model"]):
            np.testing.assert_allclose(list(got.values()), list(want.values()), atol=1e-3, err_msg=name)
        full = [[1.0 if n == "Blue_Shape" else float(e[n] > 0.5) for n in NAMES] for e in estimates[name]]
        results[name] = translator.translate(photos, target={"Blue_Shape": 1}, as_arrays=True)
        np.testing.assert_allclose(results[name], translator.translate(photos, target=full, as_arrays=True),
                                   atol=1e-6, err_msg=name)
    for name, arrays in results.items():  # the same estimate, hence the same image, from every form
        np.testing.assert_allclose(arrays, results["saved_model"], atol=SAME, err_msg=name)


def _tflite_copy(version, folder, without_estimator=False):
    """translate_float32.tflite and the metadata as an export lays them out, without
    attributes_float32.tflite; ``without_estimator``: as an export without that endpoint."""
    shutil.copytree(version / "assets.extra", folder / "assets.extra")
    (folder / "tflite").mkdir()
    shutil.copy(version / "tflite" / "translate_float32.tflite", folder / "tflite")
    if without_estimator:
        path = folder / "assets.extra" / "metadata.json"
        document = json.loads(path.read_text())
        document["endpoints"] = [e for e in document["endpoints"] if e["name"] != "attributes"]
        path.write_text(json.dumps(document))
    return Translator.load(folder / "tflite" / "translate_float32.tflite")


def test_conditions_that_do_not_fit_are_named(forms, tmp_path):
    translator = forms["saved_model"]
    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(UserError, match=r"unknown names \['Blond_Hair'\]"):
        translator.translate(image, target={**TARGET, "Blond_Hair": 1})
    with pytest.raises(UserError, match=r"has no inputs \['attribute'\]; it takes \['target'\]"):
        translator.translate(image, target=TARGET, attribute=[0.0])
    with pytest.raises(UserError, match="needs 'target': a value for each of Red_Shape"):
        translator.translate(image)
    with pytest.raises(UserError, match="not a run directory"):
        Translator.load(tmp_path)


def test_no_images_is_a_clear_refusal(forms):
    with pytest.raises(UserError, match="no images given"):
        forms["saved_model"].translate([], target=TARGET)


def test_an_estimate_that_cannot_be_made_is_named(exported, photos, tmp_path):
    """A .tflite without its ``attributes`` sibling still translates full targets; a partial
    target names the missing file. A model without the endpoint lists the missing names."""
    _, version = exported
    alone = _tflite_copy(version, tmp_path / "alone")
    assert len(alone.translate(photos, target=TARGET)) == len(photos)
    with pytest.raises(UserError, match=r"attributes_float32\.tflite is missing: translate_float32\.tflite needs it"):
        alone.translate(photos, target={"Blue_Shape": 1})
    older = _tflite_copy(version, tmp_path / "older", without_estimator=True)
    with pytest.raises(UserError, match=r"missing \['Red_Shape'\].*it has Red_Shape, Green_Shape, Blue_Shape"):
        older.translate(photos, target={"Green_Shape": 0, "Blue_Shape": 1})
    with pytest.raises(UserError, match="no 'attributes' endpoint"):
        older.estimate(photos)


def test_one_hot_targets_need_an_estimate_only_without_a_class():
    """A class given at 1 turns the others off, unestimated; otherwise the likeliest class left
    out (by the estimator's scores) is the target."""
    names = ["happy", "sad", "angry"]
    label = {"name": "target", "kind": "one_hot", "shape": [3], "names": names, "minimum": 0.0, "maximum": 1.0}
    image = {"name": "image", "kind": "image", "shape": [], "names": []}
    endpoints = {"translate": {"inputs": [image, label], "outputs": [{"name": "translated", "kind": "image"}]}}
    estimator = {"outputs": [{"name": "scores", "kind": "scores", "names": names}]}
    calls = []

    def call(endpoint, inputs):
        calls.append(endpoint)
        if endpoint == "attributes":
            return {"scores": np.array([[0.2, 0.7, 0.1], [0.5, 0.1, 0.4]], np.float32)}
        return {"translated": inputs["target"][:, None, None, :]}  # shows the target it was given

    translator = Translator("run", endpoints, (2, 2), call, estimator)
    images = np.zeros((2, 2, 2, 3), np.float32)

    def target(**given):
        return np.stack(translator.translate(images, target=given, as_arrays=True))[:, 0, 0]

    np.testing.assert_array_equal(target(sad=1), [[0, 1, 0]] * 2)
    assert calls == ["translate"]
    np.testing.assert_array_equal(target(), [[0, 1, 0], [1, 0, 0]])  # the source class: identity
    np.testing.assert_array_equal(target(sad=0), [[1, 0, 0], [1, 0, 0]])  # the likeliest other class
