"""main.py's modes and refusals run in this process (no interpreter start per case): flag
and configuration mistakes end with exit code 2 and a message naming the flag before
TensorFlow does any work; summary prints the official parameter counts; the other StarGAN
datasets train; a run directory is never touched by a refused command."""

import os
import sys
import shutil

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import snapshot, two_iteration_run  # noqa: E402

SHAPES_ATTRS = "Red_Shape,Green_Shape,Blue_Shape,Square,Large"


@pytest.mark.parametrize("argv, named", [
    (["--model=stargan", "--lr=1e-3"], "--lr"),
    (["--model=cyclegan", "--light"], "--light"),
    (["--model=cyclegan", "--identity_weight=5"], "--identity_weight"),
    (["--model=ugatit", "--dataset=folder", "--data_dir=x", "--image_size=64"],
     "--global_n_layers=7 needs --image_size >= 96"),
    (["--model=stargan", "--image_size=40", "--d_repeat_num=4"], "--d_repeat_num"),
    (["--model=stargan", "--batch_size=0"], "--batch_size=0"),
    (["--model=ugatit", "--direction=sideways"], "--direction=sideways"),
    (["--model=cyclegan", "--dataset=CelebA"], "--dataset=CelebA"),
    (["--model=ugatit", "--image_size=32", "--load_size=20"], "--load_size=20"),
    (["--export_model_name=my model/v1"], "--export_model_name"),
    (["--mode=test"], "--test_image_dir"),
    (["--num_iters=0"], "--num_iters=0 must be at least 1"),
])
def test_configuration_mistakes_exit_2_naming_the_flag_and_touch_nothing(cli, tmp_path, argv, named):
    code, _, err = cli(*argv)
    assert code == 2
    assert named in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_summary_prints_the_official_parameter_counts(cli):
    code, out, err = cli("--mode=summary", "--dataset=shapes", "--image_size=128", "--g_conv_dim=64",
                         "--d_conv_dim=64", "--g_repeat_num=6", "--d_repeat_num=6", f"--selected_attrs={SHAPES_ATTRS}")
    assert code == 0, err
    assert "generator: 8,430,528 parameters" in out
    assert "discriminator: 44,762,048 parameters" in out


def test_summary_says_which_preset_it_shows_and_takes_the_flags_given(cli):
    code, out, err = cli("--model=cyclegan", "--mode=summary", "--image_size=256")
    assert code == 0, err
    assert "Built-in dataset: CPU preset for" in out and "image_size" not in out.split("CPU preset for")[1].split("(")[0]
    assert "generator_a2b: " in out


TINY_STARGAN = ["--image_size=16", "--g_conv_dim=8", "--d_conv_dim=8", "--g_repeat_num=1", "--d_repeat_num=3",
                "--batch_size=4"]


@pytest.fixture(scope="module")
def trained_run(builtin_data, tmp_path_factory):
    """A tiny StarGAN run trained in this process (checkpoint at iteration 2)."""
    return two_iteration_run(builtin_data, tmp_path_factory, "trained", TINY_STARGAN)


def test_different_architecture_flags_are_refused_and_the_run_is_unchanged(cli, trained_run):
    before = snapshot(trained_run)
    code, _, err = cli(*[f for f in TINY_STARGAN if not f.startswith("--g_conv_dim")], "--g_conv_dim=16",
                       "--num_iters=4", f"--run_dir={trained_run}")
    assert code == 2
    assert "--g_conv_dim" in err and "new --run_dir" in err
    assert snapshot(trained_run) == before


def test_a_checkpoint_of_another_architecture_is_reported(cli, trained_run, tmp_path):
    copy = tmp_path / "run_without_config"
    shutil.copytree(trained_run, copy)
    os.remove(copy / "run_config.json")  # only the checkpoint itself can tell now
    code, _, err = cli(*[f for f in TINY_STARGAN if not f.startswith("--g_conv_dim")], "--g_conv_dim=16",
                       "--mode=export", f"--run_dir={copy}")
    assert code == 2 and "does not fit" in err


