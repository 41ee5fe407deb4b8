"""Training processes for the distributed, precision and fault-tolerance tests, run as
subprocesses.

Logical CPU devices, TF_CONFIG and the mixed-precision policy must all be fixed before
TensorFlow initialises, so every test that needs them runs this script in a fresh
interpreter:

    python tests/distributed/harness.py --systems=stargan,ugatit --strategy=mirrored \
        --num_cpu_devices=2 --shapes_dir=/tmp/shapes --run_dir=/tmp/run --out=/tmp/out --num_iters=4

Each system is built from its declaration (``SystemSpec``, ``presets["tiny"]``) on the
built-in data through the same wiring as ``main.py``, trained with ``Trainer``, and leaves
``<out>/<system>/result-<task>.json`` (logs, start iteration, dtypes, digest of every
weight), ``weights-<task>.npz`` and ``init-<task>.npz``. Nothing here names a system.
"""

import argparse
import hashlib
import json
import os
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--systems", required=True, help="comma-separated --model names")
    parser.add_argument("--shapes_dir", required=True)
    parser.add_argument("--shapes_num_images", type=int, required=True)
    parser.add_argument("--strategy", default="default")
    parser.add_argument("--num_cpu_devices", type=int, default=1)
    parser.add_argument("--run_dir", required=True, help="each system trains in <run_dir>/<system>")
    parser.add_argument("--out", required=True)
    parser.add_argument("--num_iters", type=int, default=4)
    parser.add_argument("--model_save_step", type=int, default=1000)
    parser.add_argument("--sample_step", type=int, default=1000)
    parser.add_argument("--global_batch_size", type=int, default=8)
    parser.add_argument("--optimizer", default="adam", choices=["adam", "sgd", "momentum"])
    parser.add_argument("--lr", type=float, default=None,
                        help="one learning rate for every optimizer, decaying linearly to 0 at num_iters "
                             "(default: the system's own schedule)")
    parser.add_argument("--mixed_precision", default="none")
    parser.add_argument("--jit", default="off",
                        help="comma-separated among off,on: train each system once per mode, with XLA for 'on' "
                             "(results of 'on' under <out>/<system>+jit)")
    parser.add_argument("--nan_at", type=int, default=-1, help="make the batch of this iteration NaN")
    parser.add_argument("--throttle", type=float, default=0.0, help="seconds of sleep per batch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eigen_kernels", action="store_true",
                        help="TensorFlow's Eigen kernels instead of oneDNN's (see procs.EIGEN_KERNELS)")
    parser.add_argument("--he_init", action="store_true",
                        help="re-draw every conv kernel from N(0, 2 / fan_in) (see reinitialise_kernels)")
    return parser.parse_args(argv)


def poisoned_and_throttled(make_dataset, nan_at, throttle):
    """``make_dataset`` whose batch of iteration ``nan_at`` is all NaN, and which sleeps
    ``throttle`` seconds per batch (so a test can kill the process mid-run)."""
    import tensorflow as tf

    def wrapped(start):
        dataset = tf.data.Dataset.zip((tf.data.Dataset.range(start, 10**12), make_dataset(start)))

        def transform(iteration, batch):
            def poison(tensor):
                if not tensor.dtype.is_floating:
                    return tensor
                return tf.where(tf.equal(iteration, nan_at), tf.fill(tf.shape(tensor), float("nan")), tensor)
            if throttle:
                tf.py_function(lambda: time.sleep(throttle), [], [])
            return tf.nest.map_structure(poison, batch)

        return dataset.map(transform)

    return wrapped if nan_at >= 0 or throttle else make_dataset


