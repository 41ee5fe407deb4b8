"""U-GAT-IT beyond the contract test (tests/contract): the full generator's official
parameter count, network shapes, the objective's terms, rho clipping, the lr schedule, the
columns per direction and the ``heatmap`` serving output. Tiny configurations except the
full generator."""

import dataclasses
import gc
import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.layers.adalin import AdaLIN, LayerInstanceNorm
from stargan_tf.models.base import INPUT, OUTPUT, VISUAL
from stargan_tf.models.config import fields
from stargan_tf.models.ugatit import SPEC
from stargan_tf.models.ugatit import networks as ugatit_networks
from stargan_tf.models.ugatit.config import UGATITConfig, discriminator_patch_size
from stargan_tf.models.ugatit.networks import ugatit_discriminator, ugatit_generator
from stargan_tf.models.ugatit.system import UGATIT
from stargan_tf.training.visualize import heatmap_to_rgb, normalise_heatmap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_unpaired import (assert_constant_for_half_then_linear_to_zero, built_system, column_layout,  # noqa: E402
                           logs_of, random_batch)

SIZE = 32
TINY = UGATITConfig(image_size=SIZE, ch=8, n_res=1, light=False, global_n_layers=5, local_n_layers=4,
                    num_iters=10, batch_size=2)

# The official hyper-parameters (research/ugatit_cyclegan.md Sec. 1.6: znxlwm/UGATIT-pytorch
# main.py flags --img_size 256, --batch_size 1, --iteration 1000000, --lr 0.0001,
# --weight_decay 0.0001, the four loss weights, --decay_flag True, --light False; Adam betas
# (0.5, 0.999) in the code). ch, n_res and the discriminator depths are pinned by the official
# parameter counts (the contract test and test_full_generator_parameter_count).
OFFICIAL = {"image_size": 256, "batch_size": 1, "num_iters": 1_000_000, "lr": 1e-4, "weight_decay": 1e-4,
            "adv_weight": 1.0, "cycle_weight": 10.0, "identity_weight": 10.0, "cam_weight": 1000.0,
            "decay": True, "light": False, "beta1": 0.5, "beta2": 0.999}


def test_defaults_are_the_official_hyper_parameters():
    defaults = {field.name: field.default for field in fields(SPEC.config)}
    assert {name: defaults[name] for name in OFFICIAL} == OFFICIAL


# ---- networks ------------------------------------------------------------------------------
def test_full_generator_parameter_count(monkeypatch):
    """278,959,808 (SPEC.md), 268,435,456 of them in the flatten -> FC layer; the contract
    test leaves the full model out (two of them take 2.2 GB)."""
    # Zero initial weights: the count is the same and drawing 268M random numbers takes ~10 s.
    monkeypatch.setattr(ugatit_networks, "torch_default", keras.initializers.Zeros)
    generator = ugatit_generator(image_size=256, ch=64, n_res=4, light=False)
    assert generator.count_params() == 278_959_808
    assert generator.get_layer("mlp_fc0").count_params() == 268_435_456
    del generator
    gc.collect()


def test_generator_shapes():
    image, cam_logit, heatmap = ugatit_generator(image_size=256, ch=2, n_res=1, light=True).outputs
    assert tuple(image.shape) == (None, 256, 256, 3)
    assert tuple(cam_logit.shape) == (None, 2)
    assert tuple(heatmap.shape) == (None, 64, 64, 1)


@pytest.mark.parametrize("image_size, n_layers, patch", [(256, 7, 6), (256, 5, 30), (96, 7, 1), (32, 5, 2),
                                                         (32, 4, 6)])
def test_discriminator_shapes(image_size, n_layers, patch):
    """6x6 (global, 7 layers) and 30x30 (local, 5 layers) patch logits at 256 px;
    ``discriminator_patch_size``, which the configuration check uses, agrees with the network
    down to the smallest size."""
    disc = ugatit_discriminator(image_size=image_size, ch=2, n_layers=n_layers)
    patch_logit, cam_logit, heatmap = disc.outputs
    assert tuple(patch_logit.shape) == (None, patch, patch, 1)
    assert tuple(cam_logit.shape) == (None, 2)
    assert tuple(heatmap.shape) == (None, patch + 1, patch + 1, 1)
    assert discriminator_patch_size(image_size, n_layers) == patch
    # Trainable weights are the PyTorch parameters; spectral norm's u and v vectors the only others.
    assert disc.non_trainable_weights
    assert all(w.path.rsplit("/", 1)[-1] in ("u", "v") for w in disc.non_trainable_weights)


