"""``Translator``: one call translates the same images the same way from a run directory, its
SavedModel and its .tflite file; conditions by name; mistakes named."""

import os
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
TARGET = {"Red_Shape": 0, "Green_Shape": 0, "Blue_Shape": 1}
# The export's verification bound of float32 TFLite against the SavedModel is 1e-4 in [-1, 1]
# units; the run's networks and the SavedModel run the same graph (float reassociation only).
SAME = 1e-4


@pytest.fixture(scope="module")
def forms(builtin_data, tmp_path_factory):
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
    version = next(p for p in (run / "export").glob("*/1"))
    return {"run": Translator.load(run, **builtin_data), "saved_model": Translator.load(version),
            "tflite": Translator.load(version / "tflite" / "translate_float32.tflite")}


def test_the_three_forms_give_the_same_translation(forms, tmp_path):
    rng = np.random.default_rng(0)
    photo = tmp_path / "photo.png"
    Image.fromarray(rng.integers(0, 255, (40, 30, 3), dtype=np.uint8)).save(photo)
    pil = Image.open(photo)
    results = {name: translator.translate([photo, pil], target=TARGET, as_arrays=True)
               for name, translator in forms.items()}
    for name, arrays in results.items():
        assert len(arrays) == 2 and arrays[0].shape == (16, 16, 3), name
        np.testing.assert_allclose(arrays[0], arrays[1], atol=1e-6)  # a path and a PIL image read alike
        np.testing.assert_allclose(arrays[0], results["saved_model"][0], atol=SAME, err_msg=name)
    image = forms["tflite"].translate(str(photo), target=[0, 0, 1])[0]  # a list in label order; PIL out
    assert isinstance(image, Image.Image) and image.size == (16, 16)
    assert forms["run"].conditions() == {"target": ("Red_Shape", "Green_Shape", "Blue_Shape")}


def test_conditions_that_do_not_fit_are_named(forms, tmp_path):
    translator = forms["saved_model"]
    image = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(UserError, match=r"missing \['Red_Shape'\].*it has Red_Shape, Green_Shape, Blue_Shape"):
        translator.translate(image, target={"Green_Shape": 0, "Blue_Shape": 1})
    with pytest.raises(UserError, match=r"unknown names \['Blond_Hair'\]"):
        translator.translate(image, target={**TARGET, "Blond_Hair": 1})
    with pytest.raises(UserError, match=r"has no inputs \['attribute'\]; it takes \['target'\]"):
        translator.translate(image, target=TARGET, attribute=[0.0])
    with pytest.raises(UserError, match="needs 'target': a value for each of Red_Shape"):
        translator.translate(image)
    with pytest.raises(UserError, match="not a run directory"):
        Translator.load(tmp_path)
