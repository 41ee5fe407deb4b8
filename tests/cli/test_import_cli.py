"""--mode=import, in this process: the official StarGAN checkpoints (the parity fixtures of
tests/porting, made by yunjey/stargan's own code) become a run that test mode, export and
fine-tuning use; files that do not fit are explained and nothing is written."""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import snapshot  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "porting", "fixtures",
                        "stargan")
# The fixture networks' sizes: G(conv_dim 4, c_dim 3, repeat 1), D(32 px, conv_dim 8, repeat 3).
SIZES = ["--model=stargan", "--selected_attrs=Red_Shape,Green_Shape,Blue_Shape", "--image_size=32",
         "--g_conv_dim=4", "--g_repeat_num=1", "--d_conv_dim=8", "--d_repeat_num=3"]


def files(*names, form="legacy"):
    return "--torch_checkpoint=" + ",".join(os.path.join(FIXTURES, form, name) for name in names)


def test_imported_run_tests_exports_and_fine_tunes(cli, tmp_path):
    run = tmp_path / "official"
    code, out, err = cli(*SIZES, "--mode=import", files("9-G.ckpt", "9-D.ckpt"), f"--run_dir={run}")
    assert code == 0, err
    assert "written back in the reference layout: max difference 0" in out
    assert sorted(os.listdir(run / "checkpoints"))[-1].startswith("ckpt-9")
    assert json.loads((run / "imported.json").read_text())["missing"] == []
    reference = np.load(os.path.join(FIXTURES, "reference.npz"))
    photos = tmp_path / "photos"
    photos.mkdir()
    from PIL import Image
    Image.fromarray(((reference["image"][0] + 1) * 127.5).round().astype(np.uint8)).save(photos / "x.png")
    code, out, err = cli(*SIZES, "--mode=test", f"--run_dir={run}", f"--test_image_dir={photos}",
                         f"--result_dir={tmp_path / 'results'}", "--target_attrs=Red_Shape")
    assert code == 0, err
    assert (tmp_path / "results" / "x_Red_Shape.png").exists()
    # Fine-tuning: training resumes at the files' iteration with fresh optimizers, and exports.
    code, out, err = cli(*SIZES, "--num_iters=10", "--batch_size=4", f"--run_dir={run}",
                         "--tflite_quantization=float32")
    assert code == 0, err
    assert "Resuming from iteration 9" in out and "saved_model" in out


def test_generator_only_import_tests_but_refuses_to_train(cli, tmp_path):
    run = tmp_path / "generator_only"
    code, out, err = cli(*SIZES, "--mode=import", files("9-G.ckpt", form="zip"), f"--run_dir={run}")
    assert code == 0, err
    assert "hold no discriminator" in out
    before = snapshot(run)
    code, out, err = cli(*SIZES, "--num_iters=10", f"--run_dir={run}", "--noexport_after_train")
    assert code == 2 and "without its discriminator" in err and "--torch_checkpoint" in err
    assert snapshot(run) == before


def test_checkpoints_that_do_not_fit_are_explained_and_nothing_is_written(cli, tmp_path):
    run = tmp_path / "refused"
    # Five labels where the checkpoint has three: the flag is named, with both counts.
    code, out, err = cli(*SIZES[:1], "--selected_attrs=Red_Shape,Green_Shape,Blue_Shape,Square,Large",
                         *SIZES[2:], "--mode=import", files("9-G.ckpt", "9-D.ckpt"), f"--run_dir={run}")
    assert code == 2 and "main.0.weight has shape (4, 6, 7, 7)" in err and "--selected_attrs gives 5 labels" in err
    # A D file given as G: named by what the reference code calls its files.
    renamed = tmp_path / "9-G.ckpt"
    renamed.write_bytes(open(os.path.join(FIXTURES, "legacy", "9-D.ckpt"), "rb").read())
    code, out, err = cli(*SIZES, "--mode=import", f"--torch_checkpoint={renamed}", f"--run_dir={run}")
    assert code == 2 and "missing main.1.weight" in err
    code, out, err = cli(*SIZES, "--mode=import", f"--torch_checkpoint={tmp_path / 'model.pt'}", f"--run_dir={run}")
    assert code == 2 and "<iteration>-G.ckpt" in err
    assert not run.exists()
    # An existing run is never overwritten.
    run.mkdir()
    (run / "keep.txt").write_text("mine")
    code, out, err = cli(*SIZES, "--mode=import", files("9-G.ckpt"), f"--run_dir={run}")
    assert code == 2 and "already holds files" in err
    assert os.listdir(run) == ["keep.txt"]


def test_ugatit_params_file_imports_its_networks_by_key(cli, tmp_path):
    """UGATIT.py's one file of six state dicts; this one holds the light generators only."""
    light = os.path.join(os.path.dirname(FIXTURES), "ugatit", "light", "shapes_params_0000007.pt")
    sizes = ["--model=ugatit", "--image_size=128", "--ch=4", "--n_res=1", "--light=true"]
    code, out, err = cli(*sizes, "--mode=import", f"--torch_checkpoint={light}", f"--run_dir={tmp_path / 'biased'}")
    assert code == 2 and "--unbiased_variance=true" in err and not (tmp_path / "biased").exists()
    run = tmp_path / "light"
    code, out, err = cli(*sizes, "--unbiased_variance=true", "--mode=import", f"--torch_checkpoint={light}",
                         f"--run_dir={run}")
    assert code == 0, err
    assert "generator_a2b: 26 tensors" in out and "hold no disc_global_a, disc_global_b" in out
    assert json.loads((run / "imported.json").read_text())["iteration"] == 7
