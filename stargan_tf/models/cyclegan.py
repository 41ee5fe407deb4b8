"""CycleGAN (Zhu et al., ICCV 2017): networks and the training objective.

Networks follow the official PyTorch code (``junyanz/pytorch-CycleGAN-and-pix2pix``,
``--netG resnet_9blocks --netD basic --norm instance``): parameter counts equal SPEC.md,
G 11,378,179 (9 blocks) / 7,837,699 (6 blocks), D 2,764,737. Layout is NHWC; paddings are
explicit so every output pixel is aligned exactly as in PyTorch (Keras' "same" padding
with stride 2 pads only the bottom/right and shifts the grid by one pixel).
"""

import dataclasses

import keras
import tensorflow as tf
from keras import layers

from stargan_tf import losses
from stargan_tf.layers.normalization import InstanceNorm
from stargan_tf.layers.padding import ReflectionPadding2D
from stargan_tf.models.two_domain import TwoDomainSystem
from stargan_tf.training.image_pool import ImagePool

# The official ``--init_type normal --init_gain 0.02``: weights N(0, 0.02), biases 0.
def cyclegan_init():
    """A new initialiser per layer: one made at import time would carry a seed drawn before
    ``keras.utils.set_random_seed``, and runs would not be reproducible."""
    return keras.initializers.RandomNormal(0.0, 0.02)


def _conv(filters, kernel_size, strides=1, name=None):
    # use_bias=True: the official code keeps biases when the norm is InstanceNorm2d.
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="valid",
                         use_bias=True, kernel_initializer=cyclegan_init(), name=name)


def cyclegan_generator(image_size=256, ngf=64, n_blocks=9, channels=3, name="generator"):
    """ResNet generator (paper appendix 7.2): c7s1-64, d128, d256, R256 x n_blocks, u128,
    u64, c7s1-3, tanh; instance norm without affine parameters, reflection padding in the
    7x7 and residual convolutions, zero padding in the stride-2 ones.

    Returns:
        a functional ``keras.Model``: image ``[B, S, S, channels]`` -> image in [-1, 1].
    """
    inputs = keras.Input((image_size, image_size, channels), name="image")
    x = ReflectionPadding2D(3)(inputs)
    x = _conv(ngf, 7, name="c7s1")(x)
    x = InstanceNorm(affine=False)(x)
    x = layers.ReLU()(x)
    for i in range(2):  # d128, d256
        x = layers.ZeroPadding2D(1)(x)
        x = _conv(ngf * 2 ** (i + 1), 3, strides=2, name=f"d{ngf * 2 ** (i + 1)}")(x)
        x = InstanceNorm(affine=False)(x)
        x = layers.ReLU()(x)
    width = ngf * 4
    for i in range(n_blocks):  # R256
        y = ReflectionPadding2D(1)(x)
        y = _conv(width, 3, name=f"r{i}_conv1")(y)
        y = InstanceNorm(affine=False)(y)
        y = layers.ReLU()(y)
        y = ReflectionPadding2D(1)(y)
        y = _conv(width, 3, name=f"r{i}_conv2")(y)
        y = InstanceNorm(affine=False)(y)
        x = layers.Add()([x, y])
    for i in range(2):  # u128, u64
        filters = width // 2 ** (i + 1)
        # PyTorch ConvTranspose2d(k3, s2, padding=1, output_padding=1): the full (2S + 1)
        # output cropped by one pixel at the top/left.
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="valid", use_bias=True,
                                   kernel_initializer=cyclegan_init(), name=f"u{filters}")(x)
        x = layers.Cropping2D(((1, 0), (1, 0)))(x)
        x = InstanceNorm(affine=False)(x)
        x = layers.ReLU()(x)
    x = ReflectionPadding2D(3)(x)
    x = _conv(channels, 7, name="c7s1_out")(x)
    image = layers.Activation("tanh", dtype="float32")(x)
    return keras.Model(inputs, image, name=name)