# ---- objective -------------------------------------------------------------------------------
def bce(logits, target):
    logits = np.asarray(logits, np.float64)
    return np.mean(np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits))), axis=1)


def mean_abs(a, b):
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(b))))


def test_losses_are_the_papers_terms():
    """Every weight different, so a term with the wrong weight shows. The CAM loss asks each
    generator's classifier for 1 on its source domain and 0 on its target domain (the
    identity input); the weight decay is 0.5 * wd * sum of squares of the generators' weights."""
    config = dataclasses.replace(TINY, adv_weight=2.0, cycle_weight=3.0, identity_weight=5.0, cam_weight=7.0,
                                 weight_decay=1e-3)
    system = built_system(UGATIT, config)
    batch = random_batch(SIZE)
    a, b = batch["image_a"], batch["image_b"]

    # G's terms at the weights before the step: D's update comes first but leaves G alone.
    g_ab, g_ba = system.generator_a2b, system.generator_b2a
    fake_a2b, cam_a2b, _ = g_ab(a)
    fake_b2a, cam_b2a, _ = g_ba(b)
    identity_a, cam_a2a, _ = g_ba(a)
    identity_b, cam_b2b, _ = g_ab(b)
    squares = sum(float(np.sum(np.square(v.numpy()))) for v in system.unique_variables(g_ab, g_ba))
    expected = {
        "G/loss_cycle": mean_abs(g_ba(fake_a2b)[0], a) + mean_abs(g_ab(fake_b2a)[0], b),
        "G/loss_identity": mean_abs(identity_a, a) + mean_abs(identity_b, b),
        "G/loss_cam": float(np.mean(bce(cam_b2a, 1.0) + bce(cam_a2a, 0.0) + bce(cam_a2b, 1.0) + bce(cam_b2b, 0.0))),
        "G/weight_decay": 0.5 * 1e-3 * squares,
    }
    logs = logs_of(system.discriminator_and_generator_step, batch)
    np.testing.assert_allclose(logs["D/loss"], 2.0 * (logs["D/loss_adv"] + logs["D/loss_cam"]), rtol=1e-6)
    assert logs["D/weight_decay"] > 0
    for name, value in expected.items():
        np.testing.assert_allclose(logs[name], value, rtol=1e-5, err_msg=name)
    total = (2.0 * (logs["G/loss_adv"] + logs["G/loss_adv_cam"]) + 3.0 * logs["G/loss_cycle"]
             + 5.0 * logs["G/loss_identity"] + 7.0 * logs["G/loss_cam"])
    np.testing.assert_allclose(logs["G/loss"], total, rtol=1e-6)


def test_one_translation_serves_the_d_and_the_g_update():
    """The weights after the step equal those of the official order, which translates the
    real images again for G after D's update."""
    batch = random_batch(SIZE)

    def weights_after(shared):
        system = built_system(UGATIT, TINY)
        if shared:
            logs_of(system.discriminator_and_generator_step, batch)
        else:
            a, b = batch["image_a"], batch["image_b"]
            system._discriminator_update(batch, system.generator_a2b(a, training=True)[0],
                                         system.generator_b2a(b, training=True)[0])
            with tf.GradientTape() as tape:
                a2b, b2a = system.generator_a2b(a, training=True), system.generator_b2a(b, training=True)
            system._generator_update(batch, a2b, b2a, tape)
        return [w.numpy() for network in system.networks().values() for w in network.weights]

    for shared, official in zip(weights_after(True), weights_after(False)):
        np.testing.assert_allclose(shared, official, rtol=1e-5, atol=1e-6)


def rho_variables(system):
    return [layer.rho for generator in system.generators() for layer in generator.layers
            if isinstance(layer, (AdaLIN, LayerInstanceNorm))]


def test_rho_stays_in_unit_interval_with_a_huge_learning_rate():
    system = built_system(UGATIT, TINY)
    rhos = rho_variables(system)
    assert len(rhos) == 2 * (2 * TINY.n_res + 2)  # per generator: 2 AdaLIN per residual block, 2 LIN
    initial = np.concatenate([rho.numpy() for rho in rhos])
    system.optimizers["generator"].learning_rate.assign(100.0)
    for iteration in range(2):
        logs_of(system.discriminator_and_generator_step, random_batch(SIZE, seed=iteration), iteration)
    values = np.concatenate([rho.numpy() for rho in rhos])
    assert values.min() >= 0.0 and values.max() <= 1.0
    # The lr was large enough to throw rho past both ends.
    moved = values != initial
    assert np.any(moved & (values == 0.0)) and np.any(moved & (values == 1.0))


