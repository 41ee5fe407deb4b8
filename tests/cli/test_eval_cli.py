"""Evaluation from the command line (main.py's main() in this process), for every data
family: training with --eval_step writes the papers' metrics next to the losses, and
--mode=eval scores a finished run without changing it. The built-in data here has 300 images,
so every target of the test split has enough real images for KID's blocks of 10."""

import contextlib
import hashlib
import io
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "distributed"))
import procs  # noqa: E402

from stargan_tf.cli.flags import FLAGS  # noqa: E402
from stargan_tf.cli.main import main  # noqa: E402
from stargan_tf.models.registry import REGISTRY  # noqa: E402

FAMILIES = {}
for _name, _spec in REGISTRY.items():
    FAMILIES.setdefault(_spec.data, _name)
EVAL_FLAGS = dict(num_iters=2, model_save_step=2, sample_step=2, log_step=1, eval_step=2, classifier_steps=30,
                  export_after_train=False)
EVAL_IMAGES = 300
# Metrics every target of a family has (accuracy: the classifier's verdict on the translations).
EXPECTED = {"fid", "kid_x100", "kid_x100_std", "accuracy", "images", "real_images"}


@pytest.fixture(scope="module")
def eval_data(tmp_path_factory):
    from stargan_tf.cli.data import ensure_shapes
    from stargan_tf.cli.data_options import BuiltinDataOptions

    flags = {"shapes_dir": str(tmp_path_factory.mktemp("eval-data") / "shapes"), "shapes_num_images": EVAL_IMAGES}
    ensure_shapes(BuiltinDataOptions(**flags))
    return flags


def run_main(*argv):
    """main.py's main() on ``argv`` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    FLAGS.unparse_flags()
    FLAGS(["main.py", *argv])
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["main.py"])
    finally:
        FLAGS.unparse_flags()
    return code, out.getvalue(), err.getvalue()


def checkpoint_digest(run_dir):
    sha = hashlib.sha256()
    folder = os.path.join(run_dir, "checkpoints")
    for name in sorted(os.listdir(folder)):
        sha.update(name.encode())
        with open(os.path.join(folder, name), "rb") as handle:
            sha.update(handle.read())
    return sha.hexdigest()


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def trained(request, eval_data, tmp_path_factory):
    """(system, run dir, its flags, (exit code, stdout, stderr) of training with --eval_step)."""
    system = FAMILIES[request.param]
    work = tmp_path_factory.mktemp(f"eval-{system}")
    argv = procs.tiny_argv(system, eval_data, **EVAL_FLAGS) + [f"--run_dir={work / 'run'}",
                                                                f"--eval_cache_dir={work / 'cache'}"]
    return system, work / "run", argv, run_main(*argv)


def test_training_with_eval_step_scores_every_target_and_logs_them(trained):
    system, run_dir, _, (code, out, err) = trained
    assert code == 0, err[-3000:]
    report = json.loads((run_dir / "eval" / "2.json").read_text())
    assert report["iteration"] == 2 and report["feature_network"]["name"] == "classifier"
    assert "not Inception numbers" in report["feature_network"]["comparable_with"]
    assert report["domains"], report
    for name, row in report["domains"].items():
        assert EXPECTED <= set(row), (name, row)
        assert row["fid"] >= -1e-6 and 0.0 <= row["accuracy"] <= 1.0, (name, row)
    info = json.loads((run_dir / "classifier" / "classifier.json").read_text())
    assert info["steps"] == EVAL_FLAGS["classifier_steps"]
    assert "Evaluation at iteration 2" in out
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "logs"))
    events.Reload()
    tags = events.Tags()["tensors"]
    assert any(tag.startswith("eval/") and tag.endswith("/fid") for tag in tags), tags
    assert any(not tag.startswith("eval/") for tag in tags)  # the losses beside them


def test_eval_mode_scores_the_latest_checkpoint_without_changing_the_run(trained):
    system, run_dir, argv, (code, _, err) = trained
    if system != procs.DEFAULT_SYSTEM:
        pytest.skip("--mode=eval once (the default system's); every family evaluates in training above")
    assert code == 0, err[-3000:]
    before = checkpoint_digest(run_dir)
    (run_dir / "eval" / "2.json").unlink()
    code, out, err = run_main(*argv, "--mode=eval")
    assert code == 0, err[-3000:]
    assert "Training the evaluation classifier" not in out  # the stored one is reused
    report = json.loads((run_dir / "eval" / "2.json").read_text())
    assert set(report["domains"]) == {"Red_Shape=1", "Green_Shape=1", "Blue_Shape=1", "Dark_Background=1",
                                      "Dark_Background=0"}
    assert all("kept" in row for row in report["domains"].values())  # attributes the target leaves alone
    assert "identity" in report
    assert checkpoint_digest(run_dir) == before


def test_eval_refuses_a_missing_inception_file_or_checkpoint_and_changes_nothing(trained):
    system, run_dir, argv, _ = trained
    if system != procs.DEFAULT_SYSTEM:
        pytest.skip("one refusal (the default system's)")
    listing = sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*"))
    code, out, err = run_main(*argv, "--mode=eval", f"--inception_path={run_dir / 'missing.pb'}")
    assert code == 2, err[-3000:]
    message = out + err
    assert "missing.pb" in message and "classify_image_graph_def.pb" in message and "Traceback" not in message
    assert sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*")) == listing
    empty = run_dir.parent / "empty"
    code, out, err = run_main(*argv, "--mode=eval", f"--run_dir={empty}")
    assert code == 2 and "No checkpoint" in err and not empty.exists()
