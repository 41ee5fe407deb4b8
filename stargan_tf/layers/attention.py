"""Class-activation-map attention of U-GAT-IT's generator and discriminators (Sec. 2.1)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="stargan_tf")
class CAMAttention(keras.layers.Layer):
    """CAM attention (U-GAT-IT Sec. 2.1.1 / 2.1.2, the auxiliary classifier eta and a(x)).

    Two auxiliary classifiers score the encoder feature map E(x) of shape ``[B, H, W, C]``
    from its global average pool and its global max pool, each with a bias-free linear map
    ``w`` (C -> 1). Each weight vector then re-weights the channels,
    ``a(x) = w * E(x)`` (the paper's attention feature map); the two re-weighted maps are
    concatenated and fused by a 1x1 convolution 2C -> C (with bias) and an activation:

        cam_logit = [GAP(E) . w_gap, GMP(E) . w_gmp]            shape [B, 2]
        features  = act(conv1x1(concat[E * w_gap, E * w_gmp]))  shape [B, H, W, C]
        heatmap   = sum_c features                              shape [B, H, W, 1]

    Args:
        activation: ``"relu"`` (generator) or ``"leaky_relu"`` (discriminator).
        negative_slope: slope of the leaky ReLU (0.2 in the discriminators).
        spectral_norm: spectrally normalise the two classifiers (the discriminators). For a
            C -> 1 linear map the largest singular value is exactly ``||w||_2`` (one power
            iteration of PyTorch's ``spectral_norm`` finds it exactly), so the logits use
            ``w / ||w||_2`` with no power-iteration state. As in the official PyTorch code
            (``list(gap_fc.parameters())[0]`` is ``weight_orig``), the channels are
            re-weighted by the *un-normalised* ``w``; the TF1 code uses the normalised one.
        kernel_initializer: initialiser of the classifiers and the 1x1 convolution.

    Call arguments:
        inputs: NHWC feature map.

    Returns:
        ``(features, cam_logit, heatmap)``.

    Reference:
        Kim et al., "U-GAT-IT", ICLR 2020, arXiv:1907.10830; Zhou et al. 2016 (CAM).
    """

    def __init__(
        self,
        activation="relu",
        negative_slope=0.2,
        spectral_norm=False,
        kernel_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if activation not in ("relu", "leaky_relu"):
            raise ValueError(f"activation must be 'relu' or 'leaky_relu', got {activation!r}")
        self.activation = activation
        self.negative_slope = negative_slope
        self.spectral_norm = spectral_norm
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gap_kernel = self.add_weight(
            name="gap_kernel", shape=(channels, 1), initializer=self.kernel_initializer
        )
        self.gmp_kernel = self.add_weight(
            name="gmp_kernel", shape=(channels, 1), initializer=self.kernel_initializer
        )
        self.fuse_kernel = self.add_weight(
            name="fuse_kernel", shape=(2 * channels, channels), initializer=self.kernel_initializer
        )
        self.fuse_bias = self.add_weight(name="fuse_bias", shape=(channels,), initializer="zeros")

    def _logit_kernel(self, kernel):
        if not self.spectral_norm:
            return kernel
        return kernel / ops.sqrt(ops.sum(ops.square(kernel)) + 1e-12)

    def call(self, inputs):
        gap = ops.mean(inputs, axis=[1, 2])
        gmp = ops.max(inputs, axis=[1, 2])
        gap_logit = ops.matmul(gap, self._logit_kernel(self.gap_kernel))
        gmp_logit = ops.matmul(gmp, self._logit_kernel(self.gmp_kernel))
        cam_logit = ops.concatenate([gap_logit, gmp_logit], axis=-1)

        weighted = ops.concatenate(
            [inputs * self.gap_kernel[:, 0], inputs * self.gmp_kernel[:, 0]], axis=-1
        )
        features = ops.einsum("bhwi,io->bhwo", weighted, self.fuse_kernel) + self.fuse_bias
        if self.activation == "relu":
            features = ops.relu(features)
        else:
            features = ops.leaky_relu(features, negative_slope=self.negative_slope)
        heatmap = ops.sum(features, axis=-1, keepdims=True)
        return features, cam_logit, heatmap

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (input_shape, (batch, 2), (batch, height, width, 1))

    def get_config(self):
        return {
            **super().get_config(),
            "activation": self.activation,
            "negative_slope": self.negative_slope,
            "spectral_norm": self.spectral_norm,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }
