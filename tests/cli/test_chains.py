"""main.py end to end, one chain per data family in one run directory, each step a fresh
process as a user runs it: train (with export), train again to resume, test on odd images,
export again under another model name (default family); plus one bad-data run per family (exit 2, a message
naming the file, the run directory left without a record). The system of each family is the
first registered one that reads it; it trains its tiny preset on the built-in data."""

import json
import os
import shutil
import sys

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "distributed"))
import procs  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from translator_forms import assert_forms_agree, outputs_of_every_form  # noqa: E402

from stargan_tf.cli import native_log  # noqa: E402
from stargan_tf.models.registry import REGISTRY  # noqa: E402

FAMILIES = {}
for _name, _spec in REGISTRY.items():
    FAMILIES.setdefault(_spec.data, _name)
CHAIN = dict(num_iters=2, model_save_step=2, sample_step=2, log_step=1, tflite_quantization="float32")


def odd_images(folder):
    """RGBA, grayscale and non-square user images."""
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (30, 50, 4), dtype=np.uint8), "RGBA").save(folder / "rgba.png")
    Image.fromarray(rng.integers(0, 255, (40, 24), dtype=np.uint8), "L").save(folder / "gray.png")
    Image.fromarray(rng.integers(0, 255, (21, 37, 3), dtype=np.uint8)).save(folder / "wide.jpg")
    return folder


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def chain(request, builtin_data, tmp_path_factory):
    """(system, work folder, {step: completed process}) of one family's chain."""
    system = FAMILIES[request.param]
    work = tmp_path_factory.mktemp(f"chain-{system}")
    run_dir = work / "run"
    argv = procs.tiny_argv(system, builtin_data, **CHAIN) + [f"--run_dir={run_dir}"]
    steps = {"train": procs.run_main(*argv, cwd=work)}
    if steps["train"].returncode == 0:  # its export, through the Translator (this process)
        version = printed_path(steps["train"].stdout, "saved_model")
        steps["forms"] = outputs_of_every_form(run_dir, version, sorted(odd_images(work / "mine").iterdir()),
                                               **builtin_data)
    # Exporting after the resume is checked on the default family only: an export costs a
    # family's chain about a third of its time, and the other families' exports are checked
    # after their first training.
    again = [] if system == procs.DEFAULT_SYSTEM else ["--export_after_train=false"]
    steps["resume"] = procs.run_main(*argv, "--num_iters=4", *again, cwd=work)
    steps["test"] = procs.run_main(*argv, "--mode=test", f"--test_image_dir={odd_images(work / 'mine')}",
                                   f"--result_dir={work / 'results'}", cwd=work)
    # Export mode (the CLI around the exporter every family's first training ran) on the
    # default family only.
    if system == procs.DEFAULT_SYSTEM:
        steps["export"] = procs.run_main(*argv, "--mode=export", "--export_model_name=renamed", cwd=work)
    return system, work, steps


def printed_path(stdout, name):
    """The path main.py printed for ``name`` in its closing list."""
    line = next(line for line in stdout.splitlines() if line.strip().startswith(name + " "))
    return line.strip()[len(name):].strip()


def test_train_writes_checkpoint_logs_samples_export_and_prints_them(chain):
    system, work, steps = chain
    train = steps["train"]
    assert train.returncode == 0, train.stderr[-3000:]
    run_dir = work / "run"
    assert printed_path(train.stdout, "checkpoints") == str(run_dir / "checkpoints")
    assert (run_dir / "checkpoints" / "checkpoint").exists()
    assert os.listdir(printed_path(train.stdout, "tensorboard"))
    assert printed_path(train.stdout, "samples") == str(run_dir / "samples" / "000002-images.png")
    assert json.loads((run_dir / "run_config.json").read_text())["model"] == system
    # The model name says the system and its data, e.g. stargan_shapes, ugatit_circle2square.
    version = printed_path(train.stdout, "saved_model")
    assert os.path.dirname(os.path.dirname(version)) == str(run_dir / "export")
    assert os.path.basename(os.path.dirname(version)).startswith(f"{system}_") and version.endswith("/1")
    assert json.loads(open(printed_path(train.stdout, "export report")).read())["passed"]
    # Nothing alarming on a machine without a GPU: TensorFlow's native chatter is filtered.
    noise = native_log.noise_pattern(native_log.has_nvidia_driver())
    assert not [line for line in train.stderr.splitlines() if noise.search(line)], train.stderr[-2000:]


def test_the_translator_gives_the_same_outputs_from_the_run_its_saved_model_and_its_tflite(chain):
    """Every endpoint, every output by name (heatmaps, masks, scores), the system's kind of
    conditions: the three forms agree within the export's verification bounds."""
    system, work, steps = chain
    assert steps["train"].returncode == 0, steps["train"].stderr[-3000:]
    results = steps["forms"]
    assert any("tflite" in forms for forms in results.values()), results.keys()
    assert_forms_agree(results)


