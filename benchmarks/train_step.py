"""Seconds per StarGAN iteration (D step with gradient penalty + G step) and generator
images/second, at the paper's size (128x128, batch 16, G/D conv 64, repeat 6).

Each configuration runs in its own subprocess (logical CPU devices and XLA settings are
per process):

    python benchmarks/train_step.py                       # default, jit, mirrored
    python benchmarks/train_step.py --configs=default --iters=3 --image_size=64

Prints only; timings depend on the machine and its load.
"""

import argparse
import json
import os
import subprocess
import sys
import time

CONFIGS = {
    "default": dict(strategy="default", jit=False, devices=1),
    "jit": dict(strategy="default", jit=True, devices=1),
    "mirrored": dict(strategy="mirrored", jit=False, devices=2),
}


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="default,jit,mirrored")
    parser.add_argument("--iters", type=int, default=3, help="timed iterations (after one warm-up)")
    parser.add_argument("--image_size", type=int, default=128)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--conv_dim", type=int, default=64)
    parser.add_argument("--repeat_num", type=int, default=6)
    parser.add_argument("--generator_batches", default="1,16")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return parser.parse_args()


def child(args):
    config = CONFIGS[args.child]
    from stargan_tf.training.strategy import split_cpu

    split_cpu(config["devices"])
    import tensorflow as tf

    from stargan_tf.models.stargan import Domains, StarGAN
    from stargan_tf.training.loop import LoopConfig, Trainer
    from stargan_tf.training.strategy import make_strategy

    strategy = make_strategy(config["strategy"])
    size, batch = args.image_size, args.batch_size
    with strategy.scope():
        system = StarGAN([Domains("celeba", ["a", "b", "c", "d", "e"])], image_size=size,
                         g_conv_dim=args.conv_dim, d_conv_dim=args.conv_dim, g_repeat_num=args.repeat_num,
                         d_repeat_num=args.repeat_num, global_batch_size=batch)
        system.build_networks()
        system.make_optimizers()

    def make_dataset(start):
        def example(k):
            key = tf.stack([tf.constant(1, tf.int64), k])
            return {"image": tf.random.stateless_uniform((size, size, 3), key, -1.0, 1.0),
                    "label": tf.cast(tf.random.stateless_uniform((5,), key + 1) > 0.5, tf.float32),
                    "target": tf.cast(tf.random.stateless_uniform((5,), key + 2) > 0.5, tf.float32)}
        return tf.data.Dataset.range(start * batch, 10**9).map(example).batch(batch, drop_remainder=True).prefetch(2)

    import tempfile
    trainer = Trainer(system, strategy, make_dataset, tempfile.mkdtemp(), LoopConfig(num_iters=1, jit_compile=config["jit"]),
                      is_chief=False)
    iterator = iter(strategy.experimental_distribute_dataset(make_dataset(0)))
    steps = ("discriminator_step", "generator_step")
    started = time.perf_counter()
    logs = trainer.train_step(next(iterator), 0, steps)
    float(logs["G/loss"])
    warmup = time.perf_counter() - started
    batches = [next(iterator) for _ in range(args.iters)]
    started = time.perf_counter()
    for i, b in enumerate(batches):
        logs = trainer.train_step(b, i + 1, steps)
        float(logs["G/loss"])
    per_iteration = (time.perf_counter() - started) / args.iters
    result = {"config": args.child, "replicas": strategy.num_replicas_in_sync, "warmup_s": warmup,
              "s_per_iteration": per_iteration, "train_images_per_s": batch / per_iteration}
    if args.child == "default":
        generate = tf.function(lambda x, c: system.generator((x, c)))
        for gb in [int(b) for b in args.generator_batches.split(",")]:
            x, c = tf.zeros((gb, size, size, 3)), tf.zeros((gb, 5))
            generate(x, c).numpy()
            reps = max(2, args.iters)
            started = time.perf_counter()
            for _ in range(reps):
                generate(x, c).numpy()
            result[f"generator_images_per_s_batch{gb}"] = gb * reps / (time.perf_counter() - started)
    print("RESULT " + json.dumps(result), flush=True)


def main():
    args = parse()
    if args.child:
        return child(args)
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.pathsep
               + os.environ.get("PYTHONPATH", ""), TF_CPP_MIN_LOG_LEVEL="3")
    print(f"StarGAN {args.image_size}x{args.image_size}, batch {args.batch_size}, conv {args.conv_dim}, "
          f"repeat {args.repeat_num}, {args.iters} timed iterations (D step with GP + G step)")
    for name in args.configs.split(","):
        command = [sys.executable, os.path.abspath(__file__), f"--child={name}"] + [
            f"--{k}={v}" for k, v in vars(args).items() if k not in ("child", "configs")]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        lines = [l for l in done.stdout.splitlines() if l.startswith("RESULT ")]
        if done.returncode or not lines:
            print(f"{name}: failed (exit {done.returncode})\n{done.stderr[-2000:]}")
            continue
        result = json.loads(lines[-1][7:])
        text = (f"{name:9s} replicas={result['replicas']}  {result['s_per_iteration']:.2f} s/iteration  "
                f"({result['train_images_per_s']:.2f} images/s consumed by training; first iteration incl. "
                f"tracing {result['warmup_s']:.1f} s)")
        for key, value in result.items():
            if key.startswith("generator_images"):
                text += f"\n          {key}: {value:.2f}"
        print(text, flush=True)


if __name__ == "__main__":
    main()
