"""Seconds per StarGAN iteration (D step with gradient penalty + G step) and generator
images/second, at the paper's size (its config defaults: 128x128, batch 16, G/D conv 64,
repeat 6), on batches of the built-in shapes data (``--dataset=shapes``, 5 attributes: c_dim
5 as CelebA's), written once under ``--shapes_dir`` (a temp folder by default).

Each configuration runs in its own subprocess (logical CPU devices, XLA settings and the
precision policy are per process):

    python benchmarks/train_step.py                       # default, jit, mirrored
    python benchmarks/train_step.py --configs=default,bfloat16,float16   # mixed precision
    python benchmarks/train_step.py --configs=default --iters=3 --image_size=64
    python benchmarks/train_step.py --image_size=32 --conv_dim=8 --repeat_num=2 --iters=1   # smoke run

Prints only; timings depend on the machine and its load.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CONFIGS = {
    "default": dict(strategy="default", jit=False, devices=1),
    "jit": dict(strategy="default", jit=True, devices=1),
    "mirrored": dict(strategy="mirrored", jit=False, devices=2),
    "bfloat16": dict(strategy="default", jit=False, devices=1, policy="mixed_bfloat16"),
    "float16": dict(strategy="default", jit=False, devices=1, policy="mixed_float16"),
}
ATTRIBUTES = ("Red_Shape", "Green_Shape", "Blue_Shape", "Square", "Large")


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="default,jit,mirrored")
    parser.add_argument("--iters", type=int, default=3, help="timed iterations (after one warm-up)")
    # Left out, each takes the paper's value (the config's default); repeat_num sets G's
    # residual blocks and D's stride-2 convolutions, conv_dim both networks' first channels.
    for flag in ("image_size", "batch_size", "conv_dim", "repeat_num"):
        parser.add_argument(f"--{flag}", type=int, default=None)
    parser.add_argument("--generator_batches", default="1,16")
    parser.add_argument("--shapes_dir", default=os.path.join(tempfile.gettempdir(), "stargan_tf_bench_data"))
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return parser.parse_args()


def shapes_trainer(model, given, shapes_dir, strategy=None, jit_compile=False):
    """System ``model`` on the built-in shapes data with the flags ``given`` (no preset)
    under ``strategy`` (default: one device), and the loop's ``Trainer`` of it, as training
    builds them. Returns ``(resolved, system, trainer, iterator of distributed batches)``."""
    import tensorflow as tf

    from stargan_tf.cli.systems import prepare
    from stargan_tf.models.registry import REGISTRY
    from stargan_tf.training.loop import LoopConfig, Trainer

    strategy = strategy or tf.distribute.get_strategy()
    resolved, data, system = prepare(REGISTRY[model], {"dataset": "shapes", "shapes_dir": shapes_dir, **given},
                                     shapes_dir + "-checks", preset=None, strategy=strategy)
    trainer = Trainer(system, strategy, data.make_dataset, tempfile.mkdtemp(),
                      LoopConfig(num_iters=1, jit_compile=jit_compile), is_chief=False)
    return resolved, system, trainer, iter(strategy.experimental_distribute_dataset(data.make_dataset(0)))


def stargan_trainer(shapes_dir, image_size=None, batch_size=None, conv_dim=None, repeat_num=None, strategy=None,
                    jit_compile=False):
    """StarGAN on the shapes data (``shapes_trainer``); a size left None is the paper's."""
    overrides = {"image_size": image_size, "batch_size": batch_size, "g_conv_dim": conv_dim, "d_conv_dim": conv_dim,
                 "g_repeat_num": repeat_num, "d_repeat_num": repeat_num}
    given = {"selected_attrs": ATTRIBUTES, **{name: value for name, value in overrides.items() if value is not None}}
    return shapes_trainer("stargan", given, shapes_dir, strategy, jit_compile)


def child(args):
    config = CONFIGS[args.child]
    from stargan_tf.training.strategy import split_cpu

    split_cpu(config["devices"])
    import keras
    import tensorflow as tf

    from stargan_tf.training.strategy import make_strategy

    if "policy" in config:
        keras.mixed_precision.set_global_policy(config["policy"])
    strategy = make_strategy(config["strategy"])
    resolved, system, trainer, iterator = stargan_trainer(args.shapes_dir, args.image_size, args.batch_size,
                                                          args.conv_dim, args.repeat_num, strategy, config["jit"])
    size, batch = resolved.config.image_size, resolved.config.batch_size
    steps = system.steps_for(resolved.config.n_critic - 1)  # an iteration with a G update
    started = time.perf_counter()
    float(trainer.train_step(next(iterator), 0, steps)["G/loss"])
    warmup = time.perf_counter() - started
    batches = [next(iterator) for _ in range(args.iters)]
    started = time.perf_counter()
    for i, b in enumerate(batches):
        float(trainer.train_step(b, i + 1, steps)["G/loss"])
    per_iteration = (time.perf_counter() - started) / args.iters
    result = {"config": args.child, "replicas": strategy.num_replicas_in_sync, "warmup_s": warmup,
              "s_per_iteration": per_iteration, "train_images_per_s": batch / per_iteration,
              "describe": f"StarGAN {size}x{size}, batch {batch}, conv {resolved.config.g_conv_dim}, "
                          f"repeat {resolved.config.g_repeat_num}"}
    if args.child == "default":
        generate = tf.function(lambda x, c: system.generator((x, c)))
        for gb in [int(b) for b in args.generator_batches.split(",")]:
            x, c = tf.zeros((gb, size, size, 3)), tf.zeros((gb, system.label_dim))
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
    print(f"{args.iters} timed iterations (D step with GP + G step)")
    for name in args.configs.split(","):
        command = [sys.executable, os.path.abspath(__file__), f"--child={name}"] + [
            f"--{k}={v}" for k, v in vars(args).items() if k not in ("child", "configs") and v is not None]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        lines = [l for l in done.stdout.splitlines() if l.startswith("RESULT ")]
        if done.returncode or not lines:
            print(f"{name}: failed (exit {done.returncode})\n{done.stderr[-2000:]}")
            continue
        result = json.loads(lines[-1][7:])
        text = (f"{name:9s} {result['describe']}, replicas={result['replicas']}  {result['s_per_iteration']:.2f} "
                f"s/iteration  ({result['train_images_per_s']:.2f} images/s consumed by training; first "
                f"iteration incl. tracing {result['warmup_s']:.1f} s)")
        for key, value in result.items():
            if key.startswith("generator_images"):
                text += f"\n          {key}: {value:.2f}"
        print(text, flush=True)


if __name__ == "__main__":
    main()
