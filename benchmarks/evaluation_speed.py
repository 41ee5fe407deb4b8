"""Evaluation speed: images per second of the FID / KID feature extraction (InceptionV3 at
299x299, as ``evaluation.features`` runs it) at batch 1 and 64, and the wall time of a full
``--mode=eval`` of a trained run (the default StarGAN run unless told otherwise).

    python benchmarks/evaluation_speed.py                               # features only
    python benchmarks/evaluation_speed.py --run_dir=runs/stargan        # + the run's eval

The Inception has random weights (no machine here can download the real ones; the amount of
work does not depend on them): Keras' InceptionV3 architecture, saved and loaded through
``KerasInception`` like a downloaded weights file. The eval is timed twice as a user runs
it: the first also trains the run's classifier when it has none, the second reuses it and
the cached real-image features. Prints only.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.export_latency import median_ms  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def feature_rates(batches, runs, input_size):
    import keras

    from stargan_tf.evaluation.features import KerasInception

    with tempfile.TemporaryDirectory() as folder:
        weights = os.path.join(folder, "inception_v3_random.weights.h5")
        keras.applications.InceptionV3(include_top=False, pooling="avg", weights=None).save_weights(weights)
        network = KerasInception(weights)
    rng = np.random.default_rng(0)
    for batch in batches:
        images = rng.uniform(-1, 1, (batch, input_size, input_size, 3)).astype(np.float32)
        milliseconds = median_ms(lambda: network.features(images, batch_size=batch), runs)
        print(f"InceptionV3 features ({input_size} px resized to 299), batch {batch:3d}: "
              f"{1e3 * batch / milliseconds:7.1f} images/s ({milliseconds:.0f} ms per batch)")


def eval_times(run_dir, extra):
    for attempt in ("first (trains the classifier if the run has none)", "second (classifier and cache reused)"):
        started = time.time()
        done = subprocess.run([sys.executable, os.path.join(REPO, "main.py"), "--mode=eval", f"--run_dir={run_dir}",
                               *extra], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"--mode=eval failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        print(f"--mode=eval {attempt}: {time.time() - started:.1f} s (TensorFlow's start included)")
    print(done.stdout[done.stdout.index("Evaluation at"):])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,64")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--input_size", type=int, default=128, help="side of the images fed (resized to 299)")
    parser.add_argument("--run_dir", default=None, help="a trained run to evaluate (default: features only)")
    parser.add_argument("--eval_flags", default="", help="extra main.py flags of the eval, space-separated")
    args = parser.parse_args()
    feature_rates([int(b) for b in args.batches.split(",")], args.runs, args.input_size)
    if args.run_dir:
        eval_times(args.run_dir, args.eval_flags.split())


if __name__ == "__main__":
    main()