def reinitialise_kernels(system, seed):
    """Re-draw every convolution kernel from He's N(0, 2 / fan_in), seeded.

    The reference codes' N(0, 0.02) init at 4-8 channels leaves the inputs of some instance
    norms with a variance of the order of their epsilon (1e-5): there float32 rounding is
    amplified ~1e4x per step (a 1e-7 relative perturbation of CycleGAN's G changed its
    gradients by 0.4%), so no tolerance could tell a bug from noise. At He scale the same
    perturbation moves the gradients by ~1e-6.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    for _, network in sorted(system.networks().items()):
        for variable in network.trainable_weights:
            if variable.path.endswith("kernel") and len(variable.shape) == 4:
                fan_in = int(np.prod(variable.shape[:2])) * int(variable.shape[2])
                variable.assign(rng.normal(0.0, np.sqrt(2.0 / fan_in), variable.shape).astype(np.float32))


def sgd_factory(momentum):
    """Stands in for ``GANSystem.adam``: SGD (with ``momentum``, a slot per variable)."""
    import keras

    def make(learning_rate, beta_1, beta_2, variables, **unused):
        optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)
        optimizer.build(variables)
        return optimizer

    return make


def weights_of(system):
    """Every weight keyed by network and position, not by Keras' path: a layer's path names
    it after the layers built before it in the process, so keys with paths would only match
    between processes that built the same systems in the same order."""
    arrays = {}
    for net_name, network in sorted(system.networks().items()):
        for index, variable in enumerate(network.weights):
            arrays[f"{net_name}/{index:03d}"] = variable.numpy()
    for opt_name, optimizer in sorted(system.optimizers.items()):
        for index, variable in enumerate(optimizer.variables):
            arrays[f"opt_{opt_name}/{index:03d}"] = variable.numpy()
    for state_name, state in sorted(system.checkpoint_state().items()):
        for index, variable in enumerate(state.weights):
            arrays[f"state_{state_name}/{index:03d}"] = variable.numpy()
    return arrays


def digest(arrays):
    sha = hashlib.sha256()
    for key in sorted(arrays):
        sha.update(key.encode())
        sha.update(arrays[key].tobytes())
    return sha.hexdigest()


def output_dtypes(system):
    """dtype of every output of the first serving endpoint (float32 under any policy)."""
    import tensorflow as tf

    size = system.config.image_size
    endpoint = system.serving_bundle().endpoints[0]
    inputs = {i.name: tf.zeros((1, size, size, 3) if i.kind == "image" else (1,) + tuple(i.shape))
              for i in endpoint.inputs}
    outputs = endpoint.translate(**inputs)
    outputs = outputs if isinstance(outputs, dict) else {"translated": outputs}
    return sorted({tensor.dtype.name for tensor in outputs.values()})


def train_one(name, args, strategy, chief, task, jit):
    import keras
    import numpy as np

    from stargan_tf.cli.config_flags import resolve
    from stargan_tf.cli.systems import load_data
    from stargan_tf.models.registry import REGISTRY
    from stargan_tf.training.hooks import SampleGrid
    from stargan_tf.training.loop import LoopConfig, NonFiniteLossError, Trainer

    spec = REGISTRY[name]
    key = f"{name}+jit" if jit else name
    out = os.path.join(args.out, key)
    os.makedirs(out, exist_ok=True)
    given = {**spec.presets["tiny"], "shapes_dir": args.shapes_dir, "shapes_num_images": args.shapes_num_images,
             "batch_size": args.global_batch_size, "num_iters": args.num_iters, "seed": args.seed}
    resolved = resolve(spec, given, preset=None)
    data = load_data(spec, resolved, os.path.join(out, f"data-checks-{task}"))
    keras.utils.set_random_seed(args.seed)
    with strategy.scope():
        system = spec.build(resolved.config, data)
        system.build_networks()
        if args.he_init:
            reinitialise_kernels(system, args.seed)
        if args.optimizer != "adam":  # every system builds its optimizers through self.adam
            system.adam = sgd_factory(0.9 if args.optimizer == "momentum" else 0.0)
        system.make_optimizers()
    if args.lr is not None:
        system.learning_rates = lambda i: {n: args.lr * (1.0 - i / args.num_iters) for n in system.optimizers}
    np.savez(os.path.join(out, f"init-{task}.npz"), **weights_of(system))
    hooks = []
    if args.sample_step <= args.num_iters:
        examples = data.sample_examples(2)
        hooks.append(SampleGrid(system.sample_batch(examples, np.random.default_rng(0)), args.sample_step))
    config = LoopConfig(num_iters=args.num_iters, log_step=1, model_save_step=args.model_save_step,
                        jit_compile=jit, show_progress=False)
    make_dataset = poisoned_and_throttled(data.make_dataset, args.nan_at, args.throttle)
    trainer = Trainer(system, strategy, make_dataset, os.path.join(args.run_dir, key), config, hooks=hooks,
                      is_chief=chief)
    result = {"task": task, "chief": chief, "resumed_from": trainer.checkpoint.latest,
              "replicas": strategy.num_replicas_in_sync}
    try:
        result["logs"] = trainer.run()
    except NonFiniteLossError as error:
        result["nonfinite"] = str(error)
    result["output_dtypes"] = output_dtypes(system)
    result["optimizer_types"] = {n: type(o).__name__ for n, o in system.optimizers.items()}
    result["variable_dtypes"] = sorted({v.dtype for net in system.networks().values() for v in net.weights})
    result["compute_dtype"] = keras.mixed_precision.global_policy().compute_dtype
    arrays = weights_of(system)
    result["digest"] = digest(arrays)
    np.savez(os.path.join(out, f"weights-{task}.npz"), **arrays)
    with open(os.path.join(out, f"result-{task}.json"), "w") as handle:
        json.dump(result, handle, indent=1, default=float)
    return "nonfinite" not in result


def main(argv=None):
    args = parse_args(argv)
    if args.eigen_kernels:  # read once, when TensorFlow loads
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
    from stargan_tf.training.strategy import split_cpu

    split_cpu(args.num_cpu_devices)

    import keras

    if args.mixed_precision != "none":
        keras.mixed_precision.set_global_policy(args.mixed_precision)

    from stargan_tf.training.strategy import is_chief, make_strategy

    strategy = make_strategy(args.strategy)
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"] if "TF_CONFIG" in os.environ else 0
    finite = [train_one(name, args, strategy, is_chief(strategy), task, jit=mode == "on")
              for name in args.systems.split(",") for mode in args.jit.split(",")]
    return 0 if all(finite) else 3


if __name__ == "__main__":
    sys.exit(main())
