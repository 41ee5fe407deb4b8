"""A fast formulation of a layer against the Keras layer it stands in for: both given the same
weights, the same derivatives must come out (the layer tests' shared comparison)."""

import numpy as np
import tensorflow as tf


def with_same_weights(reference, other, input_shape, seed=2):
    """``(reference, other)``, both built for ``input_shape`` with the same N(0, 1) weights."""
    reference.build(input_shape), other.build(input_shape)
    rng = np.random.default_rng(seed)
    reference.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in reference.weights])
    other.set_weights(reference.get_weights())
    return reference, other


def derivatives(layer, x):
    """The output, the gradients of a loss w.r.t. the input and the weights, and the weights'
    gradient of a gradient-penalty-like term (the squared norm of d sum(f(x)) / dx)."""
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.nn.leaky_relu(layer(x), 0.2)
            total = tf.reduce_sum(y)
        penalty = tf.reduce_sum(tf.square(inner.gradient(total, x)))
        loss = tf.reduce_sum(y * y)
    return [y, outer.gradient(loss, x), *outer.gradient(loss, layer.trainable_weights),
            *outer.gradient(penalty, layer.trainable_weights)]


def assert_same_derivatives(got, want, relative=1e-5):
    """Each of ``got`` within ``relative`` of the largest value of its ``want`` (float32
    rounding of two summation orders is about 1e-6 of it; a wrong index, flip or padding
    moves it by its own size)."""
    for actual, expected in zip(got, want, strict=True):
        scale = float(tf.reduce_max(tf.abs(expected)))
        np.testing.assert_allclose(actual.numpy(), expected.numpy(), rtol=0, atol=relative * scale)


def assert_same_compiled_gradients(reference, other, x):
    """The input's and the kernel's gradients of ``other`` under XLA equal ``reference``'s in
    float32 (to rounding), and in bfloat16 stay float32 and within bfloat16's precision of
    them (8 bits of mantissa: the products and their sums are ~1% off)."""

    def gradients(layer, dtype):
        @tf.function(jit_compile=True)
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer.convolution_op(tf.cast(x, dtype), layer.kernel)
                loss = tf.reduce_sum(tf.cast(y, tf.float32) ** 2)
            return tape.gradient(loss, [x, layer.kernel])
        return step(x)

    want = gradients(reference, tf.float32)
    assert_same_derivatives(gradients(other, tf.float32), want)
    for got, expected in zip(gradients(other, tf.bfloat16), want, strict=True):
        assert got.dtype == tf.float32  # the variable's and the input's gradients stay float32
        assert_same_derivatives([got], [expected], relative=0.05)
