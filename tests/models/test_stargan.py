"""StarGAN networks (official parameter counts, shapes) and real train steps on built-in data."""

import numpy as np
import pytest
import tensorflow as tf

from stargan_tf.models.stargan import Discriminator, Domains, Generator, StarGAN
from stargan_tf.pipelines import celeba_dataset, write_shapes_dataset
from stargan_tf.training.loop import LoopConfig, Trainer
from stargan_tf.training.schedules import linear_decay

CELEBA = Domains("celeba", ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"])
RAFD = Domains("rafd", [f"class{i}" for i in range(8)], single_label=True)


@pytest.mark.parametrize(
    "domains, image_size, g_params, d_params",
    [
        ([CELEBA], 128, 8_430_528, 44_762_048),
        ([RAFD], 128, 8_439_936, 44_786_624),
        ([CELEBA, RAFD], 128, 8_461_888, 44_827_584),
        ([CELEBA], 256, 8_430_528, 44_884_928),
    ],
)
def test_parameter_counts_equal_official(domains, image_size, g_params, d_params):
    model = StarGAN(domains, image_size=image_size)
    model.build_networks()
    assert model.generator.count_params() == g_params
    assert model.discriminator.count_params() == d_params


def test_output_shapes():
    generator = Generator(conv_dim=8, c_dim=5, repeat_num=1)
    out = generator((tf.zeros((2, 32, 48, 3)), tf.ones((2, 5))))
    assert out.shape == (2, 32, 48, 3)  # fully convolutional
    assert out.dtype == tf.float32
    assert np.all(np.abs(out.numpy()) <= 1.0)
    discriminator = Discriminator(image_size=32, conv_dim=8, c_dim=5, repeat_num=4)
    src, cls = discriminator(tf.zeros((2, 32, 32, 3)))
    assert src.shape == (2, 2, 2, 1) and cls.shape == (2, 5)


def test_discriminator_rejects_other_image_sizes_with_clear_message():
    discriminator = Discriminator(image_size=32, conv_dim=8, c_dim=5, repeat_num=4)
    discriminator(tf.zeros((1, 32, 32, 3)))
    with pytest.raises(ValueError, match="built for 32x32 images"):
        discriminator(tf.zeros((1, 64, 64, 3)))
    with pytest.raises(ValueError, match="divisible by 2\\*\\*d_repeat_num"):
        Discriminator(image_size=40, repeat_num=4)


def test_joint_training_labels_carry_the_mask_vector():
    model = StarGAN([Domains("celeba", ["a", "b"]), Domains("rafd", ["x", "y", "z"], True)], image_size=32,
                    g_conv_dim=8, d_conv_dim=8, g_repeat_num=1, d_repeat_num=4)
    celeba = model.generator_labels(tf.constant([[1.0, 0.0]]), 0).numpy()
    rafd = model.generator_labels(tf.constant([[0.0, 0.0, 1.0]]), 1).numpy()
    np.testing.assert_array_equal(celeba, [[1, 0, 0, 0, 0, 1, 0]])
    np.testing.assert_array_equal(rafd, [[0, 0, 0, 0, 1, 0, 1]])


def test_learning_rate_decays_linearly_to_zero():
    assert linear_decay(1e-4, 99, 100, 200) == 1e-4
    assert linear_decay(1e-4, 150, 100, 200) == pytest.approx(0.5e-4)
    assert linear_decay(1e-4, 199, 100, 200, update_every=10) == pytest.approx(0.1e-4)
    assert linear_decay(1e-4, 200, 100, 200) == 0.0


def _classification_accuracy(model, images, labels):
    return float(np.mean(model.estimate_labels(images).numpy() == labels))


def test_train_steps_finite_losses_and_d_learns_the_domains(tmp_path):
    write_shapes_dataset(tmp_path / "shapes", num_images=160, image_size=32, seed=0)
    root = tmp_path / "shapes" / "celeba"
    attrs = ["Red_Shape", "Green_Shape", "Blue_Shape", "Dark_Background"]

    def dataset(start):
        return celeba_dataset(str(root / "images"), str(root / "list_attr_celeba.txt"), attrs, image_size=16,
                              crop_size=32, global_batch_size=8, start_step=start, cache=True, num_test=32).dataset

    test = next(iter(celeba_dataset(str(root / "images"), str(root / "list_attr_celeba.txt"), attrs, split="test",
                                    image_size=16, crop_size=32, global_batch_size=32, num_test=32).dataset))
    keras_seed = tf.keras.utils.set_random_seed
    keras_seed(0)
    model = StarGAN([Domains("celeba", attrs)], image_size=16, g_conv_dim=8, d_conv_dim=16, g_repeat_num=1,
                    d_repeat_num=3, n_critic=2, d_lr=1e-3, g_lr=1e-3, num_iters=60, num_iters_decay=0,
                    global_batch_size=8)
    model.build_networks()
    model.make_optimizers()
    before = _classification_accuracy(model, test["image"], test["label"].numpy())
    trainer = Trainer(model, tf.distribute.get_strategy(), dataset, str(tmp_path / "run"),
                      LoopConfig(num_iters=60, log_step=10, sample_step=1000, model_save_step=1000, show_progress=False))
    logs = trainer.run()
    assert {"D/loss_real", "D/loss_fake", "D/loss_cls", "D/loss_gp", "G/loss_rec", "G/loss_cls", "G/loss_fake"} <= set(logs)
    assert all(np.isfinite(v) for v in logs.values())
    after = _classification_accuracy(model, test["image"], test["label"].numpy())
    assert after > before + 0.15, (before, after)
    assert after > 0.8


def test_serving_bundle_describes_the_target_condition():
    model = StarGAN([CELEBA], image_size=32, g_conv_dim=8, d_conv_dim=8, g_repeat_num=1, d_repeat_num=4)
    model.build_networks()
    bundle = model.serving_bundle()
    (endpoint,) = bundle.endpoints
    (condition,) = endpoint.conditions
    assert (bundle.model_name, bundle.image_size, endpoint.name) == ("stargan", (32, 32), "translate")
    assert (condition.name, condition.size, tuple(condition.names)) == ("target", 5, tuple(CELEBA.names))
    out = tf.function(endpoint.translate)(tf.zeros((3, 32, 32, 3)), tf.ones((3, 5)))
    assert out.shape == (3, 32, 32, 3)


def test_networks_restore_exactly_for_test_and_export(tmp_path):
    """restore_networks (test/export) must restore every layer, not only those the
    optimizer happens to reference."""
    from stargan_tf.training.checkpoints import RunCheckpoint, restore_networks

    def build():
        model = StarGAN([CELEBA], image_size=32, g_conv_dim=8, d_conv_dim=8, g_repeat_num=1, d_repeat_num=4)
        model.build_networks()
        model.make_optimizers()
        return model

    trained = build()
    RunCheckpoint(trained, str(tmp_path)).save(1)
    fresh = build()
    restore_networks(fresh.networks(), str(tmp_path))
    for name, network in trained.networks().items():
        for saved, restored in zip(network.get_weights(), fresh.networks()[name].get_weights()):
            np.testing.assert_array_equal(saved, restored, err_msg=name)