def one_photo(folder, shape):
    """``folder`` holding one black PNG ``x.png`` of ``shape``."""
    folder.mkdir()
    Image.fromarray(np.zeros(shape, np.uint8)).save(folder / "x.png")
    return folder


def test_test_mode_refuses_unknown_targets_and_empty_folders(cli, trained_run, tmp_path):
    images = one_photo(tmp_path / "mine", (20, 20, 3))
    code, _, err = cli(*TINY_STARGAN, "--mode=test", f"--run_dir={trained_run}", f"--test_image_dir={images}",
                       "--target_attrs=Purple_Shape")
    assert code == 2 and "Purple_Shape" in err and "--target_attrs" in err
    (tmp_path / "empty").mkdir()
    code, _, err = cli(*TINY_STARGAN, "--mode=test", f"--run_dir={trained_run}", f"--test_image_dir={tmp_path / 'empty'}")
    assert code == 2 and "empty" in err


def test_test_mode_target_attrs_selects_targets(cli, trained_run, tmp_path):
    images = one_photo(tmp_path / "mine", (20, 30, 3))
    code, _, err = cli(*TINY_STARGAN, "--mode=test", f"--run_dir={trained_run}", f"--test_image_dir={images}",
                       f"--result_dir={tmp_path / 'out'}", "--target_attrs=Blue_Shape")
    assert code == 0, err
    assert sorted(os.listdir(tmp_path / "out")) == ["grid-001.png", "x_Blue_Shape.png"]


@pytest.mark.parametrize("dataset", ["RaFD", "Both"])
def test_rafd_and_joint_training_run(cli, builtin_data, tmp_path, dataset):
    shapes = builtin_data["shapes_dir"]
    code, out, err = cli(*TINY_STARGAN, f"--dataset={dataset}", "--num_iters=2", "--noexport_after_train",
                         f"--rafd_image_dir={shapes}/rafd/train", f"--celeba_image_dir={shapes}/celeba/images",
                         f"--attr_path={shapes}/celeba/list_attr_celeba.txt", "--celeba_crop_size=64",
                         "--rafd_crop_size=64", "--selected_attrs=Red_Shape,Green_Shape,Blue_Shape,Square")
    assert code == 0, err
    assert (tmp_path / "run" / "checkpoints" / "checkpoint").exists()


def test_test_mode_reads_every_format_skips_what_it_cannot_and_keeps_names_apart(cli, trained_run, tmp_path):
    images = tmp_path / "mixed"
    images.mkdir()
    pixels = np.random.default_rng(2).integers(0, 255, (20, 30, 3), dtype=np.uint8)
    for name in ("shape.jpg", "shape.bmp", "x.webp"):
        Image.fromarray(pixels).save(images / name)
    (images / "notes.txt").write_text("not an image")
    code, out, err = cli(*TINY_STARGAN, "--mode=test", f"--run_dir={trained_run}", f"--test_image_dir={images}",
                         f"--result_dir={tmp_path / 'out'}", "--target_attrs=Blue_Shape")
    assert code == 0, err
    assert sorted(os.listdir(tmp_path / "out")) == ["grid-001.png", "shape.bmp_Blue_Shape.png",
                                                     "shape.jpg_Blue_Shape.png", "x_Blue_Shape.png"]
    assert "Skipped 1 of 4 files" in out and "notes.txt" in out + err


def test_a_failed_export_verification_is_a_message_and_exit_1(cli, monkeypatch):
    from stargan_tf.cli import app
    from stargan_tf.export.errors import ExportError

    def fail(flags):
        raise ExportError("export verification failed for m version 1 (no version written)")

    monkeypatch.setattr(app, "run", fail)
    code, _, err = cli("--model=stargan", "--mode=export")
    assert code == 1 and "Traceback" not in err
    assert "export verification failed" in err and "--mode=export with the same --run_dir" in err
