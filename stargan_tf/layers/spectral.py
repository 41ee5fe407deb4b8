"""Spectral normalisation as a reparametrisation of the weight (Miyato et al., ICLR 2018),
in the form of PyTorch's ``torch.nn.utils.spectral_norm``, which U-GAT-IT's official code
applies to every discriminator convolution."""

import keras
from keras import ops


class UnitNormal(keras.initializers.Initializer):
    """A standard normal draw scaled to unit L2 norm: the start of the power iteration."""

    def __call__(self, shape, dtype=None):
        draw = keras.initializers.RandomNormal(stddev=1.0)(shape, dtype)
        return draw / ops.sqrt(ops.sum(ops.square(draw)))


def _unit(vector, epsilon):
    # PyTorch's F.normalize: divide by max(||x||, eps), so a zero vector stays zero.
    return vector / ops.maximum(ops.sqrt(ops.sum(ops.square(vector))), epsilon)


class SpectralConv2D(keras.layers.Layer):
    """A 'valid' 2-D convolution whose kernel is ``W / sigma(W)`` (Miyato et al. 2018, Eq. 8
    and Algorithm 1).

    ``kernel`` (W) is the trainable weight: the optimizer and any weight decay act on it,
    and the gradient flows through ``sigma`` as well as through W. ``sigma = u^T W v`` comes
    from vectors ``u`` (one entry per filter) and ``v`` (one per kernel entry of a filter)
    that are non-trainable, checkpointed state: each training call first runs one power
    iteration, ``v <- W^T u / |W^T u|``, ``u <- W v / |W v|``, stores them and treats them
    as constants for the gradient; an inference call uses the stored vectors unchanged.
    W is seen as the matrix [filters, kh * kw * in_channels], as PyTorch reshapes its
    weight; ``v`` follows this layer's (kh, kw, in) order of the flattened entries.

    (Keras' ``SpectralNormalization`` instead overwrites the kernel with W / sigma on every
    training call and back-propagates to the stored kernel as if sigma were constant.)

    Args:
        filters, kernel_size, strides, use_bias: as ``keras.layers.Conv2D`` (square kernel
            and strides, no padding: pad before).
        kernel_initializer: initialiser of W.
        epsilon: floor of the norms in the power iteration (PyTorch's 1e-12).
    """

    def __init__(self, filters, kernel_size, strides=1, use_bias=True, kernel_initializer="glorot_uniform",
                 epsilon=1e-12, **kwargs):
        # Under a float16 policy the power iteration and sigma still run in float32; only
        # the convolution uses the compute dtype.
        kwargs.pop("autocast", None)  # from get_config
        super().__init__(autocast=False, **kwargs)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.strides = int(strides)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        size = self.kernel_size
        self.kernel = self.add_weight(name="kernel", shape=(size, size, input_shape[-1], self.filters),
                                      initializer=self.kernel_initializer, dtype="float32")
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros", dtype="float32")
                     if self.use_bias else None)
        # Every replica computes the same power iteration from the same mirrored weights.
        state = dict(initializer=UnitNormal(), trainable=False, dtype="float32", aggregation="only_first_replica")
        self.u = self.add_weight(name="u", shape=(self.filters,), **state)
        self.v = self.add_weight(name="v", shape=(size * size * input_shape[-1],), **state)

    def normalized_kernel(self, training=False):
        """``W / sigma(W)``; with ``training`` after one power iteration (stored)."""
        matrix = ops.reshape(self.kernel, (-1, self.filters))  # W transposed: [kh * kw * in, filters]
        u, v = self.u.value, self.v.value
        if training:
            v = ops.stop_gradient(_unit(ops.matmul(matrix, u), self.epsilon))
            u = ops.stop_gradient(_unit(ops.matmul(v, matrix), self.epsilon))
            self.v.assign(v)
            self.u.assign(u)
        sigma = ops.sum(u * ops.matmul(v, matrix))
        return self.kernel / sigma

    def call(self, inputs, training=False):
        kernel = ops.cast(self.normalized_kernel(training), inputs.dtype)
        outputs = ops.conv(inputs, kernel, strides=self.strides, padding="valid")
        if self.use_bias:
            outputs = outputs + ops.cast(self.bias, inputs.dtype)
        return outputs

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape

        def out(length):
            return None if length is None else (length - self.kernel_size) // self.strides + 1

        return (batch, out(height), out(width), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "epsilon": self.epsilon,
        }
