"""Seconds per training iteration of this project's StarGAN, U-GAT-IT light, CycleGAN, DRIT
(full iterations, without and with DRIT++'s mode seeking) and SaGAN against PyTorch
references of their official codes (``benchmarks/pytorch_reference.py``), side by side on
this CPU, and the ratio ours / theirs.

The PyTorch side runs in its own process under ``--torch_python``, a Python that has torch
(the project never imports it), e.g. a throwaway environment:

    python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch numpy
    python benchmarks/vs_pytorch.py --torch_python=/tmp/torchvenv/bin/python           # paper sizes
    python benchmarks/vs_pytorch.py --torch_python=/tmp/torchvenv/bin/python --systems=stargan --rounds=5
    python benchmarks/vs_pytorch.py --torch_python=/tmp/torchvenv/bin/python --quick   # smoke run

Sizes (the papers'): StarGAN 128x128, batch 16, conv 64, 6 residual blocks / 6 D layers,
c_dim 5; U-GAT-IT light and CycleGAN 256x256, batch 1, 64 channels, 4 and 9 residual blocks;
DRIT 216x216 crops, batch 2 (one pair), --concat=1, three-scale discriminators; SaGAN
128x128, batch 16, conv 32, 4 residual blocks / 6 D layers, one attribute (the shapes data's
Spot). SaGAN's reference iteration is 3 D steps and a G step, each on a batch of its own:
ours is the same 4 loop iterations (parts d1, d2, d3, g), 4 batches.
Ours is the loop's compiled step (``Trainer.train_step`` of each step of the iteration, its
logs then converted with float() as the loop does); theirs the official iteration with its
.item() logging; neither loads data. Both sides use ``--threads`` threads (TensorFlow's
intra- and inter-op pools, torch's intra- and inter-op threads). After one warm-up iteration
each (tracing, kernel selection), every round runs one iteration of each side back to back,
ours first in odd rounds and theirs first in even ones, so a change in the machine's load
falls on both. Printed per system: each round (wall-clock seconds per part, the process's CPU
seconds, the load average), the medians of each side, and the median over rounds of ours /
theirs. Other processes on the machine distort the ratio: under load torch's OpenMP threads
wait for each other (its CycleGAN iteration took 5 times longer at load 5 than on an idle
machine, ours 2.3 times), so compare figures taken at a load near the benchmark's own (2).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Sizes of both sides (ours maps them to each system's flags).
PAPER = {
    "stargan": dict(image_size=128, batch_size=16, conv_dim=64, repeat_num=6),
    "ugatit_light": dict(image_size=256, batch_size=1, conv_dim=64, repeat_num=4),
    "cyclegan": dict(image_size=256, batch_size=1, conv_dim=64, repeat_num=9),
    # DRIT's widths are fixed (repeat_num unused); 216 crops are its official size and the
    # content discriminator's least, so the quick run keeps them.
    "drit": dict(image_size=216, batch_size=2, conv_dim=64, repeat_num=0),
    "drit_ms": dict(image_size=216, batch_size=2, conv_dim=64, repeat_num=0),
    "sagan": dict(image_size=128, batch_size=16, conv_dim=32, repeat_num=4, d_repeat_num=6),
}
QUICK = {
    "stargan": dict(image_size=32, batch_size=4, conv_dim=8, repeat_num=2),
    "ugatit_light": dict(image_size=96, batch_size=1, conv_dim=8, repeat_num=1),  # 96: the global D's least
    "cyclegan": dict(image_size=64, batch_size=1, conv_dim=8, repeat_num=2),
    "drit": PAPER["drit"],
    "drit_ms": PAPER["drit_ms"],
    # D's last map is 32 / 2**5 = 1 pixel (the paper's 6 stride-2 convs would leave none).
    "sagan": dict(image_size=32, batch_size=4, conv_dim=8, repeat_num=2, d_repeat_num=5),
}
REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytorch_reference.py")


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch_python", required=True, help="a Python interpreter with torch installed")
    parser.add_argument("--systems", default=",".join(PAPER))
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (after one warm-up iteration each)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads of each side (default: every core)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--lean", action="store_true",
                        help="the reference without the official codes' discarded gradients (see pytorch_reference.py)")
    parser.add_argument("--jit_compile", action="store_true", help="ours compiled with XLA")
    parser.add_argument("--mixed_precision", default="none", choices=["none", "mixed_float16", "mixed_bfloat16"],
                        help="ours under this Keras policy (the reference stays float32)")
    parser.add_argument("--shapes_dir", default=os.path.join(tempfile.gettempdir(), "stargan_tf_bench_data"),
                        help="StarGAN's and SaGAN's batches: the built-in shapes data, written here once")
    args = parser.parse_args()
    unknown = set(args.systems.split(",")) - set(PAPER)
    if unknown:
        parser.error(f"--systems: unknown {sorted(unknown)}; choose from {', '.join(PAPER)}")
    return args


def cpu_description():
    """The CPU model and the vector extensions that decide bfloat16 speed."""
    with open("/proc/cpuinfo") as handle:
        lines = handle.read().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown")
    flags = set(next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), []))
    extensions = [name for name in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if name in flags]
    return f"{model}, {os.cpu_count()} logical cores ({' '.join(extensions) or 'no AVX2'})"


def onednn_state():
    """Which CPU kernels TensorFlow runs, the ones that decide our speed (see
    ``tensorflow_runs_onednn``)."""
    from stargan_tf.layers.kernel_library import tensorflow_runs_onednn

    return {True: "oneDNN on", False: "oneDNN off", None: "oneDNN unknown"}[tensorflow_runs_onednn()]


class Reference:
    """The PyTorch iteration in its own process (see ``pytorch_reference.py``)."""

    def __init__(self, python, system, sizes, threads, lean):
        command = [python, REFERENCE, f"--system={system}", f"--threads={threads}"]
        command += [f"--{name}={value}" for name, value in sizes.items()] + (["--lean"] if lean else [])
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self.process.stdout.readline()
        if not ready.startswith("ready "):
            self.process.kill()
            raise RuntimeError(f"{' '.join(command)} did not start (see its error above)")
        ready = json.loads(ready[len("ready "):])
        self.version, self.parameters = ready["torch"], ready["parameters"]

    def iteration(self):
        """Seconds of one iteration: ``{part: s, ..., "total": s}``."""
        self.process.stdin.write("step\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def sagan_trainer(shapes_dir, image_size, batch_size, conv_dim, repeat_num, d_repeat_num, jit_compile=False):
    """SaGAN editing the shapes data's Spot (``train_step.shapes_trainer``). Returns
    ``(system, trainer, iterator of batches)``."""
    from benchmarks.train_step import shapes_trainer

    given = {"target_attr": "Spot", "image_size": image_size, "batch_size": batch_size, "g_conv_dim": conv_dim,
             "d_conv_dim": conv_dim, "g_repeat_num": repeat_num, "d_repeat_num": d_repeat_num}
    _, system, trainer, iterator = shapes_trainer("sagan", given, shapes_dir, jit_compile=jit_compile)
    return system, trainer, iterator


def step_parts(steps):
    """The parts of one loop iteration: each of its steps, on the iteration's batch."""
    return [(step, (step,), 0) for step in steps]


