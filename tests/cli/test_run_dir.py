"""A mistake never costs a user their run: resume works from the default (relative) run
directory and from another working directory; every refusal leaves the run directory byte for
byte as it was; one training per run directory; a full disk, a run directory that is a file,
and Ctrl-C end with a message saying what was kept and what to do."""

import os
import re
import resource
import signal
import subprocess
import sys
import time

import pytest

from stargan_tf.training import run_dir as run_dir_lib
from stargan_tf.training.run_dir import RunLock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "distributed"))
import procs  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import snapshot  # noqa: E402

TINY = ["--image_size=16", "--g_conv_dim=8", "--d_conv_dim=8", "--g_repeat_num=1", "--d_repeat_num=3",
        "--batch_size=4", "--n_critic=1", "--model_save_step=2", "--noexport_after_train"]


def test_resume_in_the_default_run_dir_and_from_another_working_directory(cli, tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    monkeypatch.chdir(first)
    code, out, err = cli(*TINY, "--num_iters=2", default_run_dir=True)
    assert code == 0, err
    assert os.path.isfile(first / "runs" / "stargan" / "checkpoints" / "ckpt-2.index")
    code, out, err = cli(*TINY, "--num_iters=4", default_run_dir=True)  # the README's "run it again"
    assert code == 0, err
    assert "Resuming from iteration 2" in out
    monkeypatch.chdir(second)
    code, out, err = cli(*TINY, "--num_iters=6", "--run_dir=../first/runs/stargan")
    assert code == 0, err
    assert "Resuming from iteration 4" in out
    assert os.path.isfile(first / "runs" / "stargan" / "checkpoints" / "ckpt-6.index")


@pytest.fixture
def trained(cli, tmp_path):
    """A run directory with a checkpoint at iteration 2."""
    code, _, err = cli(*TINY, "--num_iters=2")
    assert code == 0, err
    return tmp_path / "run"


@pytest.mark.parametrize("argv, named", [
    (["--selected_attrs=Red_Shape,Purple_Shape"], "Purple_Shape"),
    (["--selected_attrs=Red_Shape,Red_Shape"], "Red_Shape more than once"),
    (["--image_size=20"], "--image_size=20"),
])
def test_a_refused_new_run_creates_nothing_and_the_corrected_command_runs(cli, tmp_path, argv, named):
    code, _, err = cli(*TINY, "--num_iters=2", *argv)
    assert code == 2 and named in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()
    code, _, err = cli(*TINY, "--num_iters=2")
    assert code == 0, err


@pytest.mark.parametrize("argv, named", [
    (["--selected_attrs=Red_Shape,Green_Shape"], "--selected_attrs"),
    (["--g_conv_dim=16"], "--g_conv_dim"),
    (["--image_size=20"], "--image_size=20"),
])
def test_a_refused_command_leaves_an_existing_run_byte_for_byte_unchanged(cli, trained, argv, named):
    before = snapshot(trained)
    code, _, err = cli(*TINY, "--num_iters=4", *argv)
    assert code == 2 and named in err and "Traceback" not in err
    assert snapshot(trained) == before


def test_a_changed_architecture_in_a_run_without_its_record_is_refused_without_writing_one(cli, trained):
    os.remove(trained / "run_config.json")
    before = snapshot(trained)
    code, _, err = cli(*TINY, "--num_iters=4", "--g_conv_dim=16")
    assert code == 2 and "does not fit" in err
    assert snapshot(trained) == before
    code, _, err = cli(*TINY, "--num_iters=4")
    assert code == 0, err


def test_a_second_training_in_a_run_directory_is_refused_naming_the_holder(cli, trained):
    holder = RunLock(str(trained))
    holder.acquire()
    try:
        before = snapshot(trained)
        code, _, err = cli(*TINY, "--num_iters=4")
        assert code == 2 and "in use by another training" in err and f"process {os.getpid()}" in err
        assert snapshot(trained) == before
    finally:
        holder.release()
    code, out, err = cli(*TINY, "--num_iters=4")  # released: the OS dropped the lock
    assert code == 0 and "Resuming from iteration 2" in out, err


def test_a_lock_left_by_a_killed_process_does_not_block(cli, trained):
    (trained / ".lock").write_text("host elsewhere, process 999999999, started long ago\n")
    code, out, err = cli(*TINY, "--num_iters=4")
    assert code == 0 and "Resuming from iteration 2" in out, err


def test_a_run_dir_that_is_a_file_or_inside_one_is_named(cli, tmp_path):
    (tmp_path / "a_file").write_text("mine")
    for run_dir in (tmp_path / "a_file", tmp_path / "a_file" / "run"):
        code, _, err = cli(*TINY, f"--run_dir={run_dir}")
        assert code == 2 and "is a file" in err and "Traceback" not in err
    assert (tmp_path / "a_file").read_text() == "mine"


def test_an_unwritable_run_dir_is_named(tmp_path, monkeypatch):
    """Root ignores permission bits, so the read-only file system is simulated at os.access."""
    monkeypatch.setattr(run_dir_lib.os, "access", lambda path, mode: False)
    with pytest.raises(run_dir_lib.RunDirError, match="cannot be written"):
        run_dir_lib.check_usable(str(tmp_path / "run"))


def limited_file_size(limit):
    """preexec_fn: files of the child may not grow beyond ``limit`` bytes, as on a full disk
    (the write fails with EFBIG instead of the process being killed by SIGXFSZ)."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def run_limited(argv, limit, cwd):
    return subprocess.run([sys.executable, os.path.join(procs.REPO, "main.py"), *argv], cwd=cwd, env=procs.env(),
                          capture_output=True, text=True, timeout=600, preexec_fn=limited_file_size(limit))


def test_a_full_disk_keeps_the_last_checkpoint_and_says_what_to_do(cli, trained, builtin_data, tmp_path):
    data = [f"--shapes_dir={builtin_data['shapes_dir']}", f"--shapes_num_images={builtin_data['shapes_num_images']}"]
    # Checkpoint data of this system is ~670 KB; logs and sample grids stay far below 300 KB.
    full = run_limited(data + TINY + ["--num_iters=4", f"--run_dir={trained}"], 300_000, tmp_path)
    assert full.returncode == 2, full.stderr[-3000:]
    assert "disk is full" in full.stderr and "Traceback" not in full.stderr
    assert "The last good checkpoint (iteration 2)" in full.stderr and "run the same command again" in full.stderr
    # The export's graph (~250 KB) does not fit under 100 KB: no version is published.
    export = run_limited(data + TINY + ["--mode=export", f"--run_dir={trained}"], 100_000, tmp_path)
    assert export.returncode == 2, export.stderr[-3000:]
    assert "disk is full" in export.stderr and "No version was published" in export.stderr
    assert not [name for name in os.listdir(trained / "export" / "stargan_shapes") if not name.startswith(".")] \
        if (trained / "export" / "stargan_shapes").exists() else True
    code, out, err = cli(*TINY, "--num_iters=4", f"--run_dir={trained}")  # space freed: it resumes
    assert code == 0 and "Resuming from iteration 2" in out, err


def as_from_a_terminal():
    """In the child before exec: SIGINT with its default action and unblocked, as a shell
    starts a command. A pytest-xdist worker may ignore or block it (left so by code under
    test elsewhere), and both are inherited: main.py would then never see the Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])


def test_ctrl_c_says_where_it_stopped_and_exits_130(builtin_data, tmp_path):
    run_dir = tmp_path / "run"
    argv = procs.tiny_argv(procs.DEFAULT_SYSTEM, builtin_data, num_iters=100_000, model_save_step=2,
                           export_after_train=False) + [f"--run_dir={run_dir}"]
    process = subprocess.Popen([sys.executable, os.path.join(procs.REPO, "main.py"), *argv], cwd=tmp_path,
                               env=procs.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=as_from_a_terminal)
    try:
        deadline = time.time() + 600
        while not (run_dir / "checkpoints" / "checkpoint").exists():
            assert process.poll() is None, process.stderr.read()[-3000:]
            assert time.time() < deadline
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err[-3000:]
    assert "Interrupted at iteration" in err and "run the same command again to resume" in err
    assert "Traceback" not in err
    # It stopped between iterations and checkpointed the last one it finished.
    stopped = int(re.search(r"Interrupted at iteration (\d+)\. The last checkpoint is iteration (\d+)", err).group(1))
    assert f"The last checkpoint is iteration {stopped} " in err
    assert (run_dir / "checkpoints" / f"ckpt-{stopped}.index").exists()
