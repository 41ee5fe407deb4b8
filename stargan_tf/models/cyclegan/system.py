"""CycleGAN (Zhu et al., ICCV 2017): the training objective."""

import tensorflow as tf

from stargan_tf import losses
from stargan_tf.models.base import OUTPUT, VISUAL, Column
from stargan_tf.models.cyclegan.networks import cyclegan_generator, patchgan_discriminator
from stargan_tf.models.two_domain import TwoDomainSystem
from stargan_tf.training.image_pool import ImagePool


class CycleGAN(TwoDomainSystem):
    """CycleGAN: G_AB, G_BA, D_A, D_B with LSGAN, cycle and identity losses (paper Eq. 1-3).

    G step: LSGAN(D_B(G_AB(a)) -> 1) + LSGAN(D_A(G_BA(b)) -> 1)
            + cycle_weight * (|G_BA(G_AB(a)) - a| + |G_AB(G_BA(b)) - b|)
            + cycle_weight * lambda_identity * (|G_BA(a) - a| + |G_AB(b) - b|).
    D step: 0.5 * (LSGAN(D(real) -> 1) + LSGAN(D(pooled fake) -> 0)) per discriminator, the
            fakes drawn through a 50-image history pool (Shrivastava et al. 2017).

    One replica step per iteration, ordered as the official ``optimize_parameters``: the G
    update, then the D update on the fakes of that same forward pass (made before the G
    update), through the pools.

    Args:
        config: ``CycleGANConfig``.
    """

    def __init__(self, config, name="cyclegan", **kwargs):
        super().__init__(config, name=name, **kwargs)
        c = self.config
        self.generator_a2b = cyclegan_generator(c.image_size, c.ch, c.n_res, name="generator_a2b")
        self.generator_b2a = cyclegan_generator(c.image_size, c.ch, c.n_res, name="generator_b2a")
        self.disc_a = patchgan_discriminator(c.image_size, c.ch, name="disc_a")
        self.disc_b = patchgan_discriminator(c.image_size, c.ch, name="disc_b")
        shape = (c.image_size, c.image_size, 3)
        self.pool_a = ImagePool(c.pool_size, shape, name="pool_a")  # fakes of domain A
        self.pool_b = ImagePool(c.pool_size, shape, name="pool_b")

    # ---- contract ----------------------------------------------------------------------
    def networks(self):
        return {"generator_a2b": self.generator_a2b, "generator_b2a": self.generator_b2a,
                "disc_a": self.disc_a, "disc_b": self.disc_b}

    def discriminators(self):
        return [self.disc_a, self.disc_b]

    def torch_layout(self):
        """junyanz/pytorch-CycleGAN-and-pix2pix's ``<epoch>_net_<G_A|G_B|D_A|D_B>.pth`` (or
        ``latest_net_*``, ``iter_<n>_net_*``; ``pytorch``). G_A translates A to B; D_A judges
        domain B (G_A's fakes, official ``backward_D_A``), so it is our ``disc_b``, and D_B our
        ``disc_a``. The files count epochs (or images), not iterations: the run starts at
        iteration 0. A single generator (``test_model.py``'s ``latest_net_G.pth``, or a model-zoo
        download such as ``horse2zebra.pth``) is ``generator_a2b``: test with
        ``--direction=a2b``; without the others training refuses."""
        from stargan_tf.models.cyclegan import pytorch
        from stargan_tf.porting.importer import TorchNetwork

        c = self.config
        tag = r"(\d+|latest|iter_\d+)"
        generator = dict(entries=pytorch.generator_entries(c.ch, c.n_res), hints=pytorch.generator_hints(c.ch, c.n_res),
                         iteration=lambda epoch: 0)
        discriminator = dict(entries=pytorch.discriminator_entries(), hints=pytorch.discriminator_hints(c.ch),
                             iteration=lambda epoch: 0)
        return [
            TorchNetwork("generator_a2b", tag + r"_net_G_A\.pth", "<epoch>_net_G_A.pth", required=True, **generator),
            TorchNetwork("generator_a2b", tag + r"_net_G\.pth", "<epoch>_net_G.pth", **generator),
            TorchNetwork("generator_a2b", r"(?!.*_net_[GD])(.+)\.pth", "<model-zoo name>.pth", **generator),
            TorchNetwork("generator_b2a", tag + r"_net_G_B\.pth", "<epoch>_net_G_B.pth", **generator),
            TorchNetwork("disc_b", tag + r"_net_D_A\.pth", "<epoch>_net_D_A.pth", **discriminator),
            TorchNetwork("disc_a", tag + r"_net_D_B\.pth", "<epoch>_net_D_B.pth", **discriminator),
        ]

    def checkpoint_state(self):
        """The image pools: a resumed run continues with the same history of fakes."""
        return {"pool_a": self.pool_a, "pool_b": self.pool_b}

    def steps_for(self, iteration):
        return ("train_step",)

    def decay_start(self):
        return self.config.num_iters // 2

    def serving_metadata(self):
        return {"n_res": self.config.n_res, "ch": self.config.ch}

    # ---- step functions ----------------------------------------------------------------
    def train_step(self, batch, iteration):
        """The G update, then the D update on the fakes G made in it."""
        logs, fake_a, fake_b = self.generator_update(batch)
        logs.update(self.discriminator_update(batch, fake_a, fake_b, iteration))
        return logs

    def generator_update(self, batch):
        """Update both generators; return their logs and the fakes (domain A, domain B) of
        this forward pass."""
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
            g_loss = adv + c.cycle_weight * cycle
            logs = {"G/loss_adv": adv, "G/loss_cycle": cycle}
            if c.lambda_identity > 0:
                identity = self.average(losses.l1(g_ba(real_a, training=True), real_a)
                                        + losses.l1(g_ab(real_b, training=True), real_b))
                g_loss += c.cycle_weight * c.lambda_identity * identity
                logs["G/loss_identity"] = identity
            scaled = optimizer.scale_loss(g_loss)
        self.update(optimizer, tape, scaled, variables)
        logs["G/loss"] = g_loss
        return logs, tf.stop_gradient(fake_a), tf.stop_gradient(fake_b)

    def discriminator_update(self, batch, fake_a, fake_b, iteration):
        """Update both discriminators on real images and the pools' answers to ``fake_a`` /
        ``fake_b``."""
        real_a, real_b = batch["image_a"], batch["image_b"]
        fake_a = self.pool_a.query(fake_a, self.global_uniform(iteration, salt=1, shape=(2,)))
        fake_b = self.pool_b.query(fake_b, self.global_uniform(iteration, salt=2, shape=(2,)))
        optimizer = self.optimizers["discriminator"]
        variables = self._discriminator_variables()
        with tf.GradientTape() as tape:
            terms = {}
            for key, disc, real, fake in (("a", self.disc_a, real_a, fake_a), ("b", self.disc_b, real_b, fake_b)):
                # Instance norm is per example, so one call on [real; fake] is exact.
                real_logit, fake_logit = tf.split(disc(tf.concat([real, fake], axis=0), training=True), 2, axis=0)
                terms[key] = 0.5 * self.average(losses.lsgan(real_logit, 1.0) + losses.lsgan(fake_logit, 0.0))
            d_loss = terms["a"] + terms["b"]
            scaled = optimizer.scale_loss(d_loss)
        self.update(optimizer, tape, scaled, variables)
        return {"D/loss_a": terms["a"], "D/loss_b": terms["b"], "D/loss": d_loss}

    # ---- looking at results and shipping --------------------------------------------------
    def translate(self, generator, image):
        return {"translated": tf.cast(generator(image, training=False), tf.float32)}

    def direction_columns(self, name, real, forward, backward):
        """The translation and its cycle reconstruction."""
        fake = self.infer(forward, real)
        return [Column(name, fake, OUTPUT), Column(f"{name}2{name[0]}", self.infer(backward, fake), VISUAL)]
