"""In-process runs of main.py's main() for the CLI tests."""

import pytest

from stargan_tf.cli.flags import FLAGS
from stargan_tf.cli.main import main


@pytest.fixture
def cli(capsys, builtin_data, tmp_path):
    """``cli(*flags) -> (exit code, stdout, stderr)``: main.py's main() on these flags (the
    built-in data of the session; run directory ``tmp_path/run`` unless given, or main.py's
    default with ``default_run_dir=True``)."""
    def run(*argv, default_run_dir=False):
        given = [f"--shapes_dir={builtin_data['shapes_dir']}",
                 f"--shapes_num_images={builtin_data['shapes_num_images']}"]
        if not default_run_dir and not any(arg.startswith("--run_dir=") for arg in argv):
            given.append(f"--run_dir={tmp_path / 'run'}")
        FLAGS.unparse_flags()
        FLAGS(["main.py", *given, *argv])
        try:
            code = main(["main.py"])
        finally:
            FLAGS.unparse_flags()
        captured = capsys.readouterr()
        return code, captured.out, captured.err
    return run
