"""--init_run_dir, in this process: a new run starts from another run's networks (with the
learning rates at 0 its first checkpoint holds them unchanged) and fresh optimizers; a source
without a checkpoint or with networks of other sizes is refused (exit 2, the flag named, the
new run directory not created); a run with its own checkpoint resumes and says the flag is
ignored."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import train_in_process, two_iteration_run  # noqa: E402

TINY = ["--model=stargan", "--selected_attrs=Red_Shape,Green_Shape,Blue_Shape", "--image_size=16",
        "--g_conv_dim=8", "--d_conv_dim=8", "--g_repeat_num=1", "--d_repeat_num=3", "--batch_size=4", "--n_critic=1",
        "--num_iters_decay=0"]


@pytest.fixture(scope="module")
def source(builtin_data, tmp_path_factory):
    return two_iteration_run(builtin_data, tmp_path_factory, "source", TINY)


def checkpoint_values(run_dir, pattern):
    """{key: value} of the latest checkpoint's variables whose key contains ``pattern`` (the
    networks' weights are keyed by the optimizers that track them: ``<name>_optimizer/_trainable_variables/<i>``)."""
    reader = tf.train.load_checkpoint(str(run_dir / "checkpoints"))
    return {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map()
            if pattern in key and key.endswith("VARIABLE_VALUE")}


def test_a_new_run_starts_from_the_source_networks_and_fresh_optimizers(cli, source, tmp_path):
    target = tmp_path / "finetuned"
    code, out, err = cli(*TINY, "--num_iters=1", "--g_lr=0", "--d_lr=0", f"--init_run_dir={source}",
                         f"--run_dir={target}", "--noexport_after_train")
    assert code == 0, err
    assert "Networks initialised from" in out and "ckpt-2" in out
    expected, got = (checkpoint_values(run, "_optimizer/_trainable_variables/") for run in (source, target))
    assert len(expected) > 10 and set(got) == set(expected)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
    # The optimizers start afresh: one step taken in the new run, two in the source.
    assert [int(v) for v in checkpoint_values(target, "generator_optimizer/_iterations").values()] == [1]
    assert [int(v) for v in checkpoint_values(source, "generator_optimizer/_iterations").values()] == [2]


def test_unusable_sources_are_refused_and_nothing_is_written(cli, source, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [([f"--init_run_dir={empty}"], "No checkpoint"),
             ([f"--init_run_dir={source}", "--g_conv_dim=4"], "does not fit")]
    for extra, words in cases:
        code, _, err = cli(*[a for a in TINY if not a.startswith(extra[-1].split("=")[0] + "=")], *extra,
                           "--num_iters=1", f"--run_dir={tmp_path / 'new'}")
        assert code == 2, err
        assert "--init_run_dir" in err and words in err and "Traceback" not in err, err
        assert not (tmp_path / "new").exists()


def test_a_run_with_its_own_checkpoint_resumes_and_ignores_the_flag(cli, source, tmp_path, builtin_data):
    own = train_in_process(builtin_data, tmp_path / "own", [*TINY, "--num_iters=1", "--model_save_step=1"])
    code, out, err = cli(*TINY, "--num_iters=2", f"--init_run_dir={source}", f"--run_dir={own}",
                         "--noexport_after_train")
    assert code == 0, err
    assert "--init_run_dir" in out and "ignored" in out and "Resuming from iteration 1" in out
