"""CycleGAN beyond the contract test (tests/contract): network shapes, the PyTorch-aligned
transposed convolution, the image pool, the objective's terms, the lr schedule, the columns
per direction and which generator serves which endpoint. Tiny configurations, each test
with its own system."""

import dataclasses
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.models.base import INPUT, OUTPUT, VISUAL
from stargan_tf.models.config import fields
from stargan_tf.models.cyclegan import SPEC
from stargan_tf.models.cyclegan.config import CycleGANConfig, patchgan_output_size
from stargan_tf.models.cyclegan.networks import cyclegan_generator, patchgan_discriminator
from stargan_tf.models.cyclegan.system import CycleGAN
from stargan_tf.training.image_pool import ImagePool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_unpaired import (assert_constant_for_half_then_linear_to_zero, built_system, column_layout,  # noqa: E402
                           logs_of, random_batch)

SIZE = 32
TINY = CycleGANConfig(image_size=SIZE, ch=8, n_res=1, pool_size=3, num_iters=10, batch_size=2)

# The official training hyper-parameters (research/ugatit_cyclegan.md, CycleGAN: the options of
# junyanz/pytorch-CycleGAN-and-pix2pix: --crop_size 256, --batch_size 1, --lr 0.0002, --beta1 0.5
# (beta2 0.999 in the code), --pool_size 50, --lambda_A/B 10, --lambda_identity 0.5). The
# architecture flags (ch, n_res) are pinned by the contract test's official parameter counts.
OFFICIAL = {"image_size": 256, "batch_size": 1, "lr": 2e-4, "beta1": 0.5, "beta2": 0.999, "pool_size": 50,
            "cycle_weight": 10.0, "lambda_identity": 0.5}


def test_defaults_are_the_official_hyper_parameters():
    defaults = {field.name: field.default for field in fields(SPEC.config)}
    assert {name: defaults[name] for name in OFFICIAL} == OFFICIAL


# ---- networks ------------------------------------------------------------------------------
def test_generator_keeps_the_image_size():
    generator = cyclegan_generator(image_size=256, ch=4, n_res=1)
    assert tuple(generator.output.shape) == (None, 256, 256, 3)


@pytest.mark.parametrize("image_size, side", [(256, 30), (32, 2), (24, 1)])
def test_patchgan_logit_map_size(image_size, side):
    """30x30 patch logits at 256 px (the official 70x70 PatchGAN); ``patchgan_output_size``,
    which the configuration check uses, agrees with the network down to the smallest size."""
    disc = patchgan_discriminator(image_size=image_size, ch=4)
    assert tuple(disc.output.shape) == (None, side, side, 1)
    assert patchgan_output_size(image_size) == side


# ---- image pool ------------------------------------------------------------------------------
def constant_images(values):
    return tf.constant(np.asarray(values, np.float32).reshape(-1, 1, 1, 1) * np.ones((1, 2, 2, 1), np.float32))


def test_image_pool_fills_then_swaps_with_probability_half():
    pool = ImagePool(2, (2, 2, 1))
    query = tf.function(pool.query)
    # Filling: returned unchanged and stored, whatever the draws.
    out = query(constant_images([1, 2]), tf.constant([[0.9, 0.0], [0.9, 0.0]]))
    np.testing.assert_array_equal(out.numpy()[:, 0, 0, 0], [1, 2])
    np.testing.assert_array_equal(pool.images.numpy()[:, 0, 0, 0], [1, 2])
    assert int(pool.count.numpy()) == 2
    # Full, draw <= 0.5: the new image comes back, the pool is unchanged.
    out = query(constant_images([3]), tf.constant([[0.5, 0.9]]))
    assert out.numpy()[0, 0, 0, 0] == 3
    np.testing.assert_array_equal(pool.images.numpy()[:, 0, 0, 0], [1, 2])
    # Full, draw > 0.5: a stored image (slot from the second draw) comes back and is replaced.
    out = query(constant_images([4]), tf.constant([[0.7, 0.6]]))
    assert out.numpy()[0, 0, 0, 0] == 2
    np.testing.assert_array_equal(pool.images.numpy()[:, 0, 0, 0], [1, 4])
    # Within one batch, examples are handled in order (the second sees the first's swap).
    out = query(constant_images([5, 6]), tf.constant([[0.9, 0.99], [0.9, 0.99]]))
    np.testing.assert_array_equal(out.numpy()[:, 0, 0, 0], [4, 5])
    np.testing.assert_array_equal(pool.images.numpy()[:, 0, 0, 0], [1, 6])


