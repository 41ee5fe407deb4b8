"""main.py end to end at tiny size: train, resume, test on odd images, summary, bad input."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--image_size=16", "--g_conv_dim=8", "--d_conv_dim=8", "--g_repeat_num=1", "--d_repeat_num=3",
        "--batch_size=4", "--shapes_num_images=80", "--export_after_train=false", "--sample_step=2",
        "--log_step=1"]


def run_main(*args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, os.path.join(ROOT, "main.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def checkpoint_weights(run_dir):
    reader = tf.train.load_checkpoint(os.path.join(run_dir, "checkpoints"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if "generator" in name or "discriminator" in name}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def trained_run(workdir):
    result = run_main(*TINY, "--num_iters=4", "--model_save_step=2", f"--run_dir={workdir}/run", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir / "run", result


def test_train_leaves_checkpoint_logs_samples_and_prints_them(trained_run):
    run_dir, result = trained_run
    assert (run_dir / "checkpoints" / "checkpoint").exists()
    assert os.listdir(run_dir / "logs")
    assert (run_dir / "samples" / "000004-images.png").exists()
    for name in ("checkpoints", "tensorboard", "samples"):
        assert name in result.stdout
    sample = Image.open(run_dir / "samples" / "000004-images.png")
    # 8 fixed examples x (input + 3 colour targets + Dark_Background flip) at 16 px
    assert sample.size == (16 * 5, 16 * 8)


def test_resume_equals_uninterrupted_run(workdir):
    straight = run_main(*TINY, "--num_iters=6", "--model_save_step=3", f"--run_dir={workdir}/straight", cwd=workdir)
    assert straight.returncode == 0, straight.stderr[-3000:]
    first = run_main(*TINY, "--num_iters=3", "--model_save_step=3", f"--run_dir={workdir}/resumed", cwd=workdir)
    assert first.returncode == 0, first.stderr[-3000:]
    second = run_main(*TINY, "--num_iters=6", "--model_save_step=3", f"--run_dir={workdir}/resumed", cwd=workdir)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Resuming from iteration 3" in second.stdout
    expected, resumed = checkpoint_weights(workdir / "straight"), checkpoint_weights(workdir / "resumed")
    assert expected.keys() == resumed.keys() and expected
    for name in expected:
        np.testing.assert_allclose(resumed[name], expected[name], atol=1e-6, err_msg=name)


def _odd_images(folder):
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (30, 50, 4), dtype=np.uint8), "RGBA").save(folder / "rgba.png")
    Image.fromarray(rng.integers(0, 255, (40, 24), dtype=np.uint8), "L").save(folder / "gray.png")
    Image.fromarray(rng.integers(0, 255, (21, 37, 3), dtype=np.uint8)).save(folder / "wide.jpg")
    return folder


def test_test_mode_translates_odd_images_into_every_target(trained_run, workdir):
    run_dir, _ = trained_run
    images = _odd_images(workdir / "mine")
    result = run_main(*TINY, "--mode=test", f"--run_dir={run_dir}", f"--test_image_dir={images}",
                      f"--result_dir={workdir}/results", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    written = sorted(os.listdir(workdir / "results"))
    for stem in ("rgba", "gray", "wide"):
        for target in ("Red_Shape", "Green_Shape", "Blue_Shape", "Dark_Background"):
            assert f"{stem}_{target}.png" in written
    assert "grid-001.png" in written
    assert Image.open(workdir / "results" / "wide_Red_Shape.png").size == (16, 16)


def test_test_mode_target_attrs_selects_targets(trained_run, workdir):
    run_dir, _ = trained_run
    images = _odd_images(workdir / "mine2")
    result = run_main(*TINY, "--mode=test", f"--run_dir={run_dir}", f"--test_image_dir={images}",
                      f"--result_dir={workdir}/some", "--target_attrs=Blue_Shape", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(os.listdir(workdir / "some")) == ["gray_Blue_Shape.png", "grid-001.png", "rgba_Blue_Shape.png",
                                                     "wide_Blue_Shape.png"]


def test_summary_prints_parameter_counts_at_paper_defaults(workdir):
    result = run_main("--mode=summary", "--image_size=128", "--g_conv_dim=64", "--d_conv_dim=64",
                      "--g_repeat_num=6", "--d_repeat_num=6", "--selected_attrs=Red_Shape,Green_Shape,Blue_Shape,Square,Large",
                      f"--run_dir={workdir}/summary", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "generator: 8,430,528 parameters" in result.stdout
    assert "discriminator: 44,762,048 parameters" in result.stdout


@pytest.mark.parametrize("dataset", ["RaFD", "Both"])
def test_rafd_and_joint_training_run(workdir, dataset):
    from stargan_tf.pipelines import write_shapes_dataset
    shapes = workdir / "data" / "shapes"
    write_shapes_dataset(shapes, num_images=80, image_size=64, seed=0)  # what --dataset=shapes writes
    result = run_main(*TINY, f"--dataset={dataset}", "--num_iters=2", f"--run_dir={workdir}/{dataset}",
                      f"--rafd_image_dir={shapes}/rafd/train", f"--celeba_image_dir={shapes}/celeba/images",
                      f"--attr_path={shapes}/celeba/list_attr_celeba.txt", "--celeba_crop_size=64",
                      "--rafd_crop_size=64", "--selected_attrs=Red_Shape,Green_Shape,Blue_Shape,Square", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (workdir / dataset / "checkpoints" / "checkpoint").exists()


# ---- bad input: clear message, exit code 2, nothing lost -----------------------------------------
def test_unknown_selected_attribute_is_named(workdir):
    result = run_main(*TINY, "--selected_attrs=Red_Shape,Purple_Shape", f"--run_dir={workdir}/bad_attr", cwd=workdir)
    assert result.returncode == 2
    assert "Purple_Shape" in result.stderr and "--selected_attrs" in result.stderr
    assert not (workdir / "bad_attr" / "checkpoints").exists()


def test_wrong_target_attrs_is_named(trained_run, workdir):
    run_dir, _ = trained_run
    images = _odd_images(workdir / "mine3")
    result = run_main(*TINY, "--mode=test", f"--run_dir={run_dir}", f"--test_image_dir={images}",
                      "--target_attrs=Purple_Shape", f"--result_dir={workdir}/none", cwd=workdir)
    assert result.returncode == 2
    assert "Purple_Shape" in result.stderr and "--target_attrs" in result.stderr


def test_empty_test_folder_is_named(trained_run, workdir):
    run_dir, _ = trained_run
    (workdir / "empty").mkdir(exist_ok=True)
    result = run_main(*TINY, "--mode=test", f"--run_dir={run_dir}", f"--test_image_dir={workdir}/empty", cwd=workdir)
    assert result.returncode == 2
    assert "empty" in result.stderr


def test_different_architecture_flags_do_not_touch_the_run(trained_run, workdir):
    run_dir, _ = trained_run
    before = sorted(os.listdir(run_dir / "checkpoints"))
    result = run_main(*[f for f in TINY if not f.startswith("--g_conv_dim")], "--g_conv_dim=16", "--num_iters=8",
                      f"--run_dir={run_dir}", cwd=workdir)
    assert result.returncode == 2
    assert "--g_conv_dim" in result.stderr and "new --run_dir" in result.stderr
    assert sorted(os.listdir(run_dir / "checkpoints")) == before


def test_checkpoint_of_another_architecture_is_reported(trained_run, workdir):
    import shutil
    run_dir, _ = trained_run
    copy = workdir / "run_without_config"
    shutil.copytree(run_dir, copy)
    os.remove(copy / "run_config.json")  # only the checkpoint itself can tell now
    result = run_main(*[f for f in TINY if not f.startswith("--g_conv_dim")], "--g_conv_dim=16", "--mode=export",
                      f"--run_dir={copy}", cwd=workdir)
    assert result.returncode == 2
    assert "does not fit" in result.stderr


def test_corrupt_training_image_stops_before_training(workdir):
    import shutil
    from stargan_tf.pipelines import write_shapes_dataset
    write_shapes_dataset(workdir / "data" / "shapes", num_images=80, image_size=64, seed=0)
    shapes = workdir / "corrupt_shapes"
    shutil.copytree(workdir / "data" / "shapes", shapes, dirs_exist_ok=True)
    victim = sorted((shapes / "celeba" / "images").iterdir())[-1]
    victim.write_bytes(victim.read_bytes()[:100])
    result = run_main(*TINY, f"--shapes_dir={shapes}", f"--run_dir={workdir}/corrupt", cwd=workdir)
    assert result.returncode == 2
    assert victim.name in result.stderr
    assert not (workdir / "corrupt" / "checkpoints").exists()
