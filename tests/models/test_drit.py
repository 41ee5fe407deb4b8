"""DRIT: official parameter totals, the codes (content noise and the attribute encoder's
reparameterisation only in training), the update schedule and which optimizer steps when,
the loss terms against their formulas, attribute codes that change the output, and the
columns of samples and test mode. Tiny configurations, each test with its own system; the
contract tests (tests/contract) cover build, steps, checkpoints and serving."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.models.base import INPUT, OUTPUT
from stargan_tf.models.config import ConfigError
from stargan_tf.models.drit import networks
from stargan_tf.models.drit.config import DRITConfig, content_logits_side
from stargan_tf.models.drit.system import DRIT

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_unpaired import built_system, logs_of  # noqa: E402

SIZE = 32
TINY = dict(image_size=SIZE, ch=4, content_dis_layers=0, dis_scale=2, batch_size=4, num_iters=12)


def tiny_system(**overrides):
    return built_system(DRIT, DRITConfig(**{**TINY, **overrides}))


def pair_batch(pairs=2, seed=0):
    rng = np.random.default_rng(seed)
    return {key: tf.constant(rng.uniform(-1, 1, (pairs, SIZE, SIZE, 3)).astype(np.float32))
            for key in ("image_a", "image_b", "image_a_random", "image_b_random")}


def count(*models):
    seen = {}
    for model in models:
        for variable in model.trainable_variables:
            seen[id(variable)] = int(np.prod(variable.shape))
    return sum(seen.values())


@pytest.mark.parametrize("concat, total", [(1, 65_039_315), (0, 75_462_691)])
def test_totals_equal_the_official_figures(concat, total):
    """All networks at the official defaults: 65,039,315 (--concat=1) and 75,462,691
    (--concat=0); the content encoders 9,018,112 (research notes 1.5)."""
    content = [networks.content_encoder(name=f"content_{d}") for d in "ab"] + [networks.shared_residual(256, "s")]
    assert count(*content) == 9_018_112
    if concat:
        coding = [networks.attribute_encoder_concat(name=f"attr_{d}") for d in "ab"]
        coding += [networks.shared_residual(256, "g"), *(networks.generator_concat(name=f"gen_{d}") for d in "ab")]
    else:
        coding = [networks.attribute_encoder(name=f"attr_{d}") for d in "ab"]
        coding += [networks.generator_feature_wise(name=f"gen_{d}") for d in "ab"]
    discriminators = [networks.multiscale_discriminator(name=f"d{i}") for i in range(4)]
    assert count(*content, *coding, *discriminators, networks.content_discriminator()) == total


def test_content_discriminator_sees_one_logit_per_image_at_the_official_crop():
    assert content_logits_side(216) == 1 and content_logits_side(256) == 2
    assert networks.content_discriminator()(tf.zeros((2, 54, 54, 256))).shape == (2, 1)
    logits = networks.multiscale_discriminator()(tf.zeros((1, 216, 216, 3)))
    assert [logit.shape[1] for logit in logits] == [13, 6, 3]


@pytest.mark.parametrize("flags, fragment", [
    ({"batch_size": 3}, "must be even"),
    ({"image_size": 64, "content_dis_layers": 3}, "content discriminator"),
    ({"image_size": 32, "dis_scale": 1}, "--dis_scale=1"),
    ({"concat": 2}, "--concat=2"),
])
def test_configurations_the_networks_cannot_use_are_rejected(flags, fragment):
    with pytest.raises(ConfigError, match=fragment):
        DRITConfig(**{**TINY, **flags})


def test_content_noise_and_attribute_sampling_only_in_training():
    """z^c = E^c(x) + n and z^a = mean + eps * exp(logvar / 2) with the stateless per-example
    draws; outside training z^c = E^c(x) and z^a = mean (the official GaussianNoiseLayer and
    reparameterisation in eval mode)."""
    system = tiny_system()
    image = pair_batch()["image_a"]
    iteration = tf.constant(7, tf.int64)
    plain = system.content_code("a", image).numpy()
    noisy = system.content_code("a", image, True, iteration, "a").numpy()
    noise = system.per_example_normal(2, iteration, 11, plain.shape[1:]).numpy()
    np.testing.assert_allclose(noisy - plain, noise, atol=1e-5)
    assert abs(noise.std() - 1.0) < 0.05
    mean, log_variance = (t.numpy() for t in system.attribute_encoder_a(image))
    code, code_mean, _ = system.attribute_code("a", image, True, iteration, "a")
    eps = system.per_example_normal(2, iteration, 21, (8,)).numpy()
    np.testing.assert_allclose(code.numpy(), mean + eps * np.exp(0.5 * log_variance), atol=1e-6)
    np.testing.assert_allclose(code_mean.numpy(), mean, atol=1e-6)
    np.testing.assert_allclose(system.attribute_code("a", image)[0].numpy(), mean, atol=1e-6)


def test_schedule_content_discriminator_alone_then_everything():
    system = tiny_system(d_iter=3)
    assert [system.steps_for(i) for i in range(6)] == [("content_discriminator_step",)] * 2 + [("full_step",)] \
        + [("content_discriminator_step",)] * 2 + [("full_step",)]
    rates = [system.learning_rates(i) for i in range(13)]
    assert rates[0] == {"content_generators": 1e-4, "attribute_encoders": 1e-4, "discriminators": 1e-4,
                        "content_discriminator": 4e-5}
    assert rates[6] == rates[0] and rates[12]["content_generators"] == 0.0
    np.testing.assert_allclose(rates[9]["content_discriminator"], 2e-5)


def test_which_optimizer_steps_when():
    """A content step moves D^c only; a full step every discriminator once, E^a once (set 1)
    and E^c with G twice (set 1, then set 2)."""
    system = tiny_system()
    batch = pair_batch()

    def iterations():
        return {name: int(optimizer.iterations.numpy()) for name, optimizer in system.optimizers.items()}

    disc_a = system.disc_a.get_weights()
    logs = logs_of(system.content_discriminator_step, batch)
    assert set(logs) == {"D/loss_content"}
    assert iterations() == {"content_generators": 0, "attribute_encoders": 0, "discriminators": 0,
                            "content_discriminator": 1}
    assert all(np.array_equal(a, b) for a, b in zip(disc_a, system.disc_a.get_weights()))
    logs_of(system.full_step, batch, 2)
    assert iterations() == {"content_generators": 2, "attribute_encoders": 1, "discriminators": 1,
                            "content_discriminator": 2}


def test_losses_are_the_official_terms():
    """The logged terms of a full step against their formulas on the same draws, before the
    step changes the weights: KL of the attribute code, L2 of the content code,
    self-reconstruction and latent regression (on the encoder's mean)."""
    system = tiny_system()
    batch = pair_batch()
    iteration = tf.constant(2, tf.int64)
    expected = {"kl_attribute": 0.0, "kl_content": 0.0, "self_recon": 0.0}
    for d in "ab":
        image = batch[f"image_{d}"]
        content = system.content_code(d, image, True, iteration, d)
        code, mean, log_variance = system.attribute_code(d, image, True, iteration, d)
        mean, log_variance = mean.numpy(), log_variance.numpy()
        expected["kl_attribute"] += np.mean(-0.5 * np.sum(1 + log_variance - mean ** 2 - np.exp(log_variance), axis=1))
        expected["kl_content"] += np.mean(content.numpy() ** 2)
        own = system.generate(d, content, code, training=True).numpy()
        expected["self_recon"] += np.mean(np.abs(own - image.numpy()))
    logs = logs_of(system.full_step, batch, 2)
    for name, value in expected.items():
        np.testing.assert_allclose(logs[f"G/loss_{name}"], value, rtol=1e-4, atol=1e-6, err_msg=name)
    assert logs["G/loss_latent"] > 0 and "G/loss_mode_seeking" not in logs


def test_mode_seeking_adds_its_term_and_the_second_random_fakes():
    system = tiny_system(mode_seeking=True, concat=0)
    logs = logs_of(system.full_step, pair_batch(), 2)
    assert np.isfinite(logs["G/loss_mode_seeking"]) and logs["G/loss_mode_seeking"] > 0
    # D_A2 sees the real image twice and both random fakes: twice the one-fake loss at chance.
    np.testing.assert_allclose(logs["D/loss_a2"], 4 * np.log(2.0) * 2, rtol=0.05)


@pytest.mark.parametrize("concat", [1, 0])
def test_attribute_codes_change_the_output_and_the_same_code_repeats_it(concat):
    system = tiny_system(concat=concat)
    image = pair_batch()["image_a"]
    rng = np.random.default_rng(0)
    first, second = (tf.constant(rng.standard_normal((2, 8)).astype(np.float32)) for _ in range(2))
    out_first = system.translate("a", "b", image, first).numpy()
    assert np.array_equal(out_first, system.translate("a", "b", image, first).numpy())
    # At initialisation the code moves the output by ~5e-5 (feature-wise) to ~1e-2 (concat);
    # a generator that ignored it would give the same bits.
    assert np.abs(out_first - system.translate("a", "b", image, second).numpy()).max() > 1e-6


def test_test_columns_random_codes_and_one_output_per_reference():
    system = tiny_system(num_samples=3, direction="a2b")
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    references = rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    columns = system.test_columns({"image": images, "reference": references})
    assert [(c.name, c.role) for c in columns] == [
        ("A", INPUT), ("a2b_random1", OUTPUT), ("a2b_random2", OUTPUT), ("a2b_random3", OUTPUT),
        ("a2b_reference1", INPUT), ("a2b_from_reference1", OUTPUT),
        ("a2b_reference2", INPUT), ("a2b_from_reference2", OUTPUT)]
    again = system.test_columns({"image": images, "reference": references})
    for a, b in zip(columns, again):
        np.testing.assert_array_equal(a.images, b.images)
    # Each reference output is the translation with that reference's attribute mean.
    mean = system.attribute_encoder_b(references[1:2])[0]
    expected = system.translate("a", "b", tf.constant(images), tf.tile(mean, [2, 1])).numpy()
    np.testing.assert_allclose(columns[7].images, expected, atol=1e-5)
