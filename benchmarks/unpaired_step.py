"""Seconds per training iteration (D step + G step) of U-GAT-IT light and CycleGAN at the
official size (256x256, batch 1, 64 channels; U-GAT-IT 4 residual blocks, CycleGAN 9).

    python benchmarks/unpaired_step.py                    # both systems, 3 timed iterations
    python benchmarks/unpaired_step.py --systems=cyclegan --iters=5 --image_size=128

Prints only; timings depend on the machine and its load.
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorflow as tf  # noqa: E402

from stargan_tf.models.cyclegan import CycleGAN, CycleGANConfig  # noqa: E402
from stargan_tf.models.ugatit import UGATIT, UGATITConfig  # noqa: E402


def build(name, image_size):
    if name == "ugatit_light":
        return UGATIT(1, UGATITConfig(image_size=image_size, light=True))
    return CycleGAN(1, CycleGANConfig(image_size=image_size))


def seconds_per_iteration(name, image_size, iters):
    system = build(name, image_size)
    system.build_networks()
    system.make_optimizers()
    steps = {step: tf.function(getattr(system, step)) for step in system.steps_for(0)}
    batch = {key: tf.random.uniform((1, image_size, image_size, 3), -1, 1) for key in ("image_a", "image_b")}
    times = []
    for iteration in range(iters + 1):  # the first one traces
        started = time.perf_counter()
        for step in steps.values():
            logs = step(batch, tf.constant(iteration, tf.int64))
        float(next(iter(logs.values())))
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", default="ugatit_light,cyclegan")
    parser.add_argument("--image_size", type=int, default=256)
    parser.add_argument("--iters", type=int, default=3)
    args = parser.parse_args()
    print(f"{'system':<14} {'image':>6} {'first (traces) s':>17} {'median s/iteration':>19}")
    for name in args.systems.split(","):
        first, median = seconds_per_iteration(name, args.image_size, args.iters)
        print(f"{name:<14} {args.image_size:>6} {first:>17.2f} {median:>19.2f}")


if __name__ == "__main__":
    main()
