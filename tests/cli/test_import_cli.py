"""--mode=import, in this process: the official StarGAN checkpoints (the parity fixtures of
tests/porting, made by yunjey/stargan's own code) become a run that test mode, export and
fine-tuning use, and whose run directory, SavedModel and .tflite file all give the official
code's outputs through the Translator; files that do not fit are explained and nothing is
written."""

import json
import os
import sys

import numpy as np

from stargan_tf import Translator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import snapshot  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "porting", "fixtures",
                        "stargan")
# The fixture networks' sizes: G(conv_dim 4, c_dim 3, repeat 1), D(32 px, conv_dim 8, repeat 3).
NAMES = ("Red_Shape", "Green_Shape", "Blue_Shape")
# The parity bound in [-1, 1] units (tests/porting/test_parity.py), here through the
# exported forms too: float32 TFLite kernels move results by ~1e-6 at these sizes.
PARITY = 1e-4
SIZES = ["--model=stargan", f"--selected_attrs={','.join(NAMES)}", "--image_size=32",
         "--g_conv_dim=4", "--g_repeat_num=1", "--d_conv_dim=8", "--d_repeat_num=3"]


def files(*names, form="legacy"):
    return "--torch_checkpoint=" + ",".join(os.path.join(FIXTURES, form, name) for name in names)


def test_imported_run_tests_exports_and_fine_tunes(cli, builtin_data, tmp_path):
    run = tmp_path / "official"
    code, out, err = cli(*SIZES, "--mode=import", files("9-G.ckpt", "9-D.ckpt"), f"--run_dir={run}")
    assert code == 0, err
    assert "written back in the reference layout: max difference 0" in out
    assert sorted(os.listdir(run / "checkpoints"))[-1].startswith("ckpt-9")
    assert json.loads((run / "imported.json").read_text())["missing"] == []
    reference = np.load(os.path.join(FIXTURES, "reference.npz"))
    # Exported, the official weights translate as the official code does from every form.
    code, out, err = cli(*SIZES, "--mode=export", f"--run_dir={run}", "--tflite_quantization=float32")
    assert code == 0, err
    version = next((run / "export").glob("*/1"))
    forms = {"run": Translator.load(run, **builtin_data), "saved_model": Translator.load(version),
             "tflite": Translator.load(version / "tflite" / "translate_float32.tflite")}
    scores = 1.0 / (1.0 + np.exp(-reference["cls"]))  # D_cls's sigmoid: the attributes endpoint
    for form, translator in forms.items():
        translated = translator.translate(list(reference["image"]), target=reference["label"], as_arrays=True)
        assert np.max(np.abs(np.stack(translated) - reference["translated"])) <= PARITY, form
        estimated = translator.estimate(list(reference["image"]))
        assert np.max(np.abs([[e[n] for n in NAMES] for e in estimated] - scores)) <= PARITY, form
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


def test_sagan_generator_and_discriminator_files_import(cli, tmp_path):
    """train.py's <nimg>.G.pth (the AMN and the SAN) and <nimg>.D.pth; the number counts
    images seen by D steps (480 = 10 cycles of 3 x 16), so the run is at iteration 40."""
    sagan = os.path.join(os.path.dirname(FIXTURES), "sagan", "legacy")
    run = tmp_path / "sagan"
    # The fixture's sizes; train.py's batch size and D steps per G step (the shapes profile's differ).
    sizes = ["--model=sagan", "--target_attr=Spot", "--image_size=128", "--g_conv_dim=2", "--d_conv_dim=2",
             "--g_repeat_num=4", "--d_repeat_num=6", "--batch_size=16", "--n_critic=3"]
    checkpoint = ",".join(os.path.join(sagan, name) for name in ("0000480.G.pth", "0000480.D.pth"))
    code, out, err = cli(*sizes, "--mode=import", f"--run_dir={run}", f"--torch_checkpoint={checkpoint}")
    assert code == 0, err
    for network, tensors in (("attribute_manipulation", 64), ("spatial_attention", 64), ("discriminator", 16)):
        assert f"{network}: {tensors} tensors" in out
    assert out.count("written back in the reference layout: max difference 0\n") == 3
    assert json.loads((run / "imported.json").read_text()) == {
        "iteration": 40, "missing": [], "files": {
            "attribute_manipulation": os.path.join(sagan, "0000480.G.pth"),
            "spatial_attention": os.path.join(sagan, "0000480.G.pth"),
            "discriminator": os.path.join(sagan, "0000480.D.pth")}}
    assert sorted(os.listdir(run / "checkpoints"))[-1].startswith("ckpt-40")


