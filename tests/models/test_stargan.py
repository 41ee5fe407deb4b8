"""StarGAN beyond the contract test (tests/contract): the RaFD and joint-training parameter
counts, the networks' shapes, the mask vector, the lr schedule and n_critic, the columns, the
serving condition, ``--target_attrs`` checks, restoring for test/export, and D learning the
domains on the built-in data."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.export.spec import BINARY, ONE_HOT, SCORES
from stargan_tf.models.base import INPUT, OUTPUT
from stargan_tf.models.config import ConfigError, fields
from stargan_tf.models.stargan import SPEC
from stargan_tf.models.stargan.config import StarGANConfig
from stargan_tf.models.stargan.networks import stargan_discriminator, stargan_generator
from stargan_tf.models.stargan.system import DatasetLabels, StarGAN
from stargan_tf.pipelines import DEFAULT_EXCLUSIVE_GROUPS, LabelSpace, celeba_dataset, write_shapes_dataset
from stargan_tf.training.checkpoints import RunCheckpoint, restore_networks
from stargan_tf.training.loop import LoopConfig, Trainer

CELEBA = DatasetLabels("celeba", LabelSpace.from_flags(("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"),
                                                      DEFAULT_EXCLUSIVE_GROUPS))
RAFD = DatasetLabels("rafd", LabelSpace(tuple(f"class{i}" for i in range(8)), single_label=True))
TINY = StarGANConfig(image_size=32, g_conv_dim=8, d_conv_dim=8, g_repeat_num=1, d_repeat_num=4, batch_size=2)

# The official hyper-parameters (research/stargan.md Sec. 1.9: yunjey/stargan main.py flags).
# image_size and the architecture flags are pinned by the official parameter counts (contract
# test: CelebA at the defaults).
OFFICIAL = {"batch_size": 16, "num_iters": 200_000, "num_iters_decay": 100_000, "lr_update_step": 1000,
            "g_lr": 1e-4, "d_lr": 1e-4, "beta1": 0.5, "beta2": 0.999, "n_critic": 5, "lambda_cls": 1.0,
            "lambda_rec": 10.0, "lambda_gp": 10.0}


def test_defaults_are_the_official_hyper_parameters():
    defaults = {field.name: field.default for field in fields(SPEC.config)}
    assert {name: defaults[name] for name in OFFICIAL} == OFFICIAL


def tiny(datasets=(CELEBA,), **flags):
    return StarGAN(dataclasses.replace(TINY, **flags), list(datasets))


# ---- networks ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "datasets, g_params, d_params",
    [([RAFD], 8_439_936, 44_786_624), ([CELEBA, RAFD], 8_461_888, 44_827_584)],
    ids=["rafd", "both"],
)
def test_parameter_counts_equal_official(datasets, g_params, d_params):
    """SPEC.md: RaFD (c_dim 8) and Both (G labels 5 + 8 + mask 2, D classes 13) at 128 px."""
    model = StarGAN(StarGANConfig(), datasets)
    assert model.generator.count_params() == g_params
    assert model.discriminator.count_params() == d_params


def test_generator_is_fully_convolutional_and_conditioned_on_the_label():
    generator = stargan_generator(conv_dim=8, c_dim=5, repeat_num=1)
    image = tf.random.stateless_uniform((2, 32, 48, 3), seed=(0, 1), minval=-1.0, maxval=1.0)
    out = generator((image, tf.ones((2, 5))))
    assert out.shape == (2, 32, 48, 3) and out.dtype == tf.float32
    assert np.all(np.abs(out.numpy()) <= 1.0)
    assert np.abs(generator((image, tf.zeros((2, 5)))).numpy() - out.numpy()).max() > 1e-4


def test_discriminator_shapes_and_its_one_image_size():
    discriminator = stargan_discriminator(image_size=32, conv_dim=8, c_dim=5, repeat_num=4)
    src, cls = discriminator(tf.zeros((2, 32, 32, 3)))
    assert src.shape == (2, 2, 2, 1) and cls.shape == (2, 5)
    # The classification kernel covers the whole 2x2 map: D takes no other image size.
    with pytest.raises(ValueError):
        discriminator(tf.zeros((1, 64, 64, 3)))


# ---- labels --------------------------------------------------------------------------------
def test_joint_training_labels_carry_the_mask_vector():
    model = tiny([DatasetLabels("celeba", LabelSpace(("a", "b"))),
                  DatasetLabels("rafd", LabelSpace(("x", "y", "z"), single_label=True))])
    assert (model.cls_dim, model.label_dim) == (5, 7)
    celeba = model.generator_labels(tf.constant([[1.0, 0.0]]), 0).numpy()
    rafd = model.generator_labels(tf.constant([[0.0, 0.0, 1.0]]), 1).numpy()
    np.testing.assert_array_equal(celeba, [[1, 0, 0, 0, 0, 1, 0]])
    np.testing.assert_array_equal(rafd, [[0, 0, 0, 0, 1, 0, 1]])
    # Sample targets for CelebA images: every CelebA attribute flipped, then every RaFD class.
    targets = {name: labels for name, labels, _ in model.targets(np.array([[1.0, 0.0]], np.float32))}
    assert list(targets) == ["a (flipped)", "b (flipped)", "x", "y", "z"]
    np.testing.assert_array_equal(targets["b (flipped)"], [[1, 1, 0, 0, 0, 1, 0]])
    np.testing.assert_array_equal(targets["y"], [[0, 0, 0, 1, 0, 0, 1]])
    assert model.progress_logs == ("celeba/D/loss", "celeba/G/loss", "rafd/D/loss", "rafd/G/loss")


def test_joint_training_classification_covers_only_the_batch_datasets_labels():
    """D's 13 class logits: CelebA batches are scored with BCE on the first 5, RaFD batches
    with softmax CE on the last 8 (d_lr 0 keeps D fixed across the two updates)."""
    model = tiny([CELEBA, RAFD], d_lr=0.0)
    model.make_optimizers()
    rng = np.random.default_rng(0)

    def batch(labels):
        images = rng.uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
        return {"image": tf.constant(images), "label": tf.constant(labels), "target": tf.constant(labels[::-1])}

    celeba = batch(np.array([[1, 0, 0, 1, 1], [0, 1, 0, 0, 1]], np.float32))
    rafd = batch(np.eye(8, dtype=np.float32)[[2, 5]])
    cls_celeba = model.discriminator(celeba["image"])[1].numpy()[:, :5]
    cls_rafd = model.discriminator(rafd["image"])[1].numpy()[:, 5:]
    assert model.discriminator(rafd["image"])[1].shape == (2, 13)
    labels = celeba["label"].numpy()
    expected_celeba = np.mean(np.sum(np.maximum(cls_celeba, 0) - cls_celeba * labels
                                     + np.log1p(np.exp(-np.abs(cls_celeba))), axis=1))
    log_softmax = cls_rafd - np.log(np.sum(np.exp(cls_rafd), axis=1, keepdims=True))
    expected_rafd = np.mean(-np.sum(rafd["label"].numpy() * log_softmax, axis=1))
    logs = model.discriminator_step({"celeba": celeba, "rafd": rafd}, tf.constant(0, tf.int64))
    np.testing.assert_allclose(float(logs["celeba/D/loss_cls"]), expected_celeba, rtol=1e-5)
    np.testing.assert_allclose(float(logs["rafd/D/loss_cls"]), expected_rafd, rtol=1e-5)


def test_one_translation_serves_the_d_and_the_g_update():
    """The n_critic-th iteration translates each batch once for both updates; the weights
    after it equal those of the official order, which translates again for G after D's
    update (joint training: per dataset D, then G)."""
    rng = np.random.default_rng(0)

    def batch(labels):
        images = rng.uniform(-1, 1, (2, 32, 32, 3)).astype(np.float32)
        return {"image": tf.constant(images), "label": tf.constant(labels), "target": tf.constant(labels[::-1])}

    batch = {"celeba": batch(np.array([[1, 0, 0, 1, 1], [0, 1, 0, 0, 1]], np.float32)),
             "rafd": batch(np.eye(8, dtype=np.float32)[[2, 5]])}
    iteration = tf.constant(0, tf.int64)

    def weights_after(shared):
        keras.utils.set_random_seed(0)
        model = tiny([CELEBA, RAFD])
        model.make_optimizers()
        initial = [w.numpy() for w in model.generator.weights]
        if shared:
            model.discriminator_and_generator_step(batch, iteration)
        else:
            for index, data in model._datasets_in(batch):
                model._discriminator_update(index, data, model._translate(index, data), iteration)
                with tf.GradientTape() as tape:
                    fake = model._translate(index, data)
                model._generator_update(index, data, fake, tape)
        assert any(np.abs(w.numpy() - w0).max() > 0 for w, w0 in zip(model.generator.weights, initial))
        return [w.numpy() for w in model.generator.weights + model.discriminator.weights]

    for shared, official in zip(weights_after(True), weights_after(False)):
        np.testing.assert_allclose(shared, official, rtol=1e-5, atol=1e-6)


def test_unknown_target_attrs_are_rejected_when_the_system_is_built():
    with pytest.raises(ConfigError, match="--target_attrs.*Purple_Hair.*valid names are: Black_Hair"):
        tiny(target_attrs=("Blond_Hair", "Purple_Hair"))


# ---- schedule --------------------------------------------------------------------------------
def test_learning_rates_decay_linearly_to_zero_in_steps():
    """Constant, then linear to 0 over the last num_iters_decay iterations, changing every
    lr_update_step (the paper's schedule, SPEC.md), G and D each from their own lr."""
    model = tiny(num_iters=200, num_iters_decay=100, lr_update_step=10, g_lr=1e-4, d_lr=3e-4)
    rates = {i: model.learning_rates(i) for i in (0, 99, 100, 150, 159, 199, 200)}
    for name, base in (("generator", 1e-4), ("discriminator", 3e-4)):
        got = {i: r[name] for i, r in rates.items()}
        assert got[0] == got[99] == got[100] == base
        assert got[150] == got[159] == pytest.approx(0.5 * base)
        assert got[199] == pytest.approx(0.1 * base)
        assert got[200] == 0.0


def test_generator_updates_every_n_critic_iterations():
    model = tiny(n_critic=3)
    steps = [model.steps_for(i) for i in range(6)]
    generator_at = [i for i, names in enumerate(steps) if names == ("discriminator_and_generator_step",)]
    assert generator_at == [2, 5]
    assert all(names == ("discriminator_step",) for i, names in enumerate(steps) if i not in generator_at)


# ---- columns and serving -------------------------------------------------------------------------
def test_sample_grid_is_the_input_then_one_column_per_target():
    model = tiny()
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (3, 32, 32, 3)).astype(np.float32)
    labels = np.array([[1, 0, 0, 1, 0], [0, 1, 0, 0, 1], [0, 0, 1, 1, 1]], np.float32)
    columns = model.sample_columns(model.sample_batch({"image": images, "label": labels}, rng))
    # Hair colours are one exclusive group; Male and Young are flipped, so each example's
    # file says which way: "Male" for one made male, "no_Male" for one made female.
    assert [(c.name, c.role) for c in columns] == [("input", INPUT), ("Black_Hair", OUTPUT), ("Blond_Hair", OUTPUT),
                                                   ("Brown_Hair", OUTPUT), ("Male (flipped)", OUTPUT),
                                                   ("Young (flipped)", OUTPUT)]
    assert columns[1].row_names is None
    assert columns[4].row_names == ["no_Male", "Male", "no_Male"]
    np.testing.assert_array_equal(np.asarray(columns[0].images), images)
    male = CELEBA.space.target_for(labels, "Male")
    # The columns come from compiled calls (GANSystem.infer), compared with eager ones in the contract test.
    np.testing.assert_allclose(np.asarray(columns[4].images), model.infer(model.generator, (images, male)), atol=1e-6)


