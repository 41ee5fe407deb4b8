"""SaGAN through main.py, in this process: test mode writes, per photo, the edit D's
attribute head says makes sense (add or remove) and the mask; the refusals (an attribute the
file lacks, two attributes, a constant attribute column) exit 2 and record no run;
--mode=summary prints the reference's parameter counts."""

import os
import sys

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import two_iteration_run  # noqa: E402

TINY_SAGAN = ["--model=sagan", "--target_attr=Spot", "--image_size=16", "--g_conv_dim=4", "--d_conv_dim=4",
              "--g_repeat_num=1", "--d_repeat_num=3", "--batch_size=4", "--n_critic=1"]


@pytest.fixture(scope="module")
def sagan_run(builtin_data, tmp_path_factory):
    """A tiny SaGAN run trained in this process (a D and a G iteration, checkpoint at 2)."""
    return two_iteration_run(builtin_data, tmp_path_factory, "sagan", TINY_SAGAN)


def test_test_mode_writes_the_edit_and_the_mask_of_each_photo(cli, sagan_run, tmp_path):
    photos = tmp_path / "mine"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for name in ("one", "two"):
        Image.fromarray(rng.integers(0, 256, (24, 30, 3), dtype=np.uint8)).save(photos / f"{name}.png")
    code, out, err = cli(*TINY_SAGAN, "--mode=test", f"--run_dir={sagan_run}", f"--test_image_dir={photos}",
                         f"--result_dir={tmp_path / 'out'}")
    assert code == 0, err
    written = sorted(os.listdir(tmp_path / "out"))
    assert "grid-001.png" in written and "one_mask.png" in written and "two_mask.png" in written
    edits = [name for name in written if name.endswith("_Spot.png")]
    assert sorted(name.split("_")[0] for name in edits) == ["one", "two"]
    assert all(name.split("_")[1] in ("add", "remove") for name in edits)


def test_refusals_exit_2_and_write_no_run(cli, builtin_data, tmp_path):
    celeba = os.path.join(builtin_data["shapes_dir"], "celeba")
    lines = open(os.path.join(celeba, "list_attr_celeba.txt")).read().splitlines()
    constant = tmp_path / "constant.txt"  # every image without a Spot
    constant.write_text("\n".join(lines[:2] + [row[: row.rindex(" ")] + " -1" for row in lines[2:]]) + "\n")
    on_celeba = ["--dataset=CelebA", f"--celeba_image_dir={os.path.join(celeba, 'images')}", "--celeba_crop_size=64"]
    cases = [
        ([*TINY_SAGAN, "--target_attr=Eyeglasses", "--num_iters=4"], ["Eyeglasses not found", "Spot"]),
        ([*TINY_SAGAN, "--target_attr=Spot,Large", "--num_iters=4"], ["exactly one attribute"]),
        ([*TINY_SAGAN, *on_celeba, f"--attr_path={constant}", "--num_iters=4"], ["Spot", "nothing to learn",
                                                                                  str(constant)]),
    ]
    for argv, words in cases:
        code, _, err = cli(*argv, f"--run_dir={tmp_path / 'new'}")
        assert code == 2, (argv, err)
        assert all(word in err for word in words) and "Traceback" not in err, err
        assert not (tmp_path / "new" / "run_config.json").exists() and not (tmp_path / "new" / "checkpoints").exists()


def test_summary_prints_the_reference_parameter_counts(cli):
    code, out, err = cli("--model=sagan", "--mode=summary", "--target_attr=Spot", "--image_size=128",
                         "--g_conv_dim=32", "--d_conv_dim=32", "--g_repeat_num=4", "--d_repeat_num=6")
    assert code == 0, err
    for line in ("attribute_manipulation: 6,112,675 parameters", "spatial_attention: 6,107,969 parameters",
                 "discriminator: 11,190,754 parameters"):
        assert line in out
