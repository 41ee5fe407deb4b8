"""U-GAT-IT (Kim et al., ICLR 2020): networks and the training objective.

Networks follow the official PyTorch code (``znxlwm/UGATIT-pytorch``) layer by layer, so
the parameter counts equal SPEC.md: G full 278,959,808, G light 10,589,888 (256 px, ngf 64,
4 residual blocks), D global (n_layers 7) 53,130,176, D local (n_layers 5) 3,290,560
(trainable weights; ``keras.layers.SpectralNormalization`` adds one non-trainable ``u``
vector per convolution).

Layout is NHWC. Paddings are explicit (reflection, then a "valid" convolution) so every
output pixel is aligned exactly as in PyTorch.
"""

import dataclasses

import keras
import tensorflow as tf
from keras import layers, ops

from stargan_tf import losses
from stargan_tf.layers.adalin import AdaLIN, LayerInstanceNorm, clip_rho
from stargan_tf.layers.attention import CAMAttention
from stargan_tf.layers.normalization import InstanceNorm
from stargan_tf.layers.padding import ReflectionPadding2D
from stargan_tf.models.two_domain import TwoDomainSystem

# PyTorch's default Conv2d / Linear weight init, kaiming_uniform(a=sqrt(5)):
# U(-1/sqrt(fan_in), 1/sqrt(fan_in)) = VarianceScaling(1/3, fan_in, uniform). The
# official U-GAT-IT code keeps these defaults. (Biases start at 0 here, not U(+-1/sqrt(fan_in)).)
def torch_default_init():
    """A new initialiser per layer: one made at import time would carry a seed drawn before
    ``keras.utils.set_random_seed``, and runs would not be reproducible."""
    return keras.initializers.VarianceScaling(1.0 / 3.0, "fan_in", "uniform")


# ---- networks ------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="stargan_tf")
class NearestUpsampling2D(keras.layers.Layer):
    """x2 nearest-neighbour up-sampling (PyTorch ``nn.Upsample(2)``), written as each pixel
    stacked twice along W, then each row twice along H.

    Neither alternative fits every path we ship: ``keras.layers.UpSampling2D`` loses the
    height in a dynamic-batch SavedModel and then needs TFLite flex ops (research file
    Sec. 6); ``resize(nearest)`` has a gradient XLA cannot compile
    (``ResizeNearestNeighborGrad``, so ``--jit_compile`` failed). Stack + reshape lowers to
    PACK/RESHAPE in TFLite and differentiates anywhere.
    """

    def call(self, inputs):
        _, height, width, channels = ops.shape(inputs)
        x = ops.reshape(ops.stack([inputs, inputs], axis=3), (-1, height, width * 2, channels))
        return ops.reshape(ops.stack([x, x], axis=2), (-1, height * 2, width * 2, channels))

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        return (batch, None if height is None else 2 * height,
                None if width is None else 2 * width, channels)


def _conv(filters, kernel_size, strides=1, use_bias=False, name=None):
    return layers.Conv2D(
        filters, kernel_size, strides=strides, padding="valid", use_bias=use_bias,
        kernel_initializer=torch_default_init(), name=name,
    )


