"""Contextual GAN's completion (Lu et al., ECCV 2018, Sec. 3.2): sketch to photo (or photo to
sketch) as image completion in the latent space of the frozen joint-image GAN.

For a known half ``y`` (the sketch, or the photo), find the z whose joint image G(z) agrees
with ``y`` on that half (the contextual loss) and looks real to D (the perceptual loss,
``log(1 - D(G(z)))`` as in Yeh et al.'s semantic inpainting), then return G(z)'s other half:

    L(z) = mean over the known half of (G(z) - y)^2 + lambda * log(1 - sigmoid(D(G(z))))

Start: of ``N`` candidate codes, the one whose known half is closest to ``y`` (the
contextual loss; best-of-N, not the farthest one a reimplementation picks). Then ``T``
steps of gradient descent with momentum on z, clipped to [-1, 1] after each step (z's
range in training). The contextual loss is the mean squared error (the PyTorch
reimplementation's; the paper does not say; its TF reproduction's normalised KL divergence
is undefined on white paper).

Everything is TensorFlow ops a TFLite file can hold with builtins only (design notes,
appendix B): the candidates are an input (the exported function receives them as a
constant drawn at export), the halves are picked with a mask inside the differentiated loss
(a slice's gradient, StridedSliceGrad, is not a builtin), the networks' LeakyReLU is
``max(x, 0.2x)``, and the loop is one ``tf.while_loop``.
"""

import tensorflow as tf

PERCEPTUAL_FLOOR = 1e-8  # log(1 - D) stays finite where D is certain the image is real


def known_half_mask(image_size, known_on_left):
    """float32 ``[1, 1, 2S, 1]``: 1 on the columns of the known half."""
    left = tf.ones([image_size]) if known_on_left else tf.zeros([image_size])
    return tf.reshape(tf.concat([left, 1.0 - left], axis=0), [1, 1, 2 * image_size, 1])


def contextual_loss(joints, targets, mask, scales=1):
    """Squared difference on the known half, per image: ``joints`` and ``targets``
    ``[..., S, 2S, 3]`` (the target's other half is ignored) -> ``[...]``.

    ``scales`` > 1 adds the same mean squared difference of the halves averaged over
    2x2, 4x4, ... blocks, each weighted by its block side. Thin lines need it: per pixel, a
    sketch a few pixels off its target costs more than blank paper and gets no gradient
    towards it; block averages overlap where the lines are near each other, so the coarse
    terms pull the outline to the target's place and size and the fine term then draws it.
    The weight makes a line count alike at every scale (averaging over k x k blocks divides
    a thin line's squared difference by about k).
    """
    difference = (joints - targets) * mask
    known_values = joints.shape[-3] * joints.shape[-1] * tf.reduce_sum(mask)
    loss = tf.reduce_sum(tf.square(difference), axis=[-3, -2, -1]) / known_values
    height, width, channels = joints.shape[-3:]
    leading = tf.shape(difference)[:-3]
    for level in range(1, scales):
        side = 2 ** level
        # Block means by reshape and mean: their gradient is builtins only in TFLite
        # (AvgPool's is not). Blocks never straddle the halves (S is a multiple of 16).
        blocks = tf.reshape(difference, [-1, height // side, side, width // side, side, channels])
        means = tf.reduce_mean(blocks, axis=[2, 4])
        level_loss = side ** 3 * tf.reduce_sum(tf.square(means), axis=[1, 2, 3]) / known_values
        loss += tf.reshape(level_loss, leading)
    return loss


def perceptual_loss(logits):
    """``log(1 - sigmoid(logit))`` per image (lower: more real to D)."""
    # A reshape, not logits[:, 0]: the slice's gradient op is not a TFLite builtin.
    return tf.math.log(tf.maximum(1.0 - tf.sigmoid(tf.reshape(logits, [-1])), PERCEPTUAL_FLOOR))


def complete(generator, discriminator, known, candidates, known_on_left=True, iterations=500, lr=0.01,
             momentum=0.9, weight=0.01, scales=1):
    """Complete each known half of ``known``.

    Args:
        generator, discriminator: the frozen networks (called in inference mode).
        known: float32 ``[B, S, S, 3]`` in [-1, 1], the sketches (``known_on_left``) or photos.
        candidates: float32 ``[N, z_dim]`` in [-1, 1], the codes every input starts from.
        iterations, lr, momentum, weight: the descent (``weight`` is the perceptual loss's).
        scales: the contextual loss's block scales (``contextual_loss``), for the start and the descent.

    Returns:
        ``{"completed": [B, S, S, 3] the other half, "joint": [B, S, 2S, 3], "z": [B, z_dim],
        "start_loss": [B] the chosen candidate's contextual loss, "loss": [B] the final one}``.
    """
    known = tf.convert_to_tensor(known, tf.float32)
    size = known.shape[1]
    mask = known_half_mask(size, known_on_left)
    blank = tf.zeros_like(known)
    targets = tf.concat([known, blank] if known_on_left else [blank, known], axis=2)

    candidate_joints = generator(candidates, training=False)
    # [B, N]: every input against every candidate's known half.
    start_losses = contextual_loss(candidate_joints[None], targets[:, None], mask, scales)
    best = tf.argmin(start_losses, axis=1)
    z = tf.gather(candidates, best)
    start_loss = tf.gather(start_losses, best, axis=1, batch_dims=1)

    def step(index, z, velocity):
        with tf.GradientTape() as tape:
            tape.watch(z)
            joints = generator(z, training=False)
            loss = contextual_loss(joints, targets, mask, scales) + weight * perceptual_loss(discriminator(joints, training=False))
            total = tf.reduce_sum(loss)  # images are independent: each z gets its own image's gradient
        velocity = momentum * velocity - lr * tape.gradient(total, z)
        return index + 1, tf.clip_by_value(z + velocity, -1.0, 1.0), velocity

    _, z, _ = tf.while_loop(lambda index, z, velocity: index < iterations, step,
                            (tf.constant(0), z, tf.zeros_like(z)))
    joint = generator(z, training=False)
    completed = joint[:, :, size:, :] if known_on_left else joint[:, :, :size, :]
    return {"completed": completed, "joint": joint, "z": z, "start_loss": start_loss,
            "loss": contextual_loss(joint, targets, mask, scales)}