def test_learning_rate_is_constant_for_half_the_run_then_linear_to_zero():
    assert_constant_for_half_then_linear_to_zero(UGATIT(TINY), TINY.num_iters)
    constant = UGATIT(dataclasses.replace(TINY, decay=False))
    assert [constant.learning_rates(i)["generator"] for i in range(11)] == [TINY.lr] * 11


# ---- looking at results and shipping -----------------------------------------------------------
def direction_layout(source, target):
    name = f"{source}2{target}"
    return [(source, INPUT), (name, OUTPUT), (f"{name}_cam", VISUAL), (f"{name}_disc_global_cam", VISUAL),
            (f"{name}_disc_local_cam", VISUAL), (f"{name}2{source}", VISUAL)]


BOTH = direction_layout("A", "B") + direction_layout("B", "A")


@pytest.fixture(scope="module")
def system():
    """A tiny U-GAT-IT for the tests that only look at it (none trains it)."""
    return UGATIT(TINY)


def test_test_columns_are_the_translation_and_its_attention_maps(system):
    """Per direction: the input, the translation, the generator's CAM, the *target* domain's
    global and local discriminators' CAMs on the translation, and the reconstruction. The only
    input-role columns are the two inputs."""
    images = random_batch(SIZE, batch=3)["image_a"]
    columns = system.test_columns({"image": images})
    assert column_layout(columns) == BOTH
    got = {column.name: np.asarray(column.images) for column in columns}
    np.testing.assert_array_equal(got["A"], images)
    np.testing.assert_array_equal(got["B"], images)
    # Expectations from the same compiled calls (GANSystem.infer; the contract test compares
    # those with eager calls).
    fake, _, heatmap = system.infer(system.generator_a2b, images)
    np.testing.assert_allclose(got["A2B"], fake, atol=1e-6)
    np.testing.assert_allclose(got["A2B_cam"], heatmap_to_rgb(normalise_heatmap(heatmap, SIZE)), atol=1e-6)
    for kind, disc in (("global", system.disc_global_b), ("local", system.disc_local_b)):
        expected = heatmap_to_rgb(normalise_heatmap(system.infer(disc, fake)[2], SIZE))
        np.testing.assert_allclose(got[f"A2B_disc_{kind}_cam"], expected, atol=1e-6, err_msg=kind)
    np.testing.assert_allclose(got["A2B2A"], system.infer(system.generator_b2a, fake)[0], atol=1e-6)
    np.testing.assert_allclose(got["B2A"], system.infer(system.generator_b2a, images)[0], atol=1e-6)


@pytest.mark.parametrize("direction, layout", [("a2b", BOTH[:6]), ("b2a", BOTH[6:])])
def test_one_direction_gives_only_its_columns(direction, layout):
    one_way = UGATIT(dataclasses.replace(TINY, direction=direction))
    columns = one_way.test_columns({"image": random_batch(SIZE, batch=2)["image_a"]})
    assert column_layout(columns) == layout


def test_sample_grid_shows_real_images_of_both_domains(system):
    examples = random_batch(SIZE, batch=3)
    columns = system.sample_columns(system.sample_batch(examples, np.random.default_rng(0)))
    assert column_layout(columns) == BOTH
    np.testing.assert_array_equal(np.asarray(columns[0].images), examples["image_a"])
    np.testing.assert_array_equal(np.asarray(columns[6].images), examples["image_b"])


def test_serving_outputs_the_translation_and_a_min_max_heatmap(system):
    """``heatmap`` is the generator's CAM map, min-max scaled per image and resized to the
    image size (``normalise_heatmap``, tested in tests/layers/test_visualize.py)."""
    bundle = system.serving_bundle()
    images = random_batch(SIZE, batch=3, seed=1)["image_a"]
    for endpoint, generator in zip(bundle.endpoints, system.generators()):
        assert [output.name for output in endpoint.outputs] == ["translated", "heatmap"]
        served = endpoint.translate(images)
        translated, _, heatmap = generator(images)
        np.testing.assert_allclose(served["translated"], translated, atol=1e-6)
        served_heatmap = served["heatmap"].numpy()
        assert served_heatmap.shape == (3, SIZE, SIZE, 1), endpoint.name
        assert served_heatmap.min() >= 0.0 and served_heatmap.max() <= 1.0
        np.testing.assert_allclose(served_heatmap, normalise_heatmap(heatmap, SIZE), atol=1e-6)
    assert [endpoint.name for endpoint in bundle.endpoints] == ["a2b", "b2a"]