def test_test_columns_use_the_labels_d_estimates_and_target_attrs():
    """User images come without labels: D's classifier gives the source labels the targets
    are made from; --target_attrs picks the columns."""
    model = tiny(target_attrs=("Male", "Blond_Hair"))
    images = np.random.default_rng(1).uniform(-1, 1, (3, 32, 32, 3)).astype(np.float32)
    columns = model.test_columns({"image": images})
    assert [(c.name, c.role) for c in columns] == [("input", INPUT), ("Male (flipped)", OUTPUT),
                                                   ("Blond_Hair", OUTPUT)]
    estimated = (model.infer(model.discriminator, images)[1].numpy() > 0).astype(np.float32)
    blond = CELEBA.space.target_for(estimated, "Blond_Hair")
    np.testing.assert_allclose(np.asarray(columns[2].images), model.infer(model.generator, (images, blond)), atol=1e-6)


@pytest.mark.parametrize(
    "datasets, size, kind, names",
    [
        ([CELEBA], 5, BINARY, CELEBA.space.names),
        ([RAFD], 8, ONE_HOT, RAFD.space.names),
        ([CELEBA, RAFD], 15, BINARY, CELEBA.space.names + RAFD.space.names + ("mask_celeba", "mask_rafd")),
    ],
    ids=["celeba", "rafd", "both"],
)
def test_serving_condition_describes_the_generator_label(datasets, size, kind, names):
    bundle = tiny(datasets).serving_bundle()
    endpoint, *estimator = bundle.endpoints
    image, condition = endpoint.inputs
    assert (endpoint.name, image.name, condition.name) == ("translate", "image", "target")
    assert (condition.shape, condition.kind, tuple(condition.names)) == ((size,), kind, names)
    assert [d["key"] for d in bundle.metadata["datasets"]] == [d.key for d in datasets]
    # One dataset: D's classifier as a second endpoint; joint training: none (source dataset unknown).
    assert [e.name for e in estimator] == (["attributes"] if len(datasets) == 1 else [])
    assert sorted(bundle.trackables) == (["discriminator", "generator"] if estimator else ["generator"])
    for attributes in estimator:
        (scores,) = attributes.outputs
        assert (scores.name, scores.kind, tuple(scores.names)) == ("scores", SCORES, names)


