"""stargan_tf command line: train, test, export and summarise GAN image-to-image translators.

    python main.py                       # StarGAN on the built-in dataset (CPU preset)
    python main.py --model=stargan --dataset=CelebA --celeba_image_dir=... --attr_path=...
    python main.py --mode=test --test_image_dir=my_photos
    python main.py --mode=export

See README.md for every flag.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, logging

from stargan_tf.cli.flags import FLAGS


def main(argv):
    logging.set_verbosity(logging.WARNING)  # TensorFlow's save/convert INFO lines drown the progress bar
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])} (flags take the form --name=value).")
    from stargan_tf.cli import app as cli_app
    from stargan_tf.pipelines.errors import DataError
    from stargan_tf.cli.run_config import RunConfigMismatchError
    from stargan_tf.training.checkpoints import CheckpointMismatchError

    try:
        cli_app.run(FLAGS)
    except (DataError, RunConfigMismatchError, CheckpointMismatchError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    app.run(main)
