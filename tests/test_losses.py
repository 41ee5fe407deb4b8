"""Loss terms against NumPy references."""

import numpy as np
import tensorflow as tf

from stargan_tf import losses


def test_adversarial_terms():
    logits = np.array([[[[1.0], [3.0]]], [[[-2.0], [0.0]]]], np.float32)  # [2,1,2,1]
    np.testing.assert_allclose(losses.wgan_critic_real(logits), [-2.0, 1.0])
    np.testing.assert_allclose(losses.wgan_critic_fake(logits), [2.0, -1.0])
    np.testing.assert_allclose(losses.wgan_generator(logits), [-2.0, 1.0])
    np.testing.assert_allclose(losses.lsgan(logits, 1.0), [(0 + 4) / 2, (9 + 1) / 2])


def test_bce_with_logits_matches_formula():
    logits = np.array([[0.5, -1.0], [2.0, 0.0]], np.float32)
    expected = np.mean(np.log1p(np.exp(-logits)), axis=1)  # target 1
    np.testing.assert_allclose(losses.bce_with_logits(logits, 1.0), expected, rtol=1e-5)


def test_gradient_penalty_of_linear_critic():
    # D(x) = sum(w * x): the gradient is w everywhere, so the penalty is (||w|| - 1)^2.
    rng = np.random.default_rng(0)
    w = tf.constant(rng.normal(size=(1, 4, 4, 3)).astype(np.float32))
    real = tf.constant(rng.normal(size=(3, 4, 4, 3)).astype(np.float32))
    fake = tf.constant(rng.normal(size=(3, 4, 4, 3)).astype(np.float32))
    penalty = losses.gradient_penalty(lambda x: tf.reduce_sum(x * w, axis=[1, 2, 3]), real, fake, tf.constant([0.1, 0.5, 0.9]))
    expected = (np.linalg.norm(w.numpy()) - 1.0) ** 2
    np.testing.assert_allclose(penalty, [expected] * 3, rtol=1e-5)


def test_classification_losses():
    logits = np.array([[2.0, -1.0, 0.5]], np.float32)
    labels = np.array([[1.0, 0.0, 1.0]], np.float32)
    sigmoid = 1 / (1 + np.exp(-logits))
    bce = -(labels * np.log(sigmoid) + (1 - labels) * np.log(1 - sigmoid)).sum(axis=1)
    np.testing.assert_allclose(losses.multi_label_classification(logits, labels), bce, rtol=1e-5)
    softmax = np.exp(logits) / np.exp(logits).sum()
    one_hot = np.array([[0.0, 0.0, 1.0]], np.float32)
    np.testing.assert_allclose(losses.single_label_classification(logits, one_hot), -np.log(softmax[:, 2]), rtol=1e-5)


def test_l1_is_per_example_mean():
    a = np.zeros((2, 2, 2, 1), np.float32)
    b = np.stack([np.ones((2, 2, 1)), 3 * np.ones((2, 2, 1))]).astype(np.float32)
    np.testing.assert_allclose(losses.l1(a, b), [1.0, 3.0])
