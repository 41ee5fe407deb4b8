"""CycleGAN: official parameter counts, PyTorch-aligned layers, image pool, train steps,
sampling, serving (tiny configs except the parameter counts)."""

import functools
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.models.cyclegan import (CycleGAN, CycleGANConfig, cyclegan_generator,
                                        patchgan_discriminator)
from stargan_tf.training.image_pool import ImagePool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_unpaired  # noqa: E402


# ---- official parameter counts (SPEC.md, PyTorch) --------------------------------------------
@pytest.mark.parametrize("n_blocks, count", [(9, 11_378_179), (6, 7_837_699)])
def test_generator_parameter_counts(n_blocks, count):
    generator = cyclegan_generator(image_size=256, ngf=64, n_blocks=n_blocks)
    assert generator.count_params() == count
    assert tuple(generator.output.shape) == (None, 256, 256, 3)


def test_patchgan_parameter_count_and_shape():
    disc = patchgan_discriminator(image_size=256, ndf=64, n_layers=3)
    assert disc.count_params() == 2_764_737
    assert tuple(disc.output.shape) == (None, 30, 30, 1)


def test_transposed_convolution_is_aligned_like_pytorch():
    """ConvTranspose2d(k3, s2, padding=1, output_padding=1) of one impulse: PyTorch places
    the kernel's centre tap at output (2i, 2j); Keras' padding="same" would shift it."""
    generator = cyclegan_generator(image_size=8, ngf=1, n_blocks=0, channels=1)
    deconv = generator.get_layer("u2")
    crop = generator.layers[generator.layers.index(deconv) + 1]
    kernel = np.zeros((3, 3, 2, 4), np.float32)
    kernel[1, 1, 0, 0] = 1.0  # centre tap, output channel 0 <- input channel 0
    deconv.set_weights([kernel, np.zeros(2, np.float32)])
    x = np.zeros((1, 3, 3, 4), np.float32)
    x[0, 1, 2, 0] = 1.0
    out = crop(deconv(x)).numpy()[0, :, :, 0]
    assert out.shape == (6, 6)
    expected = np.zeros((6, 6), np.float32)
    expected[2, 4] = 1.0
    np.testing.assert_array_equal(out, expected)


# ---- image pool --------------------------------------------------------------------------------
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


# ---- tiny system -------------------------------------------------------------------------------
SIZE = 32
TINY = CycleGANConfig(image_size=SIZE, ngf=8, ndf=8, n_blocks=1, pool_size=3, num_iters=10)


random_batch = functools.partial(tiny_unpaired.random_batch, SIZE)


@pytest.fixture(scope="module")
def system():
    return tiny_unpaired.built_system(CycleGAN, TINY)


def test_defaults_are_the_official_ones():
    c = CycleGANConfig()
    assert (c.image_size, c.ngf, c.ndf, c.n_blocks, c.lr, c.beta_1, c.beta_2, c.pool_size,
            c.lambda_cycle, c.lambda_identity) == (256, 64, 64, 9, 2e-4, 0.5, 0.999, 50, 10, 0.5)


def test_contract(system):
    assert set(system.networks()) == {"generator_a2b", "generator_b2a", "disc_a", "disc_b"}
    assert set(system.extra_checkpoint_state()) == {"pool_a", "pool_b"}
    assert system.steps_for(0) == ("generator_step", "discriminator_step")
    assert system.optimizers["generator"].built and system.optimizers["discriminator"].built
    rates = [system.learning_rates(i)["generator"] for i in range(11)]
    assert rates[:6] == [2e-4] * 6 and rates[10] == 0.0 and np.all(np.diff(rates[5:]) < 0)


def test_train_steps_are_finite_train_and_fill_the_pools(system):
    batch = random_batch()
    g_step = tf.function(system.generator_step)
    d_step = tf.function(system.discriminator_step)
    before = [w.numpy().copy() for w in system.disc_a.trainable_weights]
    history = []
    for iteration in range(3):
        logs = dict(g_step(batch, tf.constant(iteration, tf.int64)))
        logs.update(d_step(batch, tf.constant(iteration, tf.int64)))
        logs = {k: float(v) for k, v in logs.items()}
        assert all(np.isfinite(v) for v in logs.values()), logs
        history.append(logs)
    assert {"g_adv", "g_cycle", "g_identity", "g_loss", "d_a", "d_b", "d_loss"} <= set(history[0])
    np.testing.assert_allclose(
        history[0]["g_loss"],
        history[0]["g_adv"] + 10 * history[0]["g_cycle"] + 5 * history[0]["g_identity"], rtol=1e-5)
    assert history[-1]["g_loss"] < history[0]["g_loss"]
    assert history[-1]["d_loss"] < history[0]["d_loss"]
    assert any(np.abs(a - w.numpy()).max() > 0 for a, w in zip(before, system.disc_a.trainable_weights))
    # 3 iterations x 2 fakes: both pools are full (size 3).
    assert int(system.pool_a.count.numpy()) == 3 and int(system.pool_b.count.numpy()) == 3
    assert np.abs(system.pool_b.images.numpy()).max() > 0


def test_translation_columns(system):
    batch = random_batch(batch=3)
    columns = system.translation_columns(batch)
    assert [name for name, _ in columns] == ["A", "A2B", "A2B2A", "B", "B2A", "B2A2B"]
    for name, images in columns:
        assert np.asarray(images).shape == (3, SIZE, SIZE, 3), name
    assert [n for n, _ in system.translation_columns({"image_a": batch["image_a"]})] == ["A", "A2B", "A2B2A"]


def test_serving_bundle_endpoints_trace_with_dynamic_batch(system):
    bundle = system.serving_bundle()
    assert bundle.model_name == "cyclegan" and bundle.image_size == (SIZE, SIZE)
    assert [e.name for e in bundle.endpoints] == ["a2b", "b2a"]
    images = random_batch(batch=3)["image_b"]
    for endpoint, generator in zip(bundle.endpoints, (system.generator_a2b, system.generator_b2a)):
        fn = tf.function(endpoint.translate,
                         input_signature=[tf.TensorSpec([None, SIZE, SIZE, 3], tf.float32)])
        out = fn.get_concrete_function()(images)
        assert out.shape == (3, SIZE, SIZE, 3) and out.dtype == tf.float32
        np.testing.assert_allclose(out.numpy(), generator(images).numpy(), atol=1e-5)
