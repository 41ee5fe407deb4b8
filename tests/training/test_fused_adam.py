"""FusedAdam against Keras' Adam: the same trajectory, the same variables, under XLA, loss
scaling and two mirrored replicas."""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.training.fused_adam import FusedAdam

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "distributed"))
import procs  # noqa: E402

SHAPES = [(3, 3, 4, 8), (8,), (5, 7)]
LR = 1e-3
# One Adam step moves a weight by about LR. Float32 rounding of the two formulations
# differs by a few ULPs of the N(0, 1) weights (measured 4.8e-7 over three steps of 312
# variables); a wrong bias correction, beta or epsilon moves weights by a sizeable part of
# LR. A thousandth of a step separates the two by 20x on either side.
TOLERANCE = 1e-3 * LR


def gradient_sequence(steps, seed=0):
    rng = np.random.default_rng(seed)
    # Gradients of very different sizes per variable: Adam's normalisation must hold for each.
    return [[tf.constant(rng.normal(scale=10.0 ** -i, size=s).astype(np.float32)) for i, s in enumerate(SHAPES)]
            for _ in range(steps)]


def fresh_variables(seed=1):
    rng = np.random.default_rng(seed)
    return [tf.Variable(rng.normal(size=s).astype(np.float32)) for s in SHAPES]


def trajectory(optimizer, gradients, jit_compile=False):
    variables = fresh_variables()
    optimizer.build(variables)
    step = tf.function(lambda grads: optimizer.apply(grads, variables), jit_compile=jit_compile)
    for grads in gradients:
        step(grads)
    return [v.numpy() for v in variables], [v.numpy() for v in optimizer.variables]


def assert_close(got, want):
    for actual, expected in zip(got, want, strict=True):
        np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_same_trajectory_as_keras_adam(jit_compile):
    gradients = gradient_sequence(5)
    settings = dict(learning_rate=LR, beta_1=0.5, beta_2=0.999, epsilon=1e-7)
    want_weights, want_state = trajectory(keras.optimizers.Adam(**settings), gradients)
    got_weights, got_state = trajectory(FusedAdam(**settings), gradients, jit_compile)
    assert_close(got_weights, want_weights)
    assert_close(got_state, want_state)  # iterations, momentums, velocities in Keras' order
    assert got_state[0] == 5


def test_checkpoints_interchange_with_keras_adam(tmp_path):
    variables = fresh_variables()
    written = keras.optimizers.Adam(LR)
    written.build(variables)
    written.apply(gradient_sequence(1)[0], variables)
    path = tf.train.Checkpoint(optimizer=written).write(str(tmp_path / "ckpt"))

    read = FusedAdam(LR)
    read.build(fresh_variables(seed=2))
    tf.train.Checkpoint(optimizer=read).read(path).assert_consumed()
    for got, want in zip(read.variables, written.variables, strict=True):
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_loss_scaling_skips_a_non_finite_step_and_takes_a_finite_one():
    optimizer = keras.optimizers.LossScaleOptimizer(FusedAdam(LR))
    variables = fresh_variables()
    optimizer.build(variables)
    before = [v.numpy() for v in variables]
    finite = gradient_sequence(1)[0]
    optimizer.apply([g * np.inf for g in finite], variables)
    for variable, value in zip(variables, before):
        np.testing.assert_array_equal(variable.numpy(), value)
    optimizer.apply([g * optimizer.dynamic_scale for g in finite], variables)
    reference = keras.optimizers.Adam(LR)
    reference_variables = fresh_variables()
    reference.build(reference_variables)
    reference.apply(finite, reference_variables)
    assert_close([v.numpy() for v in variables], [v.numpy() for v in reference_variables])


def test_amsgrad_refused():
    with pytest.raises(ValueError, match="AMSGrad"):
        FusedAdam(LR, amsgrad=True)


MIRRORED = textwrap.dedent("""
    import numpy as np, tensorflow as tf
    from stargan_tf.training.fused_adam import FusedAdam
    from stargan_tf.training.strategy import split_cpu
    split_cpu(2)
    rng = np.random.default_rng(0)
    shapes = [(3, 3, 4, 8), (8,)]
    init = [rng.normal(size=s).astype(np.float32) for s in shapes]
    halves = [[rng.normal(size=s).astype(np.float32) for s in shapes] for _ in range(2)]

    def run(strategy, gradients_of_replica):
        with strategy.scope():
            variables = [tf.Variable(x) for x in init]
            optimizer = FusedAdam(1e-3)
            optimizer.build(variables)
        @tf.function
        def step():
            def replica():
                grads = gradients_of_replica(tf.distribute.get_replica_context().replica_id_in_sync_group)
                optimizer.apply(grads, variables)
            strategy.run(replica)
        for _ in range(3):
            step()
        return [v.numpy() for v in variables]

    # Two replicas each apply half of the batch's gradient (the optimizer sums them): the
    # same as one device applying the sum.
    mirrored = run(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]),
                   lambda r: [tf.where(tf.equal(r, 0), a, b) for a, b in zip(*halves)])
    single = run(tf.distribute.get_strategy(), lambda r: [a + b for a, b in zip(*halves)])
    print(max(float(np.max(np.abs(m - s))) for m, s in zip(mirrored, single)))
""")


def test_two_mirrored_replicas_update_like_one_device():
    done = subprocess.run([sys.executable, "-c", MIRRORED], env=procs.env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert float(done.stdout.split()[-1]) <= TOLERANCE
