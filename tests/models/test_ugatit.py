"""U-GAT-IT: official parameter counts, output shapes, train steps, rho clipping, sampling,
serving (tiny configs except the parameter counts)."""

import functools
import gc
import os
import sys

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.layers.adalin import AdaLIN, LayerInstanceNorm
from stargan_tf.models.ugatit import (UGATIT, NearestUpsampling2D, UGATITConfig, render_heatmap,
                                      ugatit_discriminator, ugatit_generator)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tiny_unpaired  # noqa: E402


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_nearest_upsampling_matches_numpy_and_its_gradient_compiles_with_xla():
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 4)).astype(np.float32)
    layer = NearestUpsampling2D()
    np.testing.assert_array_equal(layer(x).numpy(), x.repeat(2, axis=1).repeat(2, axis=2))

    @tf.function(jit_compile=True)
    def gradient(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_sum(layer(inputs) ** 2)
        return tape.gradient(loss, inputs)

    # d/dx sum(up(x)^2) = 2 x for each of the 4 copies of x.
    np.testing.assert_allclose(gradient(tf.constant(x)).numpy(), 8.0 * x, rtol=1e-6)


# ---- official parameter counts (SPEC.md, PyTorch) --------------------------------------------
def test_light_generator_parameter_count_and_shapes():
    generator = ugatit_generator(image_size=256, ngf=64, n_res=4, light=True)
    assert generator.count_params() == 10_589_888
    image, cam_logit, heatmap = generator.outputs
    assert tuple(image.shape) == (None, 256, 256, 3)
    assert tuple(cam_logit.shape) == (None, 2)
    assert tuple(heatmap.shape) == (None, 64, 64, 1)


def test_full_generator_parameter_count():
    # Builds the 268M-weight flatten->FC layer once (~1.1 GB).
    generator = ugatit_generator(image_size=256, ngf=64, n_res=4, light=False)
    assert generator.count_params() == 278_959_808
    assert generator.get_layer("mlp_fc0").count_params() == 268_435_456
    del generator
    gc.collect()


@pytest.mark.parametrize("n_layers, count, patch, heat", [(7, 53_130_176, 6, 7), (5, 3_290_560, 30, 31)])
def test_discriminator_parameter_counts_and_shapes(n_layers, count, patch, heat):
    disc = ugatit_discriminator(image_size=256, ndf=64, n_layers=n_layers)
    # Trainable weights equal the PyTorch parameters; SpectralNormalization's u vectors are
    # the only non-trainable ones.
    assert trainable_count(disc) == count
    assert all("vector_u" in w.path for w in disc.non_trainable_weights)
    patch_logit, cam_logit, heatmap = disc.outputs
    assert tuple(patch_logit.shape) == (None, patch, patch, 1)
    assert tuple(cam_logit.shape) == (None, 2)
    assert tuple(heatmap.shape) == (None, heat, heat, 1)


# ---- tiny system -------------------------------------------------------------------------------
SIZE = 32
TINY = UGATITConfig(image_size=SIZE, ngf=8, ndf=8, n_res=1, light=False, global_n_layers=5,
                    local_n_layers=4, num_iters=10)


random_batch = functools.partial(tiny_unpaired.random_batch, SIZE)


@pytest.fixture(scope="module")
def system():
    return tiny_unpaired.built_system(UGATIT, TINY)


@pytest.fixture(scope="module")
def steps(system):
    """The replica step functions, compiled once (tracing dominates these tests' time)."""
    return tf.function(system.discriminator_step), tf.function(system.generator_step)


def test_tiny_network_shapes(system):
    batch = random_batch()
    image, cam_logit, heatmap = system.generator_a2b(batch["image_a"])
    assert image.shape == (2, SIZE, SIZE, 3) and cam_logit.shape == (2, 2)
    assert heatmap.shape == (2, SIZE // 4, SIZE // 4, 1)
    assert np.abs(image.numpy()).max() <= 1.0
    patch, cam_logit, heatmap = system.disc_global_a(batch["image_a"])
    assert patch.shape == (2, 2, 2, 1) and heatmap.shape == (2, 3, 3, 1)
    patch, cam_logit, heatmap = system.disc_local_a(batch["image_a"])
    assert patch.shape == (2, 6, 6, 1) and heatmap.shape == (2, 7, 7, 1)
    light = ugatit_generator(image_size=SIZE, ngf=8, n_res=1, light=True)
    assert light(batch["image_a"])[0].shape == (2, SIZE, SIZE, 3)


def test_contract(system):
    assert set(system.networks()) == {"generator_a2b", "generator_b2a", "disc_global_a",
                                      "disc_global_b", "disc_local_a", "disc_local_b"}
    assert system.steps_for(0) == ("discriminator_step", "generator_step")
    assert set(system.optimizers) == {"generator", "discriminator"}
    assert system.optimizers["generator"].built and system.optimizers["discriminator"].built
    # Constant for the first half of num_iters, then linear to 0.
    rates = [system.learning_rates(i)["generator"] for i in range(11)]
    assert rates[:6] == [1e-4] * 6 and rates[10] == 0.0
    assert np.all(np.diff(rates[5:]) < 0)
    assert system.learning_rates(7)["discriminator"] == rates[7]


def test_defaults_are_the_official_ones():
    c = UGATITConfig()
    assert (c.image_size, c.ngf, c.n_res, c.light, c.adv_weight, c.cycle_weight,
            c.identity_weight, c.cam_weight, c.lr, c.weight_decay, c.num_iters) == (
        256, 64, 4, False, 1, 10, 10, 1000, 1e-4, 1e-4, 1_000_000)
    assert (c.beta_1, c.beta_2, c.global_n_layers, c.local_n_layers) == (0.5, 0.999, 7, 5)


def test_train_steps_are_finite_and_train(system, steps):
    batch = random_batch()
    d_step, g_step = steps
    g_before = [w.numpy().copy() for w in system.generator_a2b.trainable_weights]
    d_before = [w.numpy().copy() for w in system.disc_local_b.trainable_weights]
    # With the other side fixed and the same batch, each update lowers its own objective.
    d_history = [{k: float(v) for k, v in d_step(batch, tf.constant(i, tf.int64)).items()} for i in range(3)]
    g_history = [{k: float(v) for k, v in g_step(batch, tf.constant(i, tf.int64)).items()} for i in range(3)]
    for logs in d_history + g_history:
        assert all(np.isfinite(v) for v in logs.values()), logs
    assert {"d_adv", "d_cam", "d_loss"} <= set(d_history[0])
    assert {"g_adv", "g_adv_cam", "g_cycle", "g_identity", "g_cam", "g_loss"} <= set(g_history[0])
    assert d_history[-1]["d_loss"] < d_history[0]["d_loss"]
    assert g_history[-1]["g_loss"] < g_history[0]["g_loss"]
    assert any(np.abs(a - w.numpy()).max() > 0 for a, w in
               zip(g_before, system.generator_a2b.trainable_weights))
    assert any(np.abs(a - w.numpy()).max() > 0 for a, w in
               zip(d_before, system.disc_local_b.trainable_weights))
    assert d_history[0]["d_weight_decay"] > 0 and g_history[0]["g_weight_decay"] > 0


def test_rho_stays_in_unit_interval_with_a_huge_learning_rate(system, steps):
    optimizer = system.optimizers["generator"]
    optimizer.learning_rate.assign(100.0)
    try:
        _, g_step = steps
        for iteration in range(2):
            g_step(random_batch(seed=iteration), tf.constant(iteration, tf.int64))
    finally:
        optimizer.learning_rate.assign(TINY.lr)
    rhos = [layer.rho.numpy() for g in (system.generator_a2b, system.generator_b2a)
            for layer in g.layers if isinstance(layer, (AdaLIN, LayerInstanceNorm))]
    assert len(rhos) == 2 * (2 * TINY.n_res + 2)
    values = np.concatenate(rhos)
    assert values.min() >= 0.0 and values.max() <= 1.0
    assert np.any((values == 0.0) | (values == 1.0)), "the lr was not large enough to test clipping"


def test_translation_columns(system):
    batch = random_batch(batch=3)
    columns = system.translation_columns(batch)
    names = [name for name, _ in columns]
    assert names == ["A", "A2B", "A2B_cam", "A2B_disc_global_cam", "A2B_disc_local_cam", "A2B2A",
                     "B", "B2A", "B2A_cam", "B2A_disc_global_cam", "B2A_disc_local_cam", "B2A2B"]
    for name, images in columns:
        images = np.asarray(images)
        assert images.shape == (3, SIZE, SIZE, 3), name
        assert images.min() >= -1.0 - 1e-6 and images.max() <= 1.0 + 1e-6, name
    only_b = system.translation_columns({"image_b": batch["image_b"]})
    assert [name for name, _ in only_b] == names[6:]


def test_render_heatmap_is_a_jet_image_in_range():
    heatmap = tf.reshape(tf.range(16, dtype=tf.float32), (1, 4, 4, 1))
    image = render_heatmap(heatmap, 8).numpy()
    assert image.shape == (1, 8, 8, 3)
    assert image.min() >= -1.0 and image.max() <= 1.0
    # Coldest pixel is blue-ish, hottest red-ish (jet).
    assert image[0, 0, 0, 2] > image[0, 0, 0, 0] and image[0, -1, -1, 0] > image[0, -1, -1, 2]


def test_serving_bundle_endpoints_trace_with_dynamic_batch(system):
    bundle = system.serving_bundle()
    assert bundle.model_name == "ugatit" and bundle.image_size == (SIZE, SIZE)
    assert [e.name for e in bundle.endpoints] == ["a2b", "b2a"]
    assert all(not e.conditions for e in bundle.endpoints)
    assert set(bundle.trackables) == {"generator_a2b", "generator_b2a"}
    images = random_batch(batch=3)["image_a"]
    for endpoint, generator in zip(bundle.endpoints, (system.generator_a2b, system.generator_b2a)):
        fn = tf.function(endpoint.translate,
                         input_signature=[tf.TensorSpec([None, SIZE, SIZE, 3], tf.float32)])
        concrete = fn.get_concrete_function()
        out = concrete(images)
        assert out.shape == (3, SIZE, SIZE, 3) and out.dtype == tf.float32
        np.testing.assert_allclose(out.numpy(), generator(images)[0].numpy(), atol=1e-5)