def test_cyclegan_files_and_a_model_zoo_generator_import(cli, tmp_path):
    """save_networks' four ``latest_net_*.pth`` (D_A, which judges domain B, is our disc_b) at
    iteration 0; a zoo ``horse2zebra.pth`` alone is the A->B generator: it translates, and
    training refuses."""
    cyclegan = os.path.join(os.path.dirname(FIXTURES), "cyclegan")
    sizes = ["--model=cyclegan", "--image_size=32", "--ch=4", "--n_res=2"]
    four = ",".join(os.path.join(cyclegan, "zip", f"latest_net_{name}.pth") for name in ("G_A", "G_B", "D_A", "D_B"))
    run = tmp_path / "official"
    code, out, err = cli(*sizes, "--mode=import", f"--torch_checkpoint={four}", f"--run_dir={run}")
    assert code == 0, err
    assert out.count("written back in the reference layout: max difference 0") == 4
    record = json.loads((run / "imported.json").read_text())
    assert record["iteration"] == 0 and record["missing"] == []
    assert record["files"]["disc_b"].endswith("latest_net_D_A.pth")
    assert sorted(os.listdir(run / "checkpoints"))[-1].startswith("ckpt-0")
    zoo, horse2zebra = tmp_path / "zoo", os.path.join(cyclegan, "old", "horse2zebra.pth")
    code, out, err = cli(*sizes, "--mode=import", f"--torch_checkpoint={horse2zebra}", f"--run_dir={zoo}")
    assert code == 0, err
    assert "hold no disc_a, disc_b, generator_b2a" in out and "generator_b2a keeps its initial weights" in out
    reference = np.load(os.path.join(cyclegan, "reference.npz"))
    photos = tmp_path / "photos"
    photos.mkdir()
    from PIL import Image
    Image.fromarray(((reference["real_a"][0] + 1) * 127.5).round().astype(np.uint8)).save(photos / "horse.png")
    code, out, err = cli(*sizes, "--mode=test", "--direction=a2b", f"--run_dir={zoo}", f"--test_image_dir={photos}",
                         f"--result_dir={tmp_path / 'results'}")
    assert code == 0, err
    assert (tmp_path / "results" / "horse_A2B.png").exists()
    before = snapshot(zoo)
    code, out, err = cli(*sizes, "--num_iters=2", f"--run_dir={zoo}", "--noexport_after_train")
    assert code == 2 and "without its disc_a, disc_b, generator_b2a" in err
    assert snapshot(zoo) == before


def test_drit_saved_model_imports_every_network_from_its_one_file(cli, tmp_path):
    """model.py's save() of a --concat=1, --dis_scale=2, --dis_spectral_norm DRIT at width 2:
    one dict feeds our thirteen networks (E_content's and G_concat's shared blocks
    included); the run's iteration is the file's total_it (123) x --d_iter (3)."""
    drit = os.path.join(os.path.dirname(FIXTURES), "drit", "zip", "00007.pth")
    sizes = ["--model=drit", "--image_size=216", "--load_size=256", "--ch=2", "--content_dis_layers=3", "--dis_scale=2",
             "--dis_spectral_norm=true"]
    run = tmp_path / "official"
    code, out, err = cli(*sizes, "--mode=import", f"--torch_checkpoint={drit}", f"--run_dir={run}")
    assert code == 0, err
    assert out.count("written back in the reference layout: max difference 0") == 13
    assert "content_share: 4 tensors" in out and "generator_share: 4 tensors" in out
    record = json.loads((run / "imported.json").read_text())
    assert record["iteration"] == 369 and record["missing"] == []
    assert sorted(os.listdir(run / "checkpoints"))[-1].startswith("ckpt-369")