def ugatit_generator(image_size=256, ngf=64, n_res=4, light=False, channels=3,
                     unbiased_variance=False, name="generator"):
    """The U-GAT-IT generator (paper Fig. 1 and appendix Table; PT ``ResnetGenerator``).

    Encoder (c7s1-ngf, two stride-2 down-sampling convs, ``n_res`` residual blocks with
    instance norm), CAM attention, an MLP producing AdaLIN's gamma/beta (from the flattened
    feature map, or from its global average pool when ``light``), ``n_res`` AdaLIN residual
    blocks and two up-sampling blocks with LIN. No biases except the CAM 1x1 convolution.

    Returns:
        a functional ``keras.Model``: image ``[B, S, S, channels]`` in [-1, 1] ->
        ``(image, cam_logit [B, 2], heatmap [B, S/4, S/4, 1])``.
    """
    if image_size % 4:
        raise ValueError(f"image_size must be a multiple of 4, got {image_size}")
    inputs = keras.Input((image_size, image_size, channels), name="image")

    # Encoder: down-sampling (c7s1-64, d128, d256).
    x = ReflectionPadding2D(3)(inputs)
    x = _conv(ngf, 7, name="enc_conv0")(x)
    x = InstanceNorm(affine=False)(x)
    x = layers.ReLU()(x)
    for i in range(2):
        x = ReflectionPadding2D(1)(x)
        x = _conv(ngf * 2 ** (i + 1), 3, strides=2, name=f"enc_down{i + 1}")(x)
        x = InstanceNorm(affine=False)(x)
        x = layers.ReLU()(x)
    width = ngf * 4

    # Encoder bottleneck: residual blocks with instance norm.
    for i in range(n_res):
        y = ReflectionPadding2D(1)(x)
        y = _conv(width, 3, name=f"enc_res{i}_conv1")(y)
        y = InstanceNorm(affine=False)(y)
        y = layers.ReLU()(y)
        y = ReflectionPadding2D(1)(y)
        y = _conv(width, 3, name=f"enc_res{i}_conv2")(y)
        y = InstanceNorm(affine=False)(y)
        x = layers.Add()([x, y])

    # CAM attention (auxiliary classifier eta_s and the attention feature map).
    x, cam_logit, heatmap = CAMAttention(
        activation="relu", kernel_initializer=torch_default_init(), name="cam"
    )(x)

    # Gamma / beta of AdaLIN.
    if light:
        h = layers.GlobalAveragePooling2D()(x)
    else:
        # Ties the full generator to one image size: (S/4)^2 * 4 ngf inputs (268M weights at 256).
        h = layers.Flatten()(x)
    for i in range(2):
        h = layers.Dense(width, use_bias=False, kernel_initializer=torch_default_init(),
                         name=f"mlp_fc{i}")(h)
        h = layers.ReLU()(h)
    gamma = layers.Dense(width, use_bias=False, kernel_initializer=torch_default_init(),
                         name="gamma")(h)
    beta = layers.Dense(width, use_bias=False, kernel_initializer=torch_default_init(),
                        name="beta")(h)

    # Decoder bottleneck: residual blocks with AdaLIN.
    for i in range(n_res):
        y = ReflectionPadding2D(1)(x)
        y = _conv(width, 3, name=f"dec_res{i}_conv1")(y)
        y = AdaLIN(unbiased_variance=unbiased_variance, name=f"dec_res{i}_adalin1")(y, gamma, beta)
        y = layers.ReLU()(y)
        y = ReflectionPadding2D(1)(y)
        y = _conv(width, 3, name=f"dec_res{i}_conv2")(y)
        y = AdaLIN(unbiased_variance=unbiased_variance, name=f"dec_res{i}_adalin2")(y, gamma, beta)
        x = layers.Add()([x, y])

    # Up-sampling with LIN, then c7s1-3 and tanh.
    for i in range(2):
        x = NearestUpsampling2D()(x)
        x = ReflectionPadding2D(1)(x)
        x = _conv(width // 2 ** (i + 1), 3, name=f"dec_up{i + 1}")(x)
        x = LayerInstanceNorm(unbiased_variance=unbiased_variance, name=f"dec_up{i + 1}_lin")(x)
        x = layers.ReLU()(x)
    x = ReflectionPadding2D(3)(x)
    x = _conv(channels, 7, name="dec_out")(x)
    image = layers.Activation("tanh", dtype="float32")(x)
    return keras.Model(inputs, [image, cam_logit, heatmap], name=name)


def ugatit_discriminator(image_size=256, ndf=64, n_layers=7, channels=3, name="discriminator"):
    """U-GAT-IT's multi-scale PatchGAN discriminator with CAM (PT ``Discriminator``).

    ``n_layers`` 7 is the global D (286x286 receptive field, 6x6 patch logits at 256 px),
    5 the local D (70x70, 30x30 logits). Every 4x4 conv is spectrally normalised
    (``keras.layers.SpectralNormalization``) after a reflection pad of 1; the CAM
    classifiers are spectrally normalised, its 1x1 fusion conv is not.

    Note on spectral norm: Keras' wrapper overwrites the kernel with W / sigma(W) on every
    training-mode call and back-propagates to that stored kernel, whereas PyTorch keeps
    ``weight_orig`` and differentiates through sigma. Parameter counts are equal.

    Returns:
        a functional ``keras.Model``: image -> ``(patch_logit [B, P, P, 1], cam_logit [B, 2],
        heatmap [B, P+1, P+1, 1])``.
    """
    if n_layers < 3:
        raise ValueError(f"n_layers must be >= 3, got {n_layers}")
    inputs = keras.Input((image_size, image_size, channels), name="image")

    def sn_conv(x, filters, strides, use_bias, conv_name):
        x = ReflectionPadding2D(1)(x)
        conv = layers.Conv2D(filters, 4, strides=strides, padding="valid", use_bias=use_bias,
                             kernel_initializer=torch_default_init())
        return layers.SpectralNormalization(conv, name=conv_name)(x)

    x = sn_conv(inputs, ndf, 2, True, "conv0")
    x = layers.LeakyReLU(0.2)(x)
    filters = ndf
    for i in range(1, n_layers - 2):
        filters *= 2
        x = sn_conv(x, filters, 2, True, f"conv{i}")
        x = layers.LeakyReLU(0.2)(x)
    filters *= 2
    x = sn_conv(x, filters, 1, True, f"conv{n_layers - 2}")
    x = layers.LeakyReLU(0.2)(x)

    x, cam_logit, heatmap = CAMAttention(
        activation="leaky_relu", negative_slope=0.2, spectral_norm=True,
        kernel_initializer=torch_default_init(), name="cam",
    )(x)
    patch_logit = sn_conv(x, 1, 1, False, "patch_logit")
    return keras.Model(inputs, [patch_logit, cam_logit, heatmap], name=name)


def render_heatmap(heatmap, image_size):
    """Attention map -> colour image in [-1, 1] (min-max per example, resize, jet colormap),
    like the official test mode's ``cam()`` (which uses OpenCV's COLORMAP_JET)."""
    heatmap = tf.cast(heatmap, tf.float32)
    heatmap -= tf.reduce_min(heatmap, axis=[1, 2, 3], keepdims=True)
    heatmap /= tf.reduce_max(heatmap, axis=[1, 2, 3], keepdims=True) + 1e-8
    heatmap = tf.image.resize(heatmap, (image_size, image_size), method="bilinear")
    red = tf.clip_by_value(1.5 - tf.abs(4.0 * heatmap - 3.0), 0.0, 1.0)
    green = tf.clip_by_value(1.5 - tf.abs(4.0 * heatmap - 2.0), 0.0, 1.0)
    blue = tf.clip_by_value(1.5 - tf.abs(4.0 * heatmap - 1.0), 0.0, 1.0)
    return tf.concat([red, green, blue], axis=-1) * 2.0 - 1.0


def l2_penalty(variables, weight_decay):
    """0.5 * wd * sum ||v||^2, whose gradient wd * v is PyTorch Adam's (coupled) weight decay.

    Divided by the number of replicas because Keras sums gradients over replicas.
    """
    if not weight_decay:
        return tf.constant(0.0)
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    total = tf.add_n([tf.reduce_sum(tf.square(tf.cast(v, tf.float32))) for v in variables])
    return 0.5 * weight_decay * total / replicas


# ---- system ---------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class UGATITConfig:
    """Hyper-parameters, named and defaulted as the official code's flags (research Sec. 1.6).

    ``weight_decay`` is PyTorch Adam's L2 term (added to the gradients, not decoupled).
    ``num_iters`` is the official ``--iteration``; with ``decay`` the lr falls linearly to 0
    over its second half.
    """

    image_size: int = 256
    channels: int = 3
    ngf: int = 64
    ndf: int = 64
    n_res: int = 4
    light: bool = False
    global_n_layers: int = 7
    local_n_layers: int = 5
    adv_weight: float = 1.0
    cycle_weight: float = 10.0
    identity_weight: float = 10.0
    cam_weight: float = 1000.0
    lr: float = 1e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    weight_decay: float = 1e-4
    num_iters: int = 1_000_000
    decay: bool = True
    unbiased_variance: bool = False


class UGATIT(TwoDomainSystem):
    """U-GAT-IT: two CAM/AdaLIN generators and four CAM discriminators (global/local x A/B).

    Objective (paper Sec. 2.2; official PyTorch ``train``), per direction:
        D: LSGAN on the patch and CAM logits of the global and local D (real -> 1, fake -> 0).
        G: adv_weight * LSGAN(fake -> 1, 4 terms) + cycle_weight * L1 cycle
           + identity_weight * L1 identity + cam_weight * BCE(cam of source-domain input -> 1,
           cam of target-domain input -> 0).
    Every iteration: a D step (fakes held constant), then a G step, then rho is clipped.

    Args:
        global_batch_size: examples per step over all replicas.
        config: ``UGATITConfig``.
        seed: seed of the stateless draws (none are needed by this objective).
    """

    def __init__(self, global_batch_size, config=None, seed=0, name="ugatit", **kwargs):
        super().__init__(global_batch_size, seed=seed, name=name, **kwargs)
        self.config = config or UGATITConfig()
        c = self.config

        def generator(name):
            return ugatit_generator(c.image_size, c.ngf, c.n_res, c.light, c.channels,
                                    c.unbiased_variance, name=name)

        def discriminator(n_layers, name):
            return ugatit_discriminator(c.image_size, c.ndf, n_layers, c.channels, name=name)

        self.generator_a2b = generator("generator_a2b")
        self.generator_b2a = generator("generator_b2a")
        self.disc_global_a = discriminator(c.global_n_layers, "disc_global_a")
        self.disc_global_b = discriminator(c.global_n_layers, "disc_global_b")
        self.disc_local_a = discriminator(c.local_n_layers, "disc_local_a")
        self.disc_local_b = discriminator(c.local_n_layers, "disc_local_b")

    # ---- contract ----------------------------------------------------------------------
    def networks(self):
        return {
            "generator_a2b": self.generator_a2b,
            "generator_b2a": self.generator_b2a,
            "disc_global_a": self.disc_global_a,
            "disc_global_b": self.disc_global_b,
            "disc_local_a": self.disc_local_a,
            "disc_local_b": self.disc_local_b,
        }

    def build_networks(self):
        c = self.config
        dummy = tf.zeros((1, c.image_size, c.image_size, c.channels))
        for network in self.networks().values():
            network(dummy, training=False)

    def steps_for(self, iteration):
        return ("discriminator_step", "generator_step")

    # ---- step functions ----------------------------------------------------------------
    def discriminator_step(self, batch, iteration):
        c = self.config
        real_a, real_b = batch["image_a"], batch["image_b"]
        # Fakes are constants for D (the official code forgets to detach them; issue #21).
        fake_a2b = tf.stop_gradient(self.generator_a2b(real_a, training=True)[0])
        fake_b2a = tf.stop_gradient(self.generator_b2a(real_b, training=True)[0])
        optimizer = self.optimizers["discriminator"]
        variables = self._discriminator_variables()
        with tf.GradientTape() as tape:
            adv, cam = 0.0, 0.0
            for disc, real, fake in (
                (self.disc_global_a, real_a, fake_b2a),
                (self.disc_local_a, real_a, fake_b2a),
                (self.disc_global_b, real_b, fake_a2b),
                (self.disc_local_b, real_b, fake_a2b),
            ):
                # One call on [real; fake]: the discriminators have no batch-coupled layers.
                logit, cam_logit, _ = disc(tf.concat([real, fake], axis=0), training=True)
                real_logit, fake_logit = tf.split(logit, 2, axis=0)
                real_cam, fake_cam = tf.split(cam_logit, 2, axis=0)
                adv += self.average(losses.lsgan(real_logit, 1.0) + losses.lsgan(fake_logit, 0.0))
                cam += self.average(losses.lsgan(real_cam, 1.0) + losses.lsgan(fake_cam, 0.0))
            d_loss = c.adv_weight * (adv + cam)
            decay = l2_penalty(variables, c.weight_decay)
            scaled = optimizer.scale_loss(d_loss + decay)
        self.update(optimizer, tape, scaled, variables)
        return {"d_adv": adv, "d_cam": cam, "d_loss": d_loss, "d_weight_decay": decay}

    def generator_step(self, batch, iteration):
        c = self.config
        real_a, real_b = batch["image_a"], batch["image_b"]
        optimizer = self.optimizers["generator"]
        variables = self._generator_variables()
        g_ab, g_ba = self.generator_a2b, self.generator_b2a
        with tf.GradientTape() as tape:
            fake_a2b, cam_a2b, _ = g_ab(real_a, training=True)
            fake_b2a, cam_b2a, _ = g_ba(real_b, training=True)
            rec_a = g_ba(fake_a2b, training=True)[0]
            rec_b = g_ab(fake_b2a, training=True)[0]
            identity_a, cam_a2a, _ = g_ba(real_a, training=True)
            identity_b, cam_b2b, _ = g_ab(real_b, training=True)

            adv, adv_cam = 0.0, 0.0
            for disc, fake in (
                (self.disc_global_a, fake_b2a), (self.disc_local_a, fake_b2a),
                (self.disc_global_b, fake_a2b), (self.disc_local_b, fake_a2b),
            ):
                logit, cam_logit, _ = disc(fake, training=True)
                adv += self.average(losses.lsgan(logit, 1.0))
                adv_cam += self.average(losses.lsgan(cam_logit, 1.0))
            cycle = self.average(losses.l1(rec_a, real_a) + losses.l1(rec_b, real_b))
            identity = self.average(losses.l1(identity_a, real_a) + losses.l1(identity_b, real_b))
            # The generator's CAM classifier tells its source domain (-> 1) from its target
            # domain (the identity input, -> 0).
            cam = self.average(
                losses.bce_with_logits(cam_b2a, 1.0) + losses.bce_with_logits(cam_a2a, 0.0)
                + losses.bce_with_logits(cam_a2b, 1.0) + losses.bce_with_logits(cam_b2b, 0.0)
            )
            g_loss = (c.adv_weight * (adv + adv_cam) + c.cycle_weight * cycle
                      + c.identity_weight * identity + c.cam_weight * cam)
            decay = l2_penalty(variables, c.weight_decay)
            scaled = optimizer.scale_loss(g_loss + decay)
        self.update(optimizer, tape, scaled, variables)
        # RhoClipper(0, 1) after every generator update (the weight constraint already
        # clipped inside optimizer.apply; this keeps the contract explicit and idempotent).
        clip_rho(g_ab)
        clip_rho(g_ba)
        return {"g_adv": adv, "g_adv_cam": adv_cam, "g_cycle": cycle, "g_identity": identity,
                "g_cam": cam, "g_loss": g_loss, "g_weight_decay": decay}

    # ---- sampling / test mode / export -------------------------------------------------
    def _direction_columns(self, prefix, real, generator, back, disc_global, disc_local):
        size = self.config.image_size
        fake, _, heatmap = generator(real, training=False)
        _, _, global_heatmap = disc_global(fake, training=False)
        _, _, local_heatmap = disc_local(fake, training=False)
        rec = back(fake, training=False)[0]
        source, target = prefix[0], prefix[-1]
        return [
            (source, real),
            (prefix, fake),
            (f"{prefix}_cam", render_heatmap(heatmap, size)),
            (f"{prefix}_disc_global_cam", render_heatmap(global_heatmap, size)),
            (f"{prefix}_disc_local_cam", render_heatmap(local_heatmap, size)),
            (f"{prefix}2{source}", rec),
        ]

    def translation_columns(self, batch):
        """Columns per input domain present in ``batch``: the real image, its translation,
        the generator's attention map, the target-domain global / local discriminators'
        attention maps on the translation, and the cycle reconstruction."""
        columns = []
        if "image_a" in batch:
            columns += self._direction_columns(
                "A2B", batch["image_a"], self.generator_a2b, self.generator_b2a,
                self.disc_global_b, self.disc_local_b)
        if "image_b" in batch:
            columns += self._direction_columns(
                "B2A", batch["image_b"], self.generator_b2a, self.generator_a2b,
                self.disc_global_a, self.disc_local_a)
        return columns

    def discriminators(self):
        return [self.disc_global_a, self.disc_global_b, self.disc_local_a, self.disc_local_b]

    def decay_start(self):
        # Official: from num_iters / 2 on, lr -= lr0 / (num_iters / 2) per step.
        return self.config.num_iters // 2 if self.config.decay else self.config.num_iters

    def serving_metadata(self):
        return {"light": self.config.light, "ngf": self.config.ngf, "n_res": self.config.n_res}

    def translate(self, generator, image):
        return tf.cast(generator(image, training=False)[0], tf.float32)
