"""Same maths at any replica count (issue #5, part 1), for every system.

Each system at a tiny size is trained with plain SGD on a fixed synthetic dataset under the
default strategy (one device, global batch 8) and under MirroredStrategy over two logical
CPU devices (4 examples each). SGD is used because Adam's update is nearly invariant to the
scale of the gradient, so it would hide a loss divided by the local instead of the global
batch (that bug doubles every SGD update here).

The runs differ only in the order of float32 reductions (each replica sums its 4 examples,
the all-reduce adds the partial sums): ulp-level (~1e-7 relative) per gradient, then amplified
by the training dynamics. They run on TensorFlow's Eigen kernels (``procs.SPLIT_COMPARISON_ENV``:
oneDNN's kernels put two logical CPU replicas up to 3.3e-4 away on AVX-512 machines, see
there). Tolerances, per system, from measurements (clean difference / difference with the
local-batch bug):

- StarGAN (lr 0.02): WGAN-GP's second-order gradients amplify most: clean 1.2e-7 here;
  earlier, with oneDNN, 1.4e-5 for the *same* one-device run with 1 intra-op thread instead
  of 2 and 6e-5 for two MWMS worker processes. Tolerance 2e-4.
- U-GAT-IT (lr 5e-5; cam_weight 1000 makes its G gradients ~1e3x larger): clean <= 4.6e-6
  (G) and 6e-8 (D); with the bug >= 1.1e-4 in every D and 0.12 in G. Tolerance 2e-5.
- CycleGAN (lr 0.002, He-scale kernels, see ``harness.reinitialise_kernels``; image pool of
  6 < 8 examples, so it fills in the first iteration and swaps after): clean 3e-7; with the
  bug >= 2.3e-3. Tolerance 2e-5. A per-replica pool (each replica keeping its own
  history) would also fail here.

Each network must also have moved by > 25x the tolerance, so the comparison is not vacuous.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procs  # noqa: E402

SYSTEMS = {
    "stargan": dict(flags=dict(lr=0.02, n_critic=2), tolerance=2e-4),
    "ugatit": dict(flags=dict(lr=5e-5), tolerance=2e-5),
    "cyclegan": dict(flags=dict(lr=0.002, he_init=True), tolerance=2e-5),
}


@pytest.fixture(scope="module", params=sorted(SYSTEMS))
def pair(request, tmp_path_factory):
    """(system, one-device run, two-replica run), each run as (result, weights, initial weights)."""
    system = request.param
    runs = []
    for strategy, devices in (("default", 1), ("mirrored", 2)):
        root = tmp_path_factory.mktemp(f"{system}-{strategy}")
        result = procs.run_harness(
            system=system, strategy=strategy, num_cpu_devices=devices, run_dir=root / "run",
            out=root / "out", num_iters=4, optimizer="sgd", global_batch_size=8, timeout=300,
            extra_env=procs.SPLIT_COMPARISON_ENV, **SYSTEMS[system]["flags"],
        )
        runs.append((result, procs.read_weights(root / "out"), procs.read_weights(root / "out", prefix="init")))
    return system, runs[0], runs[1]


def network_names(weights):
    return sorted({key.split("/")[0] for key in weights if not key.startswith("opt_")})


def test_two_replicas_train_like_one_device(pair):
    system, (single, single_weights, init), (mirrored, mirrored_weights, mirrored_init) = pair
    tolerance = SYSTEMS[system]["tolerance"]
    assert single["replicas"] == 1 and mirrored["replicas"] == 2
    assert procs.max_abs_diff(init, mirrored_init) == 0.0, "same seed must give the same initial weights"
    for network in network_names(single_weights):
        prefix = network + "/"
        moved = procs.max_abs_diff(single_weights, init, only=prefix)
        assert moved > 25 * tolerance, f"{network} barely trained ({moved}); the test would be vacuous"
        difference = procs.max_abs_diff(single_weights, mirrored_weights, only=prefix)
        assert difference < tolerance, f"{network}: 2 replicas differ from 1 device by {difference}"
    for name, value in single["logs"].items():
        assert np.isclose(mirrored["logs"][name], value, rtol=1e-4, atol=1e-5), name


PROBE = r"""
from stargan_tf.training.strategy import split_cpu
split_cpu(2)
import numpy as np, tensorflow as tf
from stargan_tf.models.base import GANSystem

system = GANSystem(global_batch_size=8, seed=3)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])

@tf.function
def draw(iteration):
    per_replica = strategy.run(lambda: system.per_example_uniform(4, iteration, salt=1, shape=(2,)))
    return strategy.experimental_local_results(per_replica)

one_device = system.per_example_uniform(8, tf.constant(5, tf.int64), salt=1, shape=(2,)).numpy()
parts = [t.numpy() for t in draw(tf.constant(5, tf.int64))]
assert parts[0].shape == (4, 2), parts[0].shape
assert not np.allclose(parts[0], parts[1]), "both replicas drew the same numbers"
np.testing.assert_array_equal(np.concatenate(parts), one_device)
other_iteration = [t.numpy() for t in draw(tf.constant(6, tf.int64))]
assert not np.allclose(np.concatenate(other_iteration), one_device), "draws must depend on the iteration"
print("OK")
"""


def test_per_example_uniform_differs_per_replica_and_matches_one_device():
    done = subprocess.run([sys.executable, "-c", PROBE], env=procs.env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "OK" in done.stdout, done.stderr[-4000:]


POOL_PROBE = r"""
from stargan_tf.training.strategy import split_cpu
split_cpu(2)
import numpy as np, tensorflow as tf
from stargan_tf.training.image_pool import ImagePool

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    replicated = ImagePool(3, (1, 1, 1))
single = ImagePool(3, (1, 1, 1))

@tf.function
def query(images, draws):
    out = strategy.run(lambda local: replicated.query(local, draws), args=(images,))
    return strategy.experimental_local_results(out)

for step in range(6):
    images = tf.reshape(tf.range(4 * step, 4 * step + 4, dtype=tf.float32), (4, 1, 1, 1))
    draws = tf.random.stateless_uniform((4, 2), seed=[1, step])
    halves = strategy.experimental_distribute_values_from_function(
        lambda ctx: images[2 * ctx.replica_id_in_sync_group : 2 * ctx.replica_id_in_sync_group + 2])
    got = np.concatenate([part.numpy() for part in query(halves, draws)])
    np.testing.assert_array_equal(got, single.query(images, draws).numpy())
    copies = [v.numpy() for v in replicated.images.value.values]
    np.testing.assert_array_equal(copies[0], copies[1])
    np.testing.assert_array_equal(copies[0], single.images.numpy())
print("OK")
"""


def test_image_pool_is_one_pool_over_replicas():
    """Two replicas see the fakes a single device would get back, and keep identical copies."""
    done = subprocess.run([sys.executable, "-c", POOL_PROBE], env=procs.env(), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "OK" in done.stdout, done.stderr[-4000:]