def test_running_again_resumes_and_exports_the_next_version_unless_told_not_to(chain):
    system, work, steps = chain
    resume = steps["resume"]
    assert resume.returncode == 0, resume.stderr[-3000:]
    assert "Resuming from iteration 2" in resume.stdout
    assert any(name.startswith("ckpt-4") for name in os.listdir(work / "run" / "checkpoints"))
    first = printed_path(steps["train"].stdout, "saved_model")
    if system == procs.DEFAULT_SYSTEM:
        assert printed_path(resume.stdout, "saved_model") == first[:-1] + "2"
        assert os.path.exists(os.path.join(first[:-1] + "2", "saved_model.pb"))
    else:  # --export_after_train=false
        assert "saved_model" not in resume.stdout
        assert os.listdir(os.path.dirname(first)) == ["1"]


def test_test_mode_writes_outputs_and_visuals_but_no_copy_of_the_input(chain):
    system, work, steps = chain
    result = steps["test"]
    assert result.returncode == 0, result.stderr[-3000:]
    written = sorted(os.listdir(work / "results"))
    assert "grid-001.png" in written
    stems = {"rgba", "gray", "wide"}
    per_image = [name for name in written if name != "grid-001.png"]
    assert {name.split("_", 1)[0] for name in per_image} == stems
    # Only outputs and visuals: no column of an input role (the image itself) is written.
    assert not any(name.split("_", 1)[1] in ("A.png", "B.png", "input.png") for name in per_image), written
    size = REGISTRY[system].presets["tiny"]["image_size"]
    joints = [name for name in per_image if name.endswith("_joint.png")]  # completions' joint images
    assert all(Image.open(work / "results" / name).size == (2 * size, size) for name in joints)
    assert all(Image.open(work / "results" / name).size == (size, size) for name in per_image if name not in joints)


@pytest.mark.parametrize("chain", [REGISTRY[procs.DEFAULT_SYSTEM].data], indirect=True)
def test_export_mode_writes_under_the_given_model_name(chain):
    system, work, steps = chain
    result = steps["export"]
    assert result.returncode == 0, result.stderr[-3000:]
    assert (work / "run" / "export" / "renamed" / "1" / "saved_model.pb").exists()
    config = (work / "run" / "export" / "models.config").read_text()
    trained_name = os.path.basename(os.path.dirname(printed_path(steps["train"].stdout, "saved_model")))
    assert 'name: "renamed"' in config and f'name: "{trained_name}"' in config


def break_labeled(shapes, work, which=-1):
    """A truncated image in a copy of the built-in data (StarGAN's split holds out a shuffled
    tenth; SaGAN's the last tenth, so it breaks the first, a training image)."""
    victim = sorted((shapes / "celeba" / "images").iterdir())[which]
    victim.write_bytes(victim.read_bytes()[:100])
    return [f"--shapes_dir={shapes}"], victim.name


def break_unpaired(shapes, work):
    """A folder dataset without trainB/."""
    data = work / "pair"
    shutil.copytree(shapes / "circle2square" / "trainA", data / "trainA")
    return ["--dataset=folder", f"--data_dir={data}"], "trainB"


def break_sketch(shapes, work):
    """Sketch pairs whose file names do not match."""
    photos = sorted((shapes / "celeba" / "images").iterdir())
    for split in ("train", "test"):
        for side in ("sketch", "photo"):
            (work / "pairs" / split / side).mkdir(parents=True)
        for photo in photos[:3]:
            shutil.copy(photo, work / "pairs" / split / "photo" / photo.name)
            shutil.copy(photo, work / "pairs" / split / "sketch" / photo.name)
    shutil.copy(photos[3], work / "pairs" / "train" / "sketch" / "unmatched_sketch.jpg")
    return ["--dataset=sketch_pairs", f"--data_dir={work / 'pairs'}"], "unmatched_sketch"


BREAKERS = {"labeled": break_labeled, "attribute": lambda shapes, work: break_labeled(shapes, work, 0),
            "unpaired": break_unpaired, "sketch": break_sketch}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_bad_data_is_named_and_the_run_directory_keeps_no_record(family, builtin_data, tmp_path):
    shapes = tmp_path / "shapes"
    shutil.copytree(builtin_data["shapes_dir"], shapes)
    extra, culprit = BREAKERS[family](shapes, tmp_path)
    argv = procs.tiny_argv(FAMILIES[family], builtin_data, **CHAIN) + extra + [f"--run_dir={tmp_path / 'run'}"]
    result = procs.run_main(*argv, cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-3000:]
    assert culprit in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "run" / "checkpoints").exists()
    assert not (tmp_path / "run" / "run_config.json").exists()