@pytest.mark.parametrize("datasets", [[CELEBA], [RAFD]], ids=["celeba", "rafd"])
def test_serving_scores_are_the_estimated_labels(datasets):
    """Sigmoid scores above 0.5 (multi-label) or the softmax's argmax (single-label) are
    ``estimate_labels``, the source labels test mode uses."""
    model = tiny(datasets)
    images = np.random.default_rng(0).uniform(-1, 1, (6, 32, 32, 3)).astype(np.float32)
    scores = model.serving_bundle().endpoints[1].translate(image=tf.constant(images)).numpy()
    assert scores.min() >= 0.0 and scores.max() <= 1.0
    if datasets[0].space.single_label:
        np.testing.assert_allclose(scores.sum(axis=1), 1.0, atol=1e-5)
        thresholded = np.eye(scores.shape[1])[np.argmax(scores, axis=1)]
    else:
        thresholded = (scores > 0.5).astype(np.float32)
    np.testing.assert_array_equal(thresholded, model.estimate_labels(images).numpy())


def test_networks_restore_exactly_for_test_and_export(tmp_path):
    """restore_networks (test/export) must restore every layer, not only those the
    optimizer happens to reference."""

    def build(seed):
        tf.keras.utils.set_random_seed(seed)
        model = tiny()
        model.make_optimizers()
        return model

    trained = build(0)
    RunCheckpoint(trained, str(tmp_path)).save(1)
    fresh = build(1)
    assert not np.array_equal(trained.generator.get_weights()[0], fresh.generator.get_weights()[0])
    restore_networks(fresh.networks(), str(tmp_path))
    for name, network in trained.networks().items():
        for saved, restored in zip(network.get_weights(), fresh.networks()[name].get_weights()):
            np.testing.assert_array_equal(saved, restored, err_msg=name)