def test_image_pool_partial_fill_within_a_batch_and_size_zero():
    pool = ImagePool(3, (2, 2, 1))
    out = pool.query(constant_images([1, 2, 3, 4]), tf.constant([[0.9, 0.0]] * 4))
    # Three stored on the way in; the fourth swaps with slot 0 (image 1).
    np.testing.assert_array_equal(out.numpy()[:, 0, 0, 0], [1, 2, 3, 1])
    np.testing.assert_array_equal(pool.images.numpy()[:, 0, 0, 0], [4, 2, 3])
    disabled = ImagePool(0, (2, 2, 1))
    images = constant_images([7])
    np.testing.assert_array_equal(disabled.query(images, tf.constant([[0.9, 0.0]])).numpy(), images.numpy())
    assert not disabled.weights


def test_image_pool_is_checkpointed(tmp_path):
    pool = ImagePool(2, (2, 2, 1))
    pool.query(constant_images([1, 2]), tf.constant([[0.9, 0.0]] * 2))
    path = tf.train.Checkpoint(pool=pool).save(str(tmp_path / "ckpt"))
    restored = ImagePool(2, (2, 2, 1))
    tf.train.Checkpoint(pool=restored).restore(path).assert_existing_objects_matched()
    np.testing.assert_array_equal(restored.images.numpy(), pool.images.numpy())
    assert int(restored.count.numpy()) == 2


def test_discriminator_sees_the_pool_answer_to_the_fakes_of_the_same_iteration():
    """As the official ``optimize_parameters``: D trains on the fakes of the G update's forward
    pass (made before that update), through the pool, not on fakes regenerated after it."""
    system = built_system(CycleGAN, TINY)
    assert system.checkpoint_state() == {"pool_a": system.pool_a, "pool_b": system.pool_b}
    batch = random_batch(SIZE)
    fake_b = system.generator_a2b(batch["image_a"]).numpy()
    fake_a = system.generator_b2a(batch["image_b"]).numpy()
    logs_of(system.train_step, batch, iteration=0)
    assert int(system.pool_a.count.numpy()) == 2 and int(system.pool_b.count.numpy()) == 2
    np.testing.assert_allclose(system.pool_a.images.numpy()[:2], fake_a, atol=1e-6)
    np.testing.assert_allclose(system.pool_b.images.numpy()[:2], fake_b, atol=1e-6)
    # The G update moved the generators: the next iteration's fakes are new ones.
    next_fake_b = system.generator_a2b(batch["image_a"]).numpy()
    assert np.abs(next_fake_b - fake_b).max() > 1e-3
    logs_of(system.train_step, batch, iteration=1)
    assert int(system.pool_b.count.numpy()) == 3
    np.testing.assert_allclose(system.pool_b.images.numpy()[2], next_fake_b[0], atol=1e-6)


# ---- objective -------------------------------------------------------------------------------
def mean_abs(a, b):
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))


def lsgan(logits, target):
    return float(np.mean((np.asarray(logits) - target) ** 2))


