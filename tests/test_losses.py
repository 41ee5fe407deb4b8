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


def test_r1_penalty_is_each_real_examples_squared_gradient_norm():
    # D(x) = sum(w * x^2) / 2 has the gradient w * x: a different norm for every example, so a
    # penalty that mixed examples, took the norm unsquared or looked at anything but the real
    # batch would be caught.
    rng = np.random.default_rng(1)
    w = tf.constant(rng.normal(size=(1, 4, 4, 3)).astype(np.float32))
    real = tf.constant(rng.normal(size=(3, 4, 4, 3)).astype(np.float32))
    logits, penalty = losses.r1_penalty(lambda x: 0.5 * tf.reduce_sum(w * tf.square(x), axis=[1, 2, 3]), real)
    expected = np.sum(np.square(w.numpy() * real.numpy()), axis=(1, 2, 3))
    np.testing.assert_allclose(penalty, expected, rtol=1e-5)
    np.testing.assert_allclose(logits, 0.5 * np.sum(w.numpy() * np.square(real.numpy()), axis=(1, 2, 3)), rtol=1e-5)


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


def test_l2_penalty_is_half_weight_decay_times_sum_of_squares():
    rng = np.random.default_rng(1)
    variables = [tf.Variable(rng.normal(size=shape).astype(np.float32)) for shape in ((3, 3, 2, 4), (4,))]
    expected = 0.5 * 1e-3 * sum(np.sum(np.square(v.numpy(), dtype=np.float64)) for v in variables)
    np.testing.assert_allclose(float(losses.l2_penalty(variables, 1e-3)), expected, rtol=1e-6)
    assert float(losses.l2_penalty(variables, 0.0)) == 0.0


def test_l2_penalty_gradient_is_pytorchs_coupled_weight_decay():
    """d/dv = wd * v: what PyTorch's Adam(weight_decay=wd) adds to the gradient."""
    rng = np.random.default_rng(2)
    variables = [tf.Variable(rng.normal(size=shape).astype(np.float32)) for shape in ((5, 2), (3,))]
    with tf.GradientTape() as tape:
        penalty = losses.l2_penalty(variables, 1e-4)
    for variable, gradient in zip(variables, tape.gradient(penalty, variables)):
        np.testing.assert_allclose(gradient.numpy(), 1e-4 * variable.numpy(), rtol=1e-6)