def patchgan_discriminator(image_size=256, ndf=64, n_layers=3, channels=3,
                           name="discriminator"):
    """70x70 PatchGAN (paper appendix 7.2: C64-C128-C256-C512, then a 1-channel conv);
    4x4 convs with zero padding 1, instance norm from the second conv on, LeakyReLU 0.2.

    Returns:
        a functional ``keras.Model``: image -> patch logits ``[B, 30, 30, 1]`` at 256 px.
    """
    inputs = keras.Input((image_size, image_size, channels), name="image")
    x = layers.ZeroPadding2D(1)(inputs)
    x = _conv(ndf, 4, strides=2, name="conv0")(x)
    x = layers.LeakyReLU(0.2)(x)
    filters = ndf
    for i in range(1, n_layers + 1):
        filters = ndf * min(2 ** i, 8)
        x = layers.ZeroPadding2D(1)(x)
        x = _conv(filters, 4, strides=2 if i < n_layers else 1, name=f"conv{i}")(x)
        x = InstanceNorm(affine=False)(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D(1)(x)
    logits = _conv(1, 4, name="patch_logit")(x)
    return keras.Model(inputs, logits, name=name)


@dataclasses.dataclass(frozen=True)
class CycleGANConfig:
    """Hyper-parameters with the official defaults (research Sec. 3).

    ``lambda_identity`` multiplies ``lambda_cycle`` (official ``--lambda_identity 0.5``, an
    effective identity weight of 5). The lr is constant for the first ``decay_start``
    iterations (default: half of ``num_iters``, the official 100 + 100 epochs) and then falls
    linearly to 0 at ``num_iters``.
    """

    image_size: int = 256
    channels: int = 3
    ngf: int = 64
    ndf: int = 64
    n_blocks: int = 9
    n_layers_d: int = 3
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5
    pool_size: int = 50
    lr: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    num_iters: int = 200 * 1000
    decay_start: int = None


class CycleGAN(TwoDomainSystem):
    """CycleGAN: G_AB, G_BA, D_A, D_B with LSGAN, cycle and identity losses (paper Eq. 1-3).

    G step: LSGAN(D_B(G_AB(a)) -> 1) + LSGAN(D_A(G_BA(b)) -> 1)
            + lambda_cycle * (|G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b|)
            + lambda_cycle * lambda_identity * (|G_BA(a) - a| + |G_AB(b) - b|).
    D step: 0.5 * (LSGAN(D(real) -> 1) + LSGAN(D(pooled fake) -> 0)) per discriminator, the
            fakes drawn through a 50-image history pool.

    Order per iteration as in the official code: G step, then D step. The D step generates
    its fakes again with the just-updated generators (the official code reuses the fakes of
    the G step's forward pass, made before that update); one extra G forward per direction.

    Args:
        global_batch_size: examples per step over all replicas.
        config: ``CycleGANConfig``.
        seed: seed of the image pool's stateless draws.
    """

    def __init__(self, global_batch_size, config=None, seed=0, name="cyclegan", **kwargs):
        super().__init__(global_batch_size, seed=seed, name=name, **kwargs)
        self.config = config or CycleGANConfig()
        c = self.config
        self.generator_a2b = cyclegan_generator(c.image_size, c.ngf, c.n_blocks, c.channels,
                                                name="generator_a2b")
        self.generator_b2a = cyclegan_generator(c.image_size, c.ngf, c.n_blocks, c.channels,
                                                name="generator_b2a")
        self.disc_a = patchgan_discriminator(c.image_size, c.ndf, c.n_layers_d, c.channels,
                                             name="disc_a")
        self.disc_b = patchgan_discriminator(c.image_size, c.ndf, c.n_layers_d, c.channels,
                                             name="disc_b")
        shape = (c.image_size, c.image_size, c.channels)
        self.pool_a = ImagePool(c.pool_size, shape, name="pool_a")  # fakes of domain A
        self.pool_b = ImagePool(c.pool_size, shape, name="pool_b")

    # ---- contract ----------------------------------------------------------------------
    def networks(self):
        return {"generator_a2b": self.generator_a2b, "generator_b2a": self.generator_b2a,
                "disc_a": self.disc_a, "disc_b": self.disc_b}

    def build_networks(self):
        c = self.config
        dummy = tf.zeros((1, c.image_size, c.image_size, c.channels))
        for network in self.networks().values():
            network(dummy, training=False)

    def extra_checkpoint_state(self):
        """The image pools, checkpointed with the networks so a resumed run continues
        with the same history of fakes."""
        return {"pool_a": self.pool_a, "pool_b": self.pool_b}

    def steps_for(self, iteration):
        return ("generator_step", "discriminator_step")

    # ---- step functions ----------------------------------------------------------------
    def generator_step(self, batch, iteration):
        c = self.config
        real_a, real_b = batch["image_a"], batch["image_b"]
        g_ab, g_ba = self.generator_a2b, self.generator_b2a
        optimizer = self.optimizers["generator"]
        variables = self._generator_variables()
        with tf.GradientTape() as tape:
            fake_b = g_ab(real_a, training=True)
            fake_a = g_ba(real_b, training=True)
            rec_a = g_ba(fake_b, training=True)
            rec_b = g_ab(fake_a, training=True)
            adv = self.average(losses.lsgan(self.disc_b(fake_b, training=True), 1.0)
                               + losses.lsgan(self.disc_a(fake_a, training=True), 1.0))
            cycle = self.average(losses.l1(rec_a, real_a) + losses.l1(rec_b, real_b))
            g_loss = adv + c.lambda_cycle * cycle
            result = {"g_adv": adv, "g_cycle": cycle}
            if c.lambda_identity > 0:
                identity = self.average(losses.l1(g_ba(real_a, training=True), real_a)
                                        + losses.l1(g_ab(real_b, training=True), real_b))
                g_loss += c.lambda_cycle * c.lambda_identity * identity
                result["g_identity"] = identity
            scaled = optimizer.scale_loss(g_loss)
        self.update(optimizer, tape, scaled, variables)
        result["g_loss"] = g_loss
        return result

    def discriminator_step(self, batch, iteration):
        real_a, real_b = batch["image_a"], batch["image_b"]
        fake_b = tf.stop_gradient(self.generator_a2b(real_a, training=True))
        fake_a = tf.stop_gradient(self.generator_b2a(real_b, training=True))
        fake_a = self.pool_a.query(fake_a, self.global_uniform(iteration, salt=1, shape=(2,)))
        fake_b = self.pool_b.query(fake_b, self.global_uniform(iteration, salt=2, shape=(2,)))
        optimizer = self.optimizers["discriminator"]
        variables = self._discriminator_variables()
        with tf.GradientTape() as tape:
            terms = {}
            for key, disc, real, fake in (("a", self.disc_a, real_a, fake_a),
                                          ("b", self.disc_b, real_b, fake_b)):
                # Instance norm is per example, so one call on [real; fake] is exact.
                real_logit, fake_logit = tf.split(
                    disc(tf.concat([real, fake], axis=0), training=True), 2, axis=0)
                terms[key] = 0.5 * self.average(
                    losses.lsgan(real_logit, 1.0) + losses.lsgan(fake_logit, 0.0))
            d_loss = terms["a"] + terms["b"]
            scaled = optimizer.scale_loss(d_loss)
        self.update(optimizer, tape, scaled, variables)
        return {"d_a": terms["a"], "d_b": terms["b"], "d_loss": d_loss}

    # ---- sampling / test mode / export -------------------------------------------------
    def translation_columns(self, batch):
        """Per input domain present in ``batch``: real, translation, cycle reconstruction."""
        columns = []
        for key, prefix, forward, back in (
            ("image_a", "A2B", self.generator_a2b, self.generator_b2a),
            ("image_b", "B2A", self.generator_b2a, self.generator_a2b),
        ):
            if key in batch:
                fake = forward(batch[key], training=False)
                columns += [(prefix[0], batch[key]), (prefix, fake),
                            (f"{prefix}2{prefix[0]}", back(fake, training=False))]
        return columns

    def discriminators(self):
        return [self.disc_a, self.disc_b]

    def decay_start(self):
        return self.config.num_iters // 2 if self.config.decay_start is None else self.config.decay_start

    def serving_metadata(self):
        return {"n_blocks": self.config.n_blocks, "ngf": self.config.ngf}