@pytest.mark.parametrize("lambda_identity", [0.5, 0.0])
def test_losses_are_the_papers_terms(lambda_identity):
    """D: 0.5 * LSGAN per discriminator, D_A judging real A against G_BA's fakes. G: LSGAN +
    cycle_weight * cycle + cycle_weight * lambda_identity * identity, the identity term
    asking G_BA to keep an A image (and dropped at lambda_identity 0)."""
    config = dataclasses.replace(TINY, cycle_weight=3.0, lambda_identity=lambda_identity, pool_size=0)
    system = built_system(CycleGAN, config)
    batch = random_batch(SIZE)
    a, b = batch["image_a"], batch["image_b"]
    g_ab, g_ba, d_a, d_b = system.generator_a2b, system.generator_b2a, system.disc_a, system.disc_b

    # One train step: the G update, then the D update; D's fakes are G's outputs before its
    # update and D is unchanged until then, so every term follows from the initial weights.
    expected = {
        "D/loss_a": 0.5 * (lsgan(d_a(a), 1.0) + lsgan(d_a(g_ba(b)), 0.0)),
        "D/loss_b": 0.5 * (lsgan(d_b(b), 1.0) + lsgan(d_b(g_ab(a)), 0.0)),
        "G/loss_adv": lsgan(d_b(g_ab(a)), 1.0) + lsgan(d_a(g_ba(b)), 1.0),
        "G/loss_cycle": mean_abs(g_ba(g_ab(a)), a) + mean_abs(g_ab(g_ba(b)), b),
    }
    expected["D/loss"] = expected["D/loss_a"] + expected["D/loss_b"]
    if lambda_identity:
        expected["G/loss_identity"] = mean_abs(g_ba(a), a) + mean_abs(g_ab(b), b)
    logs = logs_of(system.train_step, batch)
    assert set(logs) == set(expected) | {"G/loss"}
    for name, value in expected.items():
        np.testing.assert_allclose(logs[name], value, rtol=1e-5, err_msg=name)
    total = logs["G/loss_adv"] + 3.0 * logs["G/loss_cycle"] + 3.0 * lambda_identity * logs.get("G/loss_identity", 0.0)
    np.testing.assert_allclose(logs["G/loss"], total, rtol=1e-6)


def test_learning_rate_is_constant_for_half_the_run_then_linear_to_zero():
    assert_constant_for_half_then_linear_to_zero(CycleGAN(TINY), TINY.num_iters)


# ---- looking at results and shipping -----------------------------------------------------------
BOTH = [("A", INPUT), ("A2B", OUTPUT), ("A2B2A", VISUAL), ("B", INPUT), ("B2A", OUTPUT), ("B2A2B", VISUAL)]


@pytest.mark.parametrize("direction, layout", [("both", BOTH), ("a2b", BOTH[:3]), ("b2a", BOTH[3:])])
def test_test_columns_follow_the_direction(direction, layout):
    system = CycleGAN(dataclasses.replace(TINY, direction=direction))
    images = random_batch(SIZE, batch=3)["image_a"]
    columns = system.test_columns({"image": images})
    assert column_layout(columns) == layout
    columns = {column.name: np.asarray(column.images) for column in columns}
    generators = {"A": (system.generator_a2b, system.generator_b2a), "B": (system.generator_b2a, system.generator_a2b)}
    for source in [name for name, role in layout if role == INPUT]:
        forward, backward = generators[source]
        target = "B" if source == "A" else "A"
        np.testing.assert_array_equal(columns[source], images)
        np.testing.assert_allclose(columns[f"{source}2{target}"], forward(images), atol=1e-6)
        np.testing.assert_allclose(columns[f"{source}2{target}2{source}"], backward(forward(images)), atol=1e-6)


def test_sample_grid_shows_real_images_of_both_domains():
    system = CycleGAN(TINY)
    examples = random_batch(SIZE, batch=3)
    columns = system.sample_columns(system.sample_batch(examples, np.random.default_rng(0)))
    assert column_layout(columns) == BOTH
    np.testing.assert_array_equal(np.asarray(columns[0].images), examples["image_a"])
    np.testing.assert_array_equal(np.asarray(columns[3].images), examples["image_b"])


def test_each_endpoint_serves_its_generator():
    system = CycleGAN(TINY)
    bundle = system.serving_bundle()
    images = random_batch(SIZE, batch=3)["image_b"]
    served = {endpoint.name: endpoint.translate(images) for endpoint in bundle.endpoints}
    assert set(served) == {"a2b", "b2a"} and all(set(out) == {"translated"} for out in served.values())
    np.testing.assert_allclose(served["a2b"]["translated"], system.generator_a2b(images), atol=1e-6)
    np.testing.assert_allclose(served["b2a"]["translated"], system.generator_b2a(images), atol=1e-6)
    assert bundle.metadata["n_res"] == TINY.n_res and bundle.metadata["ch"] == TINY.ch
