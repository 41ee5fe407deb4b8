"""DRIT through main.py, in this process: test mode's random and reference-guided outputs
(named, repeatable), the same through the Translator from the run, its SavedModel and its
.tflite files, images framed as the official test loader frames them, its refusals (odd batch, another --nz or --concat than the run's, an
empty --reference_dir) with exit code 2 and the run directory untouched, and the official
totals in --mode=summary."""

import json
import os
import sys

import numpy as np
import pytest
from PIL import Image

from stargan_tf import Translator
from stargan_tf.export.contract import METADATA_ASSET
from stargan_tf.export.images import to_pixels

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import snapshot, two_iteration_run  # noqa: E402
from translator_forms import assert_forms_agree, outputs_of_every_form  # noqa: E402

TINY_DRIT = ["--model=drit", "--shapes_pair=gray2color", "--image_size=32", "--load_size=36", "--ch=4",
             "--content_dis_layers=0", "--dis_scale=2", "--batch_size=4", "--d_iter=2"]


@pytest.fixture(scope="module")
def drit_run(builtin_data, tmp_path_factory):
    """A tiny DRIT run trained in this process (both step kinds, checkpoint at iteration 2)."""
    return two_iteration_run(builtin_data, tmp_path_factory, "drit", TINY_DRIT)


def photos(folder, count, seed):
    folder.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(folder / f"p{i}.png")
    return folder


def test_test_mode_writes_random_and_reference_outputs_the_same_each_time(cli, drit_run, tmp_path):
    images, references = photos(tmp_path / "mine", 2, 0), photos(tmp_path / "refs", 2, 1)
    outputs = []
    for attempt in ("first", "second"):
        out = tmp_path / attempt
        code, _, err = cli(*TINY_DRIT, "--mode=test", f"--run_dir={drit_run}", f"--test_image_dir={images}",
                           f"--reference_dir={references}", "--num_samples=2", "--direction=a2b",
                           f"--result_dir={out}")
        assert code == 0, err
        outputs.append(snapshot(out))
    expected = {f"p{i}_a2b_{kind}.png" for i in range(2)
                for kind in ("random1", "random2", "from_p0", "from_p1")} | {"grid-001.png"}
    assert set(outputs[0]) == expected
    assert outputs[0] == outputs[1]


def test_the_export_and_test_mode_frame_images_alike_and_the_translator_forms_agree(cli, drit_run, builtin_data,
                                                                                    tmp_path):
    """Images are resized to --load_size (36) and their centred --image_size (32) window taken
    (the official test loader), in test mode as in the export's metadata and preprocessing: the
    same reference-guided translation from both, up to the PNG's rounding. Random attribute
    codes (drawn from the call's seed) and reference images, both directions: the Translator's
    three forms agree within the export's verification bounds."""
    code, _, err = cli(*TINY_DRIT, "--mode=export", f"--run_dir={drit_run}", "--tflite_quantization=float32")
    assert code == 0, err
    version = next((drit_run / "export").glob("*/1"))
    with open(version / METADATA_ASSET) as handle:
        document = json.load(handle)
    assert document["image_size"] == [32, 32] and document["load_size"] == [36, 36]
    images, references = photos(tmp_path / "mine", 2, 2), photos(tmp_path / "refs", 1, 5)
    code, _, err = cli(*TINY_DRIT, "--mode=test", f"--run_dir={drit_run}", f"--test_image_dir={images}",
                       f"--reference_dir={references}", "--num_samples=1", "--direction=a2b",
                       f"--result_dir={tmp_path / 'out'}")
    assert code == 0, err
    written = np.asarray(Image.open(tmp_path / "out" / "p0_a2b_from_p0.png"), np.int32)
    exported = Translator.load(version).translate(images / "p0.png", endpoint="a2b_reference",
                                                  reference=[references / "p0.png"], as_arrays=True)
    assert np.abs(written - to_pixels(exported[0]).astype(np.int32)).max() <= 1

    results = outputs_of_every_form(drit_run, version, sorted(images.iterdir()), **builtin_data)
    assert {"a2b", "b2a"} <= set(results) and all("tflite" in forms for forms in results.values())
    assert_forms_agree(results)


def test_refusals_exit_2_and_leave_the_run_as_it_was(cli, drit_run, tmp_path):
    before = snapshot(drit_run)
    cases = [
        ([*TINY_DRIT, "--batch_size=3", f"--run_dir={tmp_path / 'new'}"], "--batch_size=3"),
        ([*TINY_DRIT, "--nz=4", "--num_iters=4", f"--run_dir={drit_run}"], "--nz"),
        ([*TINY_DRIT, "--concat=0", "--mode=export", f"--run_dir={drit_run}"], "--concat"),
    ]
    (tmp_path / "empty").mkdir()
    images = photos(tmp_path / "mine", 1, 0)
    cases.append(([*TINY_DRIT, "--mode=test", f"--run_dir={drit_run}", f"--test_image_dir={images}",
                   f"--reference_dir={tmp_path / 'empty'}", f"--result_dir={tmp_path / 'out'}"], "empty"))
    for argv, named in cases:
        code, _, err = cli(*argv)
        assert code == 2, (argv, err)
        assert named in err and "Traceback" not in err, err
    assert snapshot(drit_run) == before
    assert not (tmp_path / "new").exists() and not (tmp_path / "out").exists()


def test_summary_prints_the_official_totals(cli, builtin_data):
    pair = os.path.join(builtin_data["shapes_dir"], "gray2color")
    code, out, err = cli("--model=drit", "--mode=summary", "--dataset=folder", f"--data_dir={pair}")
    assert code == 0, err
    assert "Total: 65,039,315 parameters" in out
    assert "content_encoder_a: 3,918,976 parameters" in out and "disc_content: 10,683,649 parameters" in out
