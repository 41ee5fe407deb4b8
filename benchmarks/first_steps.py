"""Seconds from a fresh process to training, per system at the preset
``python main.py --model=<system>`` trains: TensorFlow's import, building the networks and
optimizers, the first iterations (tracing each step function of the schedule the first
time it runs) and the mean iteration after them.

Each system runs in its own process, as a user's run does; the built-in data is written once
under ``--shapes_dir`` and reused:

    python benchmarks/first_steps.py                          # every system
    python benchmarks/first_steps.py --models=drit --rounds=3
    python benchmarks/first_steps.py --tree=/path/to/another/checkout   # another commit's code

Prints only; timings depend on the machine and its load.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ITERATIONS = 9  # every schedule runs each of its step functions, then two DRIT periods (3)


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="stargan,ugatit,cyclegan,drit,sagan,contextual_gan")
    parser.add_argument("--rounds", type=int, default=1, help="processes per system")
    parser.add_argument("--tree", default=os.path.dirname(HERE), help="checkout whose stargan_tf is timed")
    parser.add_argument("--shapes_dir", default=os.path.join(tempfile.gettempdir(), "stargan_tf_bench_data"))
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    return parser.parse_args()


def child(args):
    start = time.perf_counter()
    import tensorflow as tf  # noqa: F401  (timed: every run pays it)

    imported = time.perf_counter()
    from stargan_tf.cli.systems import prepare
    from stargan_tf.models.registry import REGISTRY
    from stargan_tf.training.loop import LoopConfig, Trainer

    strategy = tf.distribute.get_strategy()
    _, data, system = prepare(REGISTRY[args.child], {"shapes_dir": args.shapes_dir},
                              args.shapes_dir + "-checks", strategy=strategy)
    trainer = Trainer(system, strategy, data.make_dataset, tempfile.mkdtemp(),
                      LoopConfig(num_iters=ITERATIONS), is_chief=False)
    batches = iter(strategy.experimental_distribute_dataset(data.make_dataset(0)))
    built = time.perf_counter()
    seen, times, last_new = set(), [], 0
    for iteration in range(ITERATIONS):
        names = tuple(system.steps_for(iteration))
        batch = next(batches)
        tick = time.perf_counter()
        for value in trainer.train_step(batch, iteration, names).values():
            float(value)  # waits for the step
        times.append(time.perf_counter() - tick)
        if not seen.issuperset(names):
            seen.update(names)
            last_new = iteration
    print(json.dumps({"import": imported - start, "build": built - imported,
                      "first": sum(times[:last_new + 1]), "first_iterations": last_new + 1,
                      "after": statistics.mean(times[last_new + 1:])}))


def main():
    args = parse()
    if args.child:
        return child(args)
    env = dict(os.environ, PYTHONPATH=args.tree, TF_CPP_MIN_LOG_LEVEL="2")  # the child imports --tree's code
    print(f"stargan_tf from {args.tree}; seconds per fresh process (median of {args.rounds})")
    print(f"{'system':16s} {'import':>7s} {'build':>7s} {'first iterations':>17s} {'mean after':>10s} {'total':>7s}")
    for model in args.models.split(","):
        rounds = []
        for _ in range(args.rounds):
            done = subprocess.run([sys.executable, __file__, f"--child={model}", f"--tree={args.tree}",
                                   f"--shapes_dir={args.shapes_dir}"], env=env, capture_output=True, text=True)
            if done.returncode:
                sys.exit(f"{model} failed:\n{done.stderr[-3000:]}")
            rounds.append(json.loads(done.stdout.strip().splitlines()[-1]))
        median = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
        total = median["import"] + median["build"] + median["first"]
        print(f"{model:16s} {median['import']:7.1f} {median['build']:7.1f} "
              f"{median['first']:9.1f} ({int(median['first_iterations'])} it) {median['after']:10.3f} {total:7.1f}")


if __name__ == "__main__":
    main()
