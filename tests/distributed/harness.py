"""One training process for the distributed / fault-tolerance tests, run as a subprocess.

Logical CPU devices, TF_CONFIG and the mixed-precision policy must all be fixed before
TensorFlow initialises, so every test that needs them runs this script in a fresh
interpreter:

    python tests/distributed/harness.py --strategy=mirrored --num_cpu_devices=2 \
        --run_dir=/tmp/run --out=/tmp/out --num_iters=4

It builds a tiny system (``--system=stargan|ugatit|cyclegan``; 32x32, 8 channels), trains
it with ``Trainer`` on a synthetic dataset whose batch for iteration ``i`` is a pure
function of ``i``, and writes
``<out>/result-<task>.json`` (logs, start iteration, digest of every weight) and
``<out>/weights-<task>.npz``.
"""

import argparse
import functools
import hashlib
import json
import os
import sys
import time

IMAGE_SIZE = 32
C_DIM = 5


def parse_args(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--system", default="stargan")
    parser.add_argument("--strategy", default="default")
    parser.add_argument("--num_cpu_devices", type=int, default=1)
    parser.add_argument("--run_dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--num_iters", type=int, default=4)
    parser.add_argument("--num_iters_decay", type=int, default=0)
    parser.add_argument("--model_save_step", type=int, default=1000)
    parser.add_argument("--sample_step", type=int, default=1000)
    parser.add_argument("--global_batch_size", type=int, default=8)
    parser.add_argument("--n_critic", type=int, default=2)
    parser.add_argument("--optimizer", default="adam", choices=["adam", "sgd", "momentum"])
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--mixed_precision", default="none")
    parser.add_argument("--jit_compile", action="store_true")
    parser.add_argument("--nan_at", type=int, default=-1, help="make the batch of this iteration NaN")
    parser.add_argument("--throttle", type=float, default=0.0, help="seconds of sleep per batch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no_remapper", action="store_true",
                        help="turn off grappler's remapper (see procs.RESUME_FLAGS)")
    parser.add_argument("--he_init", action="store_true",
                        help="re-draw every conv kernel from N(0, 2 / fan_in) (see reinitialise_kernels)")
    return parser.parse_args(argv)


def synthetic_dataset(start_iteration, global_batch_size, seed=7, nan_at=-1, throttle=0.0):
    """Global batches ``{"image", "label", "target", "image_a", "image_b"}`` (StarGAN reads
    the first three, the unpaired systems the last two); example ``e`` of the whole run is a
    stateless function of ``e``, so the batch of iteration ``i`` is a function of ``i``."""
    import tensorflow as tf

    def example(index):
        key = tf.stack([tf.constant(seed, tf.int64), index])
        image = tf.random.stateless_uniform((IMAGE_SIZE, IMAGE_SIZE, 3), key, minval=-1.0, maxval=1.0)
        label = tf.cast(tf.random.stateless_uniform((C_DIM,), key + 1) > 0.5, tf.float32)
        target = tf.cast(tf.random.stateless_uniform((C_DIM,), key + 2) > 0.5, tf.float32)
        # Domain B: brighter images with a vertical gradient, so the translation has work to do.
        ramp = tf.reshape(tf.linspace(-0.5, 0.5, IMAGE_SIZE), (IMAGE_SIZE, 1, 1))
        image_b = tf.clip_by_value(
            0.5 * tf.random.stateless_uniform((IMAGE_SIZE, IMAGE_SIZE, 3), key + 3, minval=-1.0, maxval=1.0)
            + 0.3 + ramp, -1.0, 1.0)
        if nan_at >= 0:
            poisoned = tf.equal(index // global_batch_size, nan_at)
            image = tf.where(poisoned, tf.fill(tf.shape(image), float("nan")), image)
        return {"image": image, "label": label, "target": target, "image_a": image, "image_b": image_b}

    first = start_iteration * global_batch_size
    dataset = tf.data.Dataset.range(first, first + 10**9).map(example)
    dataset = dataset.batch(global_batch_size, drop_remainder=True)
    if throttle:
        def slow(batch):
            tf.py_function(lambda: time.sleep(throttle), [], [])
            return batch
        dataset = dataset.map(slow)
    return dataset


def build_system(name, args):
    """A tiny instance of ``name`` (the real architecture at 32x32 with 8 channels)."""
    if name == "stargan":
        from stargan_tf.models.stargan import Domains, StarGAN

        return StarGAN(
            [Domains("celeba", [f"a{i}" for i in range(C_DIM)])], image_size=IMAGE_SIZE,
            g_conv_dim=8, d_conv_dim=8, g_repeat_num=1, d_repeat_num=3, n_critic=args.n_critic,
            g_lr=args.lr, d_lr=args.lr, num_iters=args.num_iters, num_iters_decay=args.num_iters_decay,
            lr_update_step=1, global_batch_size=args.global_batch_size, seed=args.seed,
        )
    if name == "ugatit":
        from stargan_tf.models.ugatit import UGATIT, UGATITConfig

        config = UGATITConfig(image_size=IMAGE_SIZE, ngf=8, ndf=8, n_res=1, light=True, global_n_layers=5,
                              local_n_layers=3, lr=args.lr, num_iters=args.num_iters)
        return UGATIT(args.global_batch_size, config, seed=args.seed)
    if name == "cyclegan":
        from stargan_tf.models.cyclegan import CycleGAN, CycleGANConfig

        # A pool smaller than the examples seen, so it fills and starts swapping.
        config = CycleGANConfig(image_size=IMAGE_SIZE, ngf=8, ndf=8, n_blocks=1, pool_size=6, lr=args.lr,
                                num_iters=args.num_iters)
        return CycleGAN(args.global_batch_size, config, seed=args.seed)
    raise ValueError(f"unknown system {name}")


def reinitialise_kernels(system, seed):
    """Re-draw every convolution kernel from He's N(0, 2 / fan_in), seeded.

    CycleGAN's official N(0, 0.02) init at 8-16 channels leaves the inputs of the
    discriminator's first instance norm with a variance of ~3e-5, of the order of its
    epsilon (1e-5). There, float32 rounding differences are amplified ~1e4x per step
    (measured: a 1e-7 relative perturbation of G's weights changed its gradients by 0.4%),
    so no tolerance could tell a bug from noise. At He scale the same perturbation moves
    the gradients by ~1e-6.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    for _, network in sorted(system.networks().items()):
        for variable in network.trainable_weights:
            if variable.path.endswith("kernel") and len(variable.shape) == 4:
                fan_in = int(np.prod(variable.shape[:2])) * int(variable.shape[2])
                variable.assign(rng.normal(0.0, np.sqrt(2.0 / fan_in), variable.shape).astype(np.float32))


def sample_batch_of(name):
    first = next(iter(synthetic_dataset(0, 2)))
    if name == "stargan":
        return {"image": first["image"], "targets": [("t", first["target"])]}
    return {"image_a": first["image_a"], "image_b": first["image_b"]}


def translated_dtype(system):
    """dtype of the first serving endpoint's output (the generator's final tanh)."""
    import tensorflow as tf

    image = tf.zeros((1, IMAGE_SIZE, IMAGE_SIZE, 3))
    endpoint = system.serving_bundle().endpoints[0]
    conditions = {c.name: tf.zeros((1, c.size)) for c in endpoint.conditions}
    return endpoint.translate(image, **conditions).dtype.name


def sgd(learning_rate, beta_1, beta_2, variables, momentum=0.0, **unused):
    """Stands in for ``GANSystem.adam``: SGD (with ``momentum``, a slot per variable), built
    for ``variables``."""
    import keras

    optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)
    optimizer.build(variables)
    return optimizer


def weights_of(system):
    arrays = {}
    for net_name, network in sorted(system.networks().items()):
        for index, variable in enumerate(network.weights):
            arrays[f"{net_name}/{index:03d}/{variable.path}"] = variable.numpy()
    for opt_name, optimizer in sorted(system.optimizers.items()):
        for index, variable in enumerate(optimizer.variables):
            arrays[f"opt_{opt_name}/{index:03d}/{variable.path}"] = variable.numpy()
    return arrays


def digest(arrays):
    sha = hashlib.sha256()
    for key in sorted(arrays):
        sha.update(key.encode())
        sha.update(arrays[key].tobytes())
    return sha.hexdigest()


def main(argv=None):
    args = parse_args(argv)
    from stargan_tf.training.strategy import split_cpu

    split_cpu(args.num_cpu_devices)

    import keras
    import numpy as np
    import tensorflow as tf

    if args.no_remapper:
        tf.config.optimizer.set_experimental_options({"remapping": False})
    if args.mixed_precision != "none":
        keras.mixed_precision.set_global_policy(args.mixed_precision)
    keras.utils.set_random_seed(args.seed)

    from stargan_tf.training.loop import LoopConfig, NonFiniteLossError, Trainer
    from stargan_tf.training.strategy import is_chief, make_strategy

    strategy = make_strategy(args.strategy)
    chief = is_chief(strategy)
    task = 0
    if "TF_CONFIG" in os.environ:
        task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    with strategy.scope():
        system = build_system(args.system, args)
        system.build_networks()
        if args.he_init:
            reinitialise_kernels(system, args.seed)
        if args.optimizer != "adam":  # every system builds its optimizers through self.adam
            system.adam = functools.partial(sgd, momentum=0.9 if args.optimizer == "momentum" else 0.0)
        system.make_optimizers()
    os.makedirs(args.out, exist_ok=True)
    np.savez(os.path.join(args.out, f"init-{task}.npz"), **weights_of(system))
    sample_batch = sample_batch_of(args.system) if args.sample_step < args.num_iters + 1 else None
    config = LoopConfig(num_iters=args.num_iters, log_step=1, sample_step=args.sample_step,
                        model_save_step=args.model_save_step, jit_compile=args.jit_compile,
                        show_progress=False)
    trainer = Trainer(
        system, strategy,
        lambda start: synthetic_dataset(start, args.global_batch_size, nan_at=args.nan_at, throttle=args.throttle),
        args.run_dir, config, sample_batch=sample_batch, is_chief=chief,
    )
    started_from = trainer.checkpoint.latest
    result = {"task": task, "chief": chief, "resumed_from": started_from,
              "replicas": strategy.num_replicas_in_sync}
    try:
        logs = trainer.run()
        result["logs"] = logs
    except NonFiniteLossError as error:
        result["nonfinite"] = str(error)
    result["generator_dtype"] = translated_dtype(system)
    result["optimizer_types"] = {n: type(o).__name__ for n, o in system.optimizers.items()}
    result["variable_dtypes"] = sorted({v.dtype for net in system.networks().values() for v in net.weights})
    result["compute_dtype"] = keras.mixed_precision.global_policy().compute_dtype
    arrays = weights_of(system)
    result["digest"] = digest(arrays)
    np.savez(os.path.join(args.out, f"weights-{task}.npz"), **arrays)
    with open(os.path.join(args.out, f"result-{task}.json"), "w") as handle:
        json.dump(result, handle, indent=1, default=float)
    return 3 if "nonfinite" in result else 0


if __name__ == "__main__":
    sys.exit(main())
