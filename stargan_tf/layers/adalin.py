"""Adaptive layer-instance normalisation (U-GAT-IT, Kim et al. 2020, Eq. in Sec. 2.1.1).

Both layers mix an instance-normalised and a layer-normalised copy of the input with a
learned per-channel ratio ``rho`` kept in [0, 1]:

    a_I = (a - mu_I) / sqrt(sigma_I^2 + eps)     statistics over (H, W), per sample & channel
    a_L = (a - mu_L) / sqrt(sigma_L^2 + eps)     statistics over (H, W, C), per sample
    out = gamma * (rho * a_I + (1 - rho) * a_L) + beta

``AdaLIN`` takes gamma and beta per example from the generator's MLP; ``LayerInstanceNorm``
(the paper's LIN, the official code's ILN) learns them per channel.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="stargan_tf")
class UnitIntervalClip(keras.constraints.Constraint):
    """Element-wise clip to [0, 1] (the official code's ``RhoClipper(0, 1)``).

    Keras optimizers apply a weight's constraint after each update, so any optimizer that
    updates ``rho`` keeps it in range; systems also clip explicitly after each generator
    step (see ``clip_rho``), which is idempotent.
    """

    def __call__(self, w):
        return ops.clip(w, 0.0, 1.0)

    def get_config(self):
        return {}


def layer_instance_normalise(x, rho, epsilon, unbiased_variance):
    """rho * IN(x) + (1 - rho) * LN(x) for an NHWC float tensor, rho broadcast over C."""
    in_mean, in_var = ops.moments(x, axes=[1, 2], keepdims=True)
    ln_mean, ln_var = ops.moments(x, axes=[1, 2, 3], keepdims=True)
    if unbiased_variance:
        # torch.var's default (N - 1), which the official PyTorch adaILN / ILN use.
        n_in = ops.cast(ops.shape(x)[1] * ops.shape(x)[2], x.dtype)
        n_ln = n_in * ops.cast(ops.shape(x)[3], x.dtype)
        in_var = in_var * n_in / (n_in - 1.0)
        ln_var = ln_var * n_ln / (n_ln - 1.0)
    x_in = (x - in_mean) * ops.rsqrt(in_var + epsilon)
    x_ln = (x - ln_mean) * ops.rsqrt(ln_var + epsilon)
    return rho * x_in + (1.0 - rho) * x_ln


class _RhoMixin:
    """Shared ``rho`` weight: per channel, clipped to [0, 1]."""

    def _add_rho(self, channels, initial_value):
        # aggregation="mean": rho is assigned (clipped) inside replica step functions;
        # a MirroredVariable without an aggregation refuses replica-context assignments.
        self.rho = self.add_weight(
            name="rho",
            shape=(channels,),
            initializer=keras.initializers.Constant(initial_value),
            constraint=UnitIntervalClip(),
            aggregation="mean",
        )

    def clip_rho(self):
        """Clamp rho to [0, 1] in place (call after every generator update)."""
        self.rho.assign(ops.clip(self.rho, 0.0, 1.0))


@keras.saving.register_keras_serializable(package="stargan_tf")
class AdaLIN(_RhoMixin, keras.layers.Layer):
    """Adaptive Layer-Instance Normalisation (U-GAT-IT, Sec. 2.1.1, AdaLIN equation).

    out = gamma * (rho * a_I + (1 - rho) * a_L) + beta, with gamma and beta of shape
    ``[batch, channels]`` supplied by the generator's fully connected layers and ``rho`` a
    learned per-channel weight initialised to 0.9 (PyTorch official; the TF1 code's
    initial 1.0 with 0.1 "smoothing" gives the same start) and clipped to [0, 1].

    Args:
        epsilon: added to both variances; 1e-5 as in both official codes.
        rho_init: initial value of rho.
        unbiased_variance: divide the variances by N - 1 as PyTorch's ``torch.var`` does in
            the official PyTorch code (use for weight parity with it). The default, False,
            is the biased (N) variance of the TF1 code, ``tf.nn.moments`` and SPEC.md.

    Call arguments:
        inputs: NHWC tensor.
        gamma: ``[batch, channels]`` scale.
        beta: ``[batch, channels]`` shift.

    Reference:
        Kim et al., "U-GAT-IT", ICLR 2020, arXiv:1907.10830.
    """

    def __init__(self, epsilon=1e-5, rho_init=0.9, unbiased_variance=False, **kwargs):
        super().__init__(autocast=False, **kwargs)  # statistics and rho in float32
        self.epsilon = epsilon
        self.rho_init = rho_init
        self.unbiased_variance = unbiased_variance

    def build(self, inputs_shape, gamma_shape=None, beta_shape=None):
        self._add_rho(inputs_shape[-1], self.rho_init)

    def call(self, inputs, gamma, beta):
        x = ops.cast(inputs, "float32")
        mixed = layer_instance_normalise(
            x, ops.cast(self.rho, "float32"), self.epsilon, self.unbiased_variance
        )
        gamma = ops.cast(gamma, "float32")[:, None, None, :]
        beta = ops.cast(beta, "float32")[:, None, None, :]
        return ops.cast(mixed * gamma + beta, inputs.dtype)

    def compute_output_shape(self, inputs_shape, gamma_shape=None, beta_shape=None):
        return inputs_shape

    def get_config(self):
        return {
            **super().get_config(),
            "epsilon": self.epsilon,
            "rho_init": self.rho_init,
            "unbiased_variance": self.unbiased_variance,
        }


@keras.saving.register_keras_serializable(package="stargan_tf")
class LayerInstanceNorm(_RhoMixin, keras.layers.Layer):
    """Layer-Instance Normalisation, LIN (U-GAT-IT up-sampling blocks; ILN in the code).

    out = gamma * (rho * a_I + (1 - rho) * a_L) + beta with learned per-channel gamma
    (init 1), beta (init 0) and rho (init 0.0, i.e. starts as layer norm), rho clipped to
    [0, 1].

    Args:
        epsilon: added to both variances (1e-5).
        rho_init: initial rho (0.0 in both official codes).
        unbiased_variance: N - 1 variances as in the official PyTorch ILN (see ``AdaLIN``).

    Call arguments:
        inputs: NHWC tensor.

    Reference:
        Kim et al., "U-GAT-IT", ICLR 2020, arXiv:1907.10830.
    """

    def __init__(self, epsilon=1e-5, rho_init=0.0, unbiased_variance=False, **kwargs):
        super().__init__(autocast=False, **kwargs)  # statistics and rho in float32
        self.epsilon = epsilon
        self.rho_init = rho_init
        self.unbiased_variance = unbiased_variance

    def build(self, input_shape):
        channels = input_shape[-1]
        self._add_rho(channels, self.rho_init)
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        x = ops.cast(inputs, "float32")
        mixed = layer_instance_normalise(
            x, ops.cast(self.rho, "float32"), self.epsilon, self.unbiased_variance
        )
        return ops.cast(mixed * self.gamma + self.beta, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "epsilon": self.epsilon,
            "rho_init": self.rho_init,
            "unbiased_variance": self.unbiased_variance,
        }


def clip_rho(model):
    """Clamp every AdaLIN / LayerInstanceNorm rho inside ``model`` to [0, 1]."""
    for layer in model._flatten_layers(include_self=True, recursive=True):
        if isinstance(layer, _RhoMixin):
            layer.clip_rho()
