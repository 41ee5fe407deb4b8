"""Seconds per training iteration (every step of ``steps_for``: D + G) of unpaired
two-domain systems at their official size (their config defaults: 256x256, batch 1, 64
channels; U-GAT-IT 4 residual blocks, CycleGAN 9), on random images.

    python benchmarks/unpaired_step.py                    # U-GAT-IT light and CycleGAN, 3 timed iterations
    python benchmarks/unpaired_step.py --systems=cyclegan --iters=5 --image_size=128

Any system of the registry whose data family is "unpaired" and whose every iteration runs the
same steps can be named (DRIT alternates content-discriminator-only and full iterations: time
its full iteration with ``vs_pytorch.py --systems=drit``). Prints only; timings depend on the
machine and its load.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorflow as tf  # noqa: E402

from stargan_tf.cli.config_flags import resolve  # noqa: E402
from stargan_tf.cli.systems import build_system  # noqa: E402
from stargan_tf.models.config import ConfigError  # noqa: E402
from stargan_tf.models.registry import REGISTRY  # noqa: E402
from stargan_tf.training.loop import LoopConfig, Trainer  # noqa: E402

# Flag values on top of a system's official defaults. U-GAT-IT is timed in its light
# variant: the full one's AdaLIN MLP flattens the feature map (268M weights per generator
# at 256 px).
GIVEN = {"ugatit": {"light": True}}


def unpaired_trainer(name, given=None, jit_compile=False):
    """System ``name`` at its official defaults (with ``GIVEN`` and ``given`` flag values on
    top), the loop's ``Trainer`` of it on one device and a batch of random images. Returns
    ``(label, config, trainer, batch)``."""
    spec = REGISTRY[name]
    resolved = resolve(spec, dict(GIVEN.get(name, {}), **(given or {})), preset=None)
    config = resolved.config
    system = build_system(spec, resolved, data=None)  # an unpaired system's build reads no data
    # The loop's own step (strategy.run of each of steps_for(i), compiled once per step).
    trainer = Trainer(system, tf.distribute.get_strategy(), None, tempfile.mkdtemp(),
                      LoopConfig(num_iters=1, jit_compile=jit_compile), is_chief=False)
    # A batch as the unpaired data family makes it (DRIT's: pairs, with the random halves).
    shape = (config.batch_size // config.images_per_example, config.image_size, config.image_size, 3)
    keys = ("image_a", "image_b") + (("image_a_random", "image_b_random") if config.images_per_example == 2 else ())
    batch = {key: tf.random.uniform(shape, -1, 1) for key in keys}
    label = " ".join([name] + [f"{k}={v}" for k, v in GIVEN.get(name, {}).items()])
    return label, config, trainer, batch


def seconds_per_iteration(name, image_size, iters):
    label, config, trainer, batch = unpaired_trainer(name, {"image_size": image_size} if image_size else None)
    times = []
    for iteration in range(iters + 1):  # the first one traces
        started = time.perf_counter()
        logs = trainer.train_step(batch, iteration)
        float(next(iter(logs.values())))
        times.append(time.perf_counter() - started)
    return label, config, times[0], statistics.median(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", default="ugatit,cyclegan")
    parser.add_argument("--image_size", type=int, default=None, help="default: each system's official size")
    parser.add_argument("--iters", type=int, default=3)
    args = parser.parse_args()
    names = args.systems.split(",")
    for name in names:
        if REGISTRY.get(name) is None or REGISTRY[name].data != "unpaired":
            parser.error(f"--systems: {name!r} is not an unpaired system of the registry "
                         f"({', '.join(n for n, s in REGISTRY.items() if s.data == 'unpaired')})")
        if name == "drit":
            parser.error("--systems: drit's iterations differ (content discriminator alone, then everything); time "
                         "its full iteration with benchmarks/vs_pytorch.py --systems=drit")
    print(f"{'system':<18} {'image':>6} {'batch':>6} {'first (traces) s':>17} {'median s/iteration':>19}")
    for name in names:
        try:
            label, config, first, median = seconds_per_iteration(name, args.image_size, args.iters)
        except ConfigError as error:  # e.g. an --image_size too small for the official discriminators
            print(f"{name:<18} {error}", flush=True)
            continue
        print(f"{label:<18} {config.image_size:>6} {config.batch_size:>6} {first:>17.2f} {median:>19.2f}", flush=True)


if __name__ == "__main__":
    main()
