"""``main.py`` / the ``stargan-tf`` console script: parse flags, run the mode, turn every
error a user can fix into a message and exit code 2."""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, logging  # noqa: E402

from stargan_tf.cli.flags import FLAGS  # noqa: E402,F401  (defines the flags)


def main(argv):
    """absl main: returns the process exit code."""
    logging.set_verbosity(logging.WARNING)  # TensorFlow's save/convert INFO lines drown the progress bar
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])} (flags take the form --name=value).")
    from stargan_tf.cli import app as cli_app
    from stargan_tf.errors import UserError
    from stargan_tf.export.errors import ExportError

    try:
        cli_app.run(FLAGS)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ExportError as error:  # not the user's input: the shipped files would differ from the model
        print(f"error: {error}\nThe run's checkpoints are unchanged; --mode=export with the same --run_dir "
              "exports them again.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # the training loop has said where it stopped
        print("Stopped (Ctrl-C).", file=sys.stderr)
        return 130
    return 0


def console():
    """Entry point of ``main.py`` and the ``stargan-tf`` console script."""
    from stargan_tf.cli.native_log import filter_native_stderr

    filter_native_stderr()
    app.run(main)