class Ours:
    """This project's system and the loop's Trainer, as ``train_step.py`` (StarGAN) and
    ``unpaired_step.py`` build them.

    One benchmark iteration is ``loop_iterations`` of the loop's iterations, each with a
    batch of its own; ``parts`` lists its timed pieces as ``(name, steps, loop iteration
    within the benchmark iteration)``: the steps of one loop iteration (StarGAN, U-GAT-IT,
    CycleGAN, DRIT), or SaGAN's four loop iterations of one step each."""

    def __init__(self, system, sizes, args):
        self.loop_iterations = 1
        if system == "stargan":
            from benchmarks.train_step import stargan_trainer

            _, self.system, self.trainer, iterator = stargan_trainer(args.shapes_dir, jit_compile=args.jit_compile,
                                                                     **sizes)
            self.batches = [next(iterator) for _ in range(args.rounds + 1)]
            # Every iteration has a G update (the reference's iteration with n_critic reached).
            self.parts = step_parts(self.system.steps_for(self.system.config.n_critic - 1))
        elif system == "sagan":
            self.system, self.trainer, iterator = sagan_trainer(args.shapes_dir, jit_compile=args.jit_compile,
                                                                **sizes)
            # The reference's iteration: n_critic D iterations and a G iteration, 4 batches.
            self.loop_iterations = self.system.config.n_critic + 1
            self.batches = [next(iterator) for _ in range((args.rounds + 1) * self.loop_iterations)]
            self.parts = [(f"d{i + 1}" if i < self.system.config.n_critic else "g", self.system.steps_for(i), i)
                          for i in range(self.loop_iterations)]
        elif system.startswith("drit"):
            from benchmarks.unpaired_step import unpaired_trainer

            given = {"image_size": sizes["image_size"], "batch_size": sizes["batch_size"], "ch": sizes["conv_dim"],
                     "mode_seeking": system == "drit_ms"}
            _, _, self.trainer, batch = unpaired_trainer("drit", given, args.jit_compile)
            self.system = self.trainer.system
            self.batches = [batch] * (args.rounds + 1)
            # The full iteration (every D, then E and G), as the reference's update_D + update_EG.
            self.parts = step_parts(self.system.steps_for(self.system.config.d_iter - 1))
        else:
            from benchmarks.unpaired_step import unpaired_trainer

            given = {"image_size": sizes["image_size"], "batch_size": sizes["batch_size"], "ch": sizes["conv_dim"],
                     "n_res": sizes["repeat_num"]}
            _, _, self.trainer, batch = unpaired_trainer(system.split("_")[0], given, args.jit_compile)
            self.system = self.trainer.system
            self.batches = [batch] * (args.rounds + 1)
            self.parts = step_parts(self.system.steps_for(0))
        self.parameters = {name: sum(int(v.shape.num_elements()) for v in network.trainable_variables)
                           for name, network in self.system.networks().items()}

    def iteration(self, index):
        """Seconds of iteration ``index``: ``{part: s, ..., "total": s, "cpu": s}``."""
        times, started, cpu_started = {}, time.perf_counter(), time.process_time()
        for part, steps, offset in self.parts:
            part_started = time.perf_counter()
            iteration = index * self.loop_iterations + offset
            logs = self.trainer.train_step(self.batches[iteration], iteration, steps)
            {name: float(value) for name, value in logs.items()}  # the loop's conversion (a sync)
            times[part] = time.perf_counter() - part_started
        times["total"], times["cpu"] = time.perf_counter() - started, time.process_time() - cpu_started
        return times


