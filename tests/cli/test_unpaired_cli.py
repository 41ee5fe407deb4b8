"""main.py for U-GAT-IT and CycleGAN at tiny size: train + export, test mode, bad data folders."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = {
    "ugatit": ["--model=ugatit", "--image_size=32", "--ch=4", "--n_res=1", "--light", "--global_n_layers=5",
               "--local_n_layers=3", "--batch_size=2", "--shapes_num_images=60"],
    "cyclegan": ["--model=cyclegan", "--image_size=32", "--ch=4", "--n_res=1", "--batch_size=2",
                 "--shapes_num_images=60", "--pool_size=4"],
}


def run_main(*args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, os.path.join(ROOT, "main.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=400)


@pytest.mark.parametrize("model", ["ugatit", "cyclegan"])
def test_train_export_and_test_mode(tmp_path, model):
    run_dir = tmp_path / "run"
    result = run_main(*TINY[model], "--num_iters=2", "--sample_step=2", "--model_save_step=2",
                      "--tflite_quantization=float32", f"--run_dir={run_dir}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((run_dir / "export" / model / "1" / "export_report.json").read_text())
    assert report["passed"]
    assert {"a2b", "b2a", "serving_default"} <= set(report["signatures"])
    images = tmp_path / "mine"
    images.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (20, 45, 4), dtype=np.uint8), "RGBA").save(images / "x.png")
    result = run_main(*TINY[model], "--mode=test", "--direction=a2b", f"--run_dir={run_dir}",
                      f"--test_image_dir={images}", f"--result_dir={tmp_path}/out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    written = set(os.listdir(tmp_path / "out"))
    assert {"x_A2B.png", "grid-001.png"} <= written
    if model == "ugatit":  # attention maps of the generator and both discriminators
        assert {"x_A2B_cam.png", "x_A2B_disc_global_cam.png", "x_A2B_disc_local_cam.png"} <= written


def test_missing_domain_folder_is_named(tmp_path):
    data = tmp_path / "pair"
    (data / "trainA").mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(data / "trainA" / "a.png")
    result = run_main(*TINY["cyclegan"], "--dataset=folder", f"--data_dir={data}", f"--run_dir={tmp_path}/run",
                      cwd=tmp_path)
    assert result.returncode == 2
    assert "trainB" in result.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_load_size_smaller_than_image_size_is_named(tmp_path):
    result = run_main(*TINY["ugatit"], "--load_size=20", f"--run_dir={tmp_path}/run", f"--shapes_dir={tmp_path}/shapes",
                      cwd=tmp_path)
    assert result.returncode == 2
    assert "--load_size=20" in result.stderr and "--image_size=32" in result.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()


def _weights(run_dir):
    import tensorflow as tf
    reader = tf.train.load_checkpoint(str(run_dir / "checkpoints"))
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if name != "_CHECKPOINTABLE_OBJECT_GRAPH"}


@pytest.mark.parametrize("model", ["ugatit", "cyclegan"])
def test_resume_equals_uninterrupted_run(tmp_path, model):
    common = [*TINY[model], "--export_after_train=false", "--model_save_step=2"]
    straight = run_main(*common, "--num_iters=4", f"--run_dir={tmp_path}/straight", cwd=tmp_path)
    assert straight.returncode == 0, straight.stderr[-3000:]
    for iters in (2, 4):
        part = run_main(*common, f"--num_iters={iters}", f"--run_dir={tmp_path}/resumed", cwd=tmp_path)
        assert part.returncode == 0, part.stderr[-3000:]
    assert "Resuming from iteration 2" in part.stdout
    expected, resumed = _weights(tmp_path / "straight"), _weights(tmp_path / "resumed")
    assert expected.keys() == resumed.keys()
    for name in expected:  # networks, optimizer slots, image pools, step
        np.testing.assert_allclose(resumed[name], expected[name], atol=1e-5, err_msg=name)


@pytest.mark.parametrize("pair", ["circle2square", "red2blue"])
def test_shapes_pair_selects_the_built_in_domain_folders(tmp_path, pair):
    from types import SimpleNamespace

    from stargan_tf.cli import data
    flags = SimpleNamespace(dataset="shapes", shapes_pair=pair, shapes_dir=str(tmp_path / "shapes"),
                            shapes_num_images=60, data_dir=None, image_size=16, load_size=None, batch_size=2,
                            seed=0, cache=False)
    chosen = data.unpaired_data(flags, str(tmp_path / "checks"))
    assert chosen.data_dir == os.path.join(str(tmp_path / "shapes"), pair)
    assert chosen.load_size == 46
