"""Helpers of the in-process CLI tests: a tiny run trained by main.py's main() in this
process, and a byte snapshot of a folder (to show a refused command left a run as it was)."""

import os

from stargan_tf.cli.flags import FLAGS
from stargan_tf.cli.main import main


def train_in_process(builtin_data, run_dir, flags):
    """main.py on the session's built-in data with ``flags`` into ``run_dir``, no export;
    asserts it exits 0."""
    FLAGS.unparse_flags()
    FLAGS(["main.py", f"--shapes_dir={builtin_data['shapes_dir']}",
           f"--shapes_num_images={builtin_data['shapes_num_images']}", f"--run_dir={run_dir}", *flags,
           "--noexport_after_train"])
    try:
        assert main(["main.py"]) == 0
    finally:
        FLAGS.unparse_flags()
    return run_dir


def two_iteration_run(builtin_data, tmp_path_factory, name, flags):
    """``train_in_process`` of ``flags`` for two iterations, checkpoint at 2, in a new
    temporary folder ``name``: the run the CLI tests of a system test, export and refuse on."""
    return train_in_process(builtin_data, tmp_path_factory.mktemp(name) / "run",
                            [*flags, "--num_iters=2", "--model_save_step=2"])


def snapshot(folder):
    """{relative path: bytes} of every file under ``folder``."""
    return {os.path.relpath(os.path.join(d, f), folder): open(os.path.join(d, f), "rb").read()
            for d, _, files in os.walk(folder) for f in files}
