"""Loss terms shared by every system, as small pure functions.

Every function returns a *per-example* vector (shape ``[batch]``): systems reduce it with
``GANSystem.average`` so the same code is correct under any number of replicas.
"""

import tensorflow as tf


def _per_example_mean(x):
    x = tf.cast(x, tf.float32)
    return tf.reduce_mean(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


def _per_example_sum(x):
    x = tf.cast(x, tf.float32)
    return tf.reduce_sum(tf.reshape(x, [tf.shape(x)[0], -1]), axis=1)


# ---- adversarial terms ----------------------------------------------------------------
def wgan_critic_real(real_logits):
    """WGAN critic term on real images, -E[D(x)] (StarGAN Eq. 8, D side)."""
    return -_per_example_mean(real_logits)


def wgan_critic_fake(fake_logits):
    """WGAN critic term on generated images, +E[D(G(x, c))] (StarGAN Eq. 8, D side)."""
    return _per_example_mean(fake_logits)


def wgan_generator(fake_logits):
    """WGAN generator term, -E[D(G(x, c))] (StarGAN Eq. 8, G side)."""
    return -_per_example_mean(fake_logits)


def lsgan(logits, target):
    """Least-squares GAN term E[(D(x) - target)^2] (Mao et al. 2017; CycleGAN, U-GAT-IT)."""
    return _per_example_mean(tf.square(tf.cast(logits, tf.float32) - target))


def bce_with_logits(logits, target):
    """Sigmoid cross-entropy against a constant target, averaged over the example
    (U-GAT-IT's CAM loss, DRIT's adversarial terms)."""
    logits = tf.cast(logits, tf.float32)
    labels = tf.fill(tf.shape(logits), tf.cast(target, tf.float32))
    return _per_example_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def _critic_with_input_gradients(critic, images):
    """``(critic(images), d(sum of critic(images))/d images)``, the gradient float32: per
    example, the gradient of its own logits (summing over the patch map equals
    back-propagating ones over it, as the papers' codes do)."""
    with tf.GradientTape() as tape:
        tape.watch(images)
        logits = critic(images)
        critic_sum = tf.reduce_sum(tf.cast(logits, tf.float32))
    return logits, tf.cast(tape.gradient(critic_sum, images), tf.float32)


def gradient_penalty(critic, real, fake, alpha):
    """WGAN-GP (Gulrajani et al. 2017): (||grad_x_hat D(x_hat)||_2 - 1)^2 per example.

    Args:
        critic: callable image -> patch logits (the adversarial head of D).
        real, fake: image batches; ``fake`` is treated as a constant.
        alpha: per-example interpolation weights, shape [batch].
    """
    alpha = tf.reshape(tf.cast(alpha, real.dtype), [-1, 1, 1, 1])
    interpolated = alpha * real + (1.0 - alpha) * tf.stop_gradient(fake)
    _, gradients = _critic_with_input_gradients(critic, interpolated)
    norms = tf.sqrt(_per_example_sum(tf.square(gradients)) + 1e-12)
    return tf.square(norms - 1.0)


def r1_penalty(critic, real):
    """R1 (Mescheder, Geiger, Nowozin, ICML 2018, Eq. 9): ||grad_x D(x)||_2^2 per real example,
    unweighted (the paper's gamma / 2 is the caller's). It penalises D's slope on the data
    only, which keeps a D that separates real from fake early from saturating G's gradient.

    Args:
        critic: callable image -> logits.
        real: a batch of real images.

    Returns:
        ``(critic(real), penalty [batch])``: the logits too, so D's real term reuses this
        forward pass (a second one would also move batch norm's statistics twice).
    """
    logits, gradients = _critic_with_input_gradients(critic, real)
    return logits, _per_example_sum(tf.square(gradients))


# ---- domain classification (StarGAN Eq. 2 / 3) ---------------------------------------
def multi_label_classification(logits, labels):
    """Sigmoid BCE summed over attributes (multi-label datasets such as CelebA)."""
    logits = tf.cast(logits, tf.float32)
    return tf.reduce_sum(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(labels, tf.float32), logits=logits),
        axis=1,
    )


def single_label_classification(logits, one_hot_labels):
    """Softmax cross-entropy (single-label datasets such as RaFD)."""
    return tf.nn.softmax_cross_entropy_with_logits(
        labels=tf.cast(one_hot_labels, tf.float32), logits=tf.cast(logits, tf.float32)
    )


# ---- reconstruction ---------------------------------------------------------------------
def l1(a, b):
    """Mean absolute error per example (cycle / reconstruction / identity terms)."""
    return _per_example_mean(tf.abs(tf.cast(a, tf.float32) - tf.cast(b, tf.float32)))


# ---- regularisers --------------------------------------------------------------------------
def mean_square(x):
    """Mean of the squared entries per example: an L2 pull of a code towards 0 (DRIT's
    "KL" on content codes and on deterministic attribute codes)."""
    return _per_example_mean(tf.square(tf.cast(x, tf.float32)))


def l2_penalty(variables, weight_decay):
    """0.5 * wd * sum ||v||^2, whose gradient ``wd * v`` is PyTorch Adam's *coupled* weight
    decay (added to the gradient before the moments; Keras' ``weight_decay`` is the
    decoupled AdamW form, which the reference codes do not use).

    A scalar, not per example. Divided by the number of replicas because the replicas'
    gradients are summed.
    """
    if not weight_decay:
        return tf.constant(0.0)
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    total = tf.add_n([tf.reduce_sum(tf.square(tf.cast(v, tf.float32))) for v in variables])
    return 0.5 * weight_decay * total / replicas