def load():
    """The machine's load average over the last minute: other processes share the cores."""
    with open("/proc/loadavg") as handle:
        return f"load {handle.read().split()[0]}"


def parts(times):
    return ", ".join(f"{name} {seconds:.2f}" for name, seconds in times.items() if name not in ("total", "cpu"))


def median_parts(rounds):
    return {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}


def compare(system, sizes, args):
    reference = Reference(args.torch_python, system, sizes, args.threads, args.lean)
    try:
        ours = Ours(system, sizes, args)
        described = ", ".join(f"{name} {value}" for name, value in sizes.items())
        mismatched = {name: (count, reference.parameters[name]) for name, count in ours.parameters.items()
                      if name in reference.parameters and reference.parameters[name] != count}
        counts = ", ".join(f"{name} {count:,}" for name, count in reference.parameters.items())
        print(f"\n{system}: {described}; torch {reference.version}; parameters of both: {counts}"
              + (f"; DIFFERENT (ours, theirs): {mismatched}" if mismatched else ""), flush=True)
        warm_ours, warm_theirs = ours.iteration(0), reference.iteration()
        print(f"  warm-up: ours {warm_ours['total']:.2f} s, theirs {warm_theirs['total']:.2f} s", flush=True)
        rounds = []
        for index in range(1, args.rounds + 1):
            if index % 2:
                mine, theirs = ours.iteration(index), reference.iteration()
            else:
                theirs, mine = reference.iteration(), ours.iteration(index)
            rounds.append((mine, theirs))
            print(f"  round {index}: ours {mine['total']:.2f} s ({parts(mine)}; CPU {mine['cpu']:.1f} s); theirs "
                  f"{theirs['total']:.2f} s ({parts(theirs)}; CPU {theirs['cpu']:.1f} s); ours/theirs "
                  f"{mine['total'] / theirs['total']:.2f}; {load()}", flush=True)
    finally:
        reference.close()
    mine, theirs = median_parts([r[0] for r in rounds]), median_parts([r[1] for r in rounds])
    ratio = statistics.median(m["total"] / t["total"] for m, t in rounds)
    cpu_ratio = statistics.median(m["cpu"] / t["cpu"] for m, t in rounds)
    print(f"  median: ours {mine['total']:.2f} s/iteration ({parts(mine)}; CPU {mine['cpu']:.1f} s); theirs "
          f"{theirs['total']:.2f} s/iteration ({parts(theirs)}; CPU {theirs['cpu']:.1f} s); ours/theirs "
          f"{ratio:.2f} (CPU seconds {cpu_ratio:.2f})", flush=True)
    return ratio


def main():
    args = parse()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    if args.mixed_precision != "none":
        keras.mixed_precision.set_global_policy(args.mixed_precision)
    print(f"CPU: {cpu_description()}; threads per side: {args.threads}; TensorFlow {tf.__version__} "
          f"({onednn_state()})"
          f"{', XLA' if args.jit_compile else ''}{', ' + args.mixed_precision if args.mixed_precision != 'none' else ''}"
          f"; reference: {'lean' if args.lean else 'official'} step; {args.rounds} rounds", flush=True)
    sizes = QUICK if args.quick else PAPER
    ratios = {system: compare(system, sizes[system], args) for system in args.systems.split(",")}
    print("\nours / theirs: " + ", ".join(f"{system} {ratio:.2f}" for system, ratio in ratios.items()))


if __name__ == "__main__":
    main()
