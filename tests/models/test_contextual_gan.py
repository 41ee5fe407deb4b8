"""Contextual GAN: the networks' shapes and parameter counts (the paper's layers counted by
hand), LeakyReLU as max(x, 0.2x), a few real train steps with finite losses, and the
completion: best-of-N starts from the candidate with the smallest contextual loss, the descent
lowers it, z stays in [-1, 1], the same input gives the same completion, and both directions
complete the other half."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.layers.activations import MaximumLeakyReLU
from stargan_tf.models.contextual_gan import networks
from stargan_tf.models.contextual_gan.completion import complete, contextual_loss, known_half_mask
from stargan_tf.models.contextual_gan.config import ContextualGANConfig
from stargan_tf.models.contextual_gan.system import VERIFIED_STEPS, ContextualGAN



def count(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


def test_paper_networks_have_the_counted_parameters():
    """G: linear 100 -> 4x8x512 (+ BN), 5x5 transposed convolutions 512->256->128->64 (+ BN)
    ->3; D: 5x5 convolutions 3->64->128->256->512 (BN on the last three), linear 4x8x512 -> 1."""
    g = networks.joint_generator()
    d = networks.joint_discriminator()
    assert g.output_shape == (None, 64, 128, 3) and d.output_shape == (None, 1)
    generator = (100 * 16384 + 16384 + 2 * 512 + sum(25 * i * o + o + 2 * o for i, o in ((512, 256), (256, 128),
                                                                                        (128, 64))) + 25 * 64 * 3 + 3)
    discriminator = (25 * 3 * 64 + 64 + sum(25 * i * o + o + 2 * o for i, o in ((64, 128), (128, 256), (256, 512)))
                     + 4 * 8 * 512 + 1)
    assert (count(g), count(d)) == (generator, discriminator) == (5_962_755, 4_324_737)


def test_maximum_leaky_relu_is_leaky_relu():
    x = tf.constant(np.linspace(-3, 3, 61, dtype=np.float32))
    np.testing.assert_array_equal(MaximumLeakyReLU(0.2)(x).numpy(), tf.nn.leaky_relu(x, 0.2).numpy())


@pytest.fixture(scope="module")
def system():
    tf.keras.utils.set_random_seed(0)
    config = ContextualGANConfig(image_size=16, z_dim=8, gf_dim=4, df_dim=4, batch_size=4, completion_iters=30,
                                 completion_candidates=6, completion_lr=0.05, r1_gamma=10.0, completion_scales=2)
    built = ContextualGAN(config)
    built.make_optimizers()
    joints = tf.constant(np.random.default_rng(0).uniform(-1, 1, (4, 16, 32, 3)).astype(np.float32))
    for iteration in range(3):
        logs = {}
        for name in built.steps_for(iteration):
            logs.update(getattr(built, name)({"joint": joints}, tf.constant(iteration, tf.int64)))
        assert all(np.isfinite(float(v)) for v in logs.values()), logs
        # D's loss carries R1 with the weight gamma / 2 (losses.r1_penalty is tested on its own).
        np.testing.assert_allclose(float(logs["D/loss"]), float(logs["D/loss_real"] + logs["D/loss_fake"]
                                                                + 5.0 * logs["D/r1"]), rtol=1e-6)
    # Three steps leave batch norm's moving statistics at their start (variance 1 against the
    # N(0, 0.02) layers' ~1e-3): G's inference output would hardly depend on z. Settle them.
    codes = tf.constant(np.random.default_rng(5).uniform(-1, 1, (64, 8)).astype(np.float32))
    for _ in range(60):
        built.discriminator(built.generator(codes, training=True), training=True)
    return built


def sketches(count, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (count, 16, 16, 3)).astype(np.float32)


def reference_contextual_loss(joint, target, known_on_left, scales):
    """The formula in NumPy for one image: per scale s (block side k = 2^s), k x the mean of
    the squared k x k block means of the difference over the known half."""
    size = joint.shape[0]
    difference = (joint - target)[:, :size] if known_on_left else (joint - target)[:, size:]
    total = 0.0
    for level in range(scales):
        side = 2 ** level
        means = difference.reshape(size // side, side, size // side, side, 3).mean(axis=(1, 3))
        total += side * np.mean(means ** 2)
    return total


@pytest.mark.parametrize("known_on_left", [True, False])
def test_the_contextual_loss_at_block_scales_is_its_formula(known_on_left):
    rng = np.random.default_rng(4)
    joints = rng.uniform(-1, 1, (2, 3, 16, 32, 3)).astype(np.float32)
    targets = rng.uniform(-1, 1, (2, 1, 16, 32, 3)).astype(np.float32)
    for scales in (1, 3, 5):
        losses = contextual_loss(tf.constant(joints), tf.constant(targets), known_half_mask(16, known_on_left),
                                 scales).numpy()
        assert losses.shape == (2, 3)
        expected = [[reference_contextual_loss(joints[i, j], targets[i, 0], known_on_left, scales) for j in range(3)]
                    for i in range(2)]
        np.testing.assert_allclose(losses, expected, rtol=1e-5)


def outline(offset):
    """A 32 x 64 joint image: white paper on the left with a 2-px black square outline,
    shifted right by ``offset`` pixels; the right half is blank (ignored by the loss)."""
    joint = np.ones((32, 64, 3), np.float32)
    top, left, side = 8, 8 + offset, 14
    joint[top:top + side, left:left + side] = -1.0
    joint[top + 2:top + side - 2, left + 2:left + side - 2] = 1.0
    return joint


def test_block_scales_make_a_nearby_outline_cheaper_than_blank_paper():
    """Why the preset completes with block scales: per pixel, an outline 3 px off the
    sketch's costs more than no outline at all, so the descent drifts to blank paper;
    with block means the nearby outline is the cheaper one."""
    target = tf.constant(outline(0)[None, None])
    candidates = tf.constant(np.stack([outline(3), np.ones((32, 64, 3), np.float32)])[None])
    mask = known_half_mask(32, True)
    shifted, blank = contextual_loss(candidates, target, mask, 1).numpy()[0]
    assert blank < shifted
    shifted, blank = contextual_loss(candidates, target, mask, 4).numpy()[0]
    assert shifted < blank


def test_best_of_n_starts_from_the_closest_candidate_and_the_descent_lowers_the_loss(system):
    known = tf.constant(sketches(3))
    result = system.complete(known)
    joints = system.generator(tf.constant(system.candidates()), training=False)
    targets = tf.concat([known, tf.zeros_like(known)], axis=2)
    losses = contextual_loss(joints[None], targets[:, None], known_half_mask(16, True),
                             system.config.completion_scales).numpy()
    np.testing.assert_allclose(result["start_loss"].numpy(), losses.min(axis=1), rtol=1e-5)
    assert np.all(result["loss"].numpy() < result["start_loss"].numpy())
    assert np.all(np.abs(result["z"].numpy()) <= 1.0)
    assert result["completed"].shape == (3, 16, 16, 3) and result["joint"].shape == (3, 16, 32, 3)
    np.testing.assert_array_equal(result["completed"].numpy(), result["joint"].numpy()[:, :, 16:])


def test_the_same_input_completes_the_same_way_alone_or_in_a_batch(system):
    known = sketches(3)
    batch = system.complete(known)["completed"].numpy()
    alone = system.complete(known[1:2])["completed"].numpy()
    np.testing.assert_allclose(alone[0], batch[1], atol=1e-5)
    np.testing.assert_array_equal(system.complete(known)["completed"].numpy(), batch)


def test_photo2sketch_keeps_the_right_half_and_returns_the_left(system):
    photos = sketches(2, seed=3)
    result = system.complete(photos, direction="photo2sketch")
    np.testing.assert_array_equal(result["completed"].numpy(), result["joint"].numpy()[:, :, :16])
    assert np.all(result["loss"].numpy() < result["start_loss"].numpy())


def test_completion_runs_as_one_loop_in_a_graph(system):
    traced = tf.function(lambda known: complete(system.generator, system.discriminator, known,
                                                tf.constant(system.candidates()), iterations=4)["completed"],
                         autograph=False).get_concrete_function(tf.TensorSpec([None, 16, 16, 3]))
    ops = {op.type for op in traced.graph.get_operations()}
    assert "While" in ops or "StatelessWhile" in ops


def test_a_long_search_is_exported_verified_as_its_first_steps(system):
    """The endpoints of a 30-step search report their TFLite differences and are verified
    through a stand-in of VERIFIED_STEPS steps of the same loop from the first candidate; only a
    search that is its own stand-in (that many steps from one candidate) is verified itself."""
    sketch = sketches(2, seed=4)
    for endpoint in system.serving_bundle().endpoints:
        stand_in = endpoint.verified_as
        assert stand_in.name == f"{endpoint.name}_stand_in" and stand_in.verified_as is None
        assert endpoint.tolerances == {"float32_max_abs": None, "float16_min_psnr": None} and not stand_in.tolerances
        known = sketch if endpoint.name == "sketch2photo" else sketch[:, :, ::-1]
        np.testing.assert_allclose(stand_in.translate(tf.constant(known)).numpy(),
                                   complete(system.generator, system.discriminator, known,
                                            tf.constant(system.candidates()[:1]), endpoint.name == "sketch2photo",
                                            VERIFIED_STEPS, 0.05, 0.9, 0.01, 2)["completed"].numpy(), atol=1e-6)
    own_stand_in = ContextualGAN(dataclasses.replace(system.config, completion_iters=VERIFIED_STEPS,
                                                     completion_candidates=1))
    assert all(e.verified_as is None and not e.tolerances for e in own_stand_in.serving_bundle().endpoints)
    many_candidates = ContextualGAN(dataclasses.replace(system.config, completion_iters=VERIFIED_STEPS))
    assert system.config.completion_candidates > 1
    assert all(e.verified_as is not None for e in many_candidates.serving_bundle().endpoints)


def test_the_lr_is_constant_by_default_and_falls_to_0_over_num_iters_decay():
    small = dict(image_size=16, z_dim=8, gf_dim=4, df_dim=4, batch_size=4, lr=1e-3, num_iters=100)
    constant = ContextualGAN(ContextualGANConfig(**small))
    assert [constant.learning_rates(i)["generator"] for i in (0, 99)] == [1e-3, 1e-3]
    decaying = ContextualGAN(ContextualGANConfig(num_iters_decay=40, **small))
    rates = [decaying.learning_rates(i) for i in (0, 60, 80, 100)]
    np.testing.assert_allclose([r["generator"] for r in rates], [1e-3, 1e-3, 5e-4, 0.0])
    assert all(r["generator"] == r["discriminator"] for r in rates)

