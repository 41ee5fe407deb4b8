"""Contextual GAN through main.py, in this process: --mode=sketch draws the XDoG sketches the
training pipeline would (the run's --xdog_* values, no trained run needed), and is refused for
systems that read no sketches or without its folders; an unknown --direction is refused; the
summary prints both networks."""

import os

import numpy as np
import tensorflow as tf
from PIL import Image

from stargan_tf.export.images import to_model_range
from stargan_tf.pipelines.sketches import xdog_sketch
from stargan_tf.pipelines.xdog import XDoGParameters

XDOG = dict(sigma=0.5, k=2.0, tau=1.0, phi=20.0, epsilon=0.02)
XDOG_FLAGS = [f"--xdog_{name}={value}" for name, value in XDOG.items()]


def test_sketch_mode_draws_what_training_draws(cli, builtin_data, tmp_path):
    photos = os.path.join(builtin_data["shapes_dir"], "celeba", "images")
    out = tmp_path / "sketches"
    code, stdout, err = cli("--model=contextual_gan", "--mode=sketch", "--image_size=32", *XDOG_FLAGS,
                            f"--test_image_dir={photos}", f"--result_dir={out}")
    assert code == 0, err
    names = sorted(os.listdir(out))
    assert len(names) == builtin_data["shapes_num_images"] and names[0] == "000001.png"
    drawn = np.asarray(Image.open(out / names[0]))
    assert drawn.shape == (32, 32, 3) and np.all(drawn[..., 0] == drawn[..., 2])
    photo = Image.open(os.path.join(photos, "000001.jpg")).convert("RGB").resize((32, 32), Image.BILINEAR)
    expected = xdog_sketch(tf.constant(to_model_range(np.asarray(photo))[None]), XDoGParameters(**XDOG)).numpy()
    expected_levels = np.round((expected[0, ..., 0] + 1) * 127.5)
    # The test-mode loader's antialiased resize and PIL's differ slightly; the lines agree.
    assert np.mean(np.abs(drawn[..., 0].astype(int) - expected_levels) > 64) < 0.05
    assert not (tmp_path / "run").exists()


def test_sketch_mode_refusals_and_an_unknown_direction(cli, tmp_path):
    cases = [(["--model=stargan", "--mode=sketch", f"--test_image_dir={tmp_path}", f"--result_dir={tmp_path}"],
              "--model=contextual_gan"),
             (["--model=contextual_gan", "--mode=sketch", f"--test_image_dir={tmp_path}"], "--result_dir"),
             (["--model=contextual_gan", "--direction=sideways"], "--direction=sideways"),
             (["--model=contextual_gan", "--completion_scales=6"], "--completion_scales=6")]
    for argv, words in cases:
        code, _, err = cli(*argv)
        assert code == 2, (argv, err)
        assert words in err and "Traceback" not in err, err


def test_summary_prints_both_networks(cli):
    code, out, err = cli("--model=contextual_gan", "--mode=summary", "--xdog_sigma=0.6", "--xdog_k=2.0",
                         "--xdog_tau=1.0", "--xdog_phi=20", "--xdog_epsilon=0.01", "--image_size=64", "--gf_dim=64",
                         "--df_dim=64", "--batch_size=64")
    assert code == 0, err
    assert "generator: 5,962,755 parameters" in out and "discriminator: 4,324,737 parameters" in out