# ---- training on the built-in data ------------------------------------------------------------------
def _classification_accuracy(model, images, labels):
    return float(np.mean(model.estimate_labels(images).numpy() == labels))


def test_d_learns_the_domains_on_builtin_data(tmp_path):
    paths = write_shapes_dataset(tmp_path / "shapes", num_images=160, image_size=32, seed=0)
    attrs = ["Red_Shape", "Green_Shape", "Blue_Shape", "Dark_Background"]

    def dataset(split, batch, start=0):
        return celeba_dataset(paths["celeba_image_dir"], paths["attr_path"], attrs, split=split, image_size=16,
                              crop_size=32, global_batch_size=batch, start_step=start, cache=True, num_test=32)

    test_split = dataset("test", 32)
    test = next(iter(test_split.dataset))
    tf.keras.utils.set_random_seed(0)
    config = StarGANConfig(image_size=16, g_conv_dim=8, d_conv_dim=16, g_repeat_num=1, d_repeat_num=3, n_critic=2,
                           d_lr=1e-3, g_lr=1e-3, num_iters=60, num_iters_decay=0, batch_size=8)
    model = StarGAN(config, [DatasetLabels("celeba", test_split.label_space)])
    model.make_optimizers()
    before = _classification_accuracy(model, test["image"], test["label"].numpy())
    trainer = Trainer(model, tf.distribute.get_strategy(), lambda start: dataset("train", 8, start).dataset,
                      str(tmp_path / "run"), LoopConfig(num_iters=60, log_step=10, model_save_step=1000,
                                                        show_progress=False))
    logs = trainer.run()
    assert {"D/loss_cls", "D/cls_accuracy", "G/loss_cls", "G/loss_rec"} <= set(logs)
    after = _classification_accuracy(model, test["image"], test["label"].numpy())
    assert after > before + 0.15, (before, after)
    assert after > 0.8
