"""U-GAT-IT (Kim et al., ICLR 2020): the training objective."""

import tensorflow as tf

from stargan_tf import losses
from stargan_tf.export.spec import MASK, ServingOutput
from stargan_tf.layers.adalin import clip_rho
from stargan_tf.models.base import OUTPUT, VISUAL, Column
from stargan_tf.models.two_domain import TwoDomainSystem
from stargan_tf.models.ugatit.networks import ugatit_discriminator, ugatit_generator
from stargan_tf.training.visualize import heatmap_to_rgb, normalise_heatmap


class UGATIT(TwoDomainSystem):
    """U-GAT-IT: two CAM/AdaLIN generators and four CAM discriminators (global/local x A/B).

    Objective (paper Sec. 2.2; official PyTorch ``train``), per direction:
        D: LSGAN on the patch and CAM logits of the global and local D (real -> 1, fake -> 0).
        G: adv_weight * LSGAN(fake -> 1, 4 terms) + cycle_weight * L1 cycle
           + identity_weight * L1 identity + cam_weight * BCE(cam of source-domain input -> 1,
           cam of target-domain input -> 0).
    Every iteration: a D update (fakes held constant), then a G update, then rho is clipped.

    Args:
        config: ``UGATITConfig``.
    """

    serving_outputs = (ServingOutput("translated"),
                       ServingOutput("heatmap", MASK, "the generator's CAM attention map, min-max scaled to [0, 1] "
                                                      "per example, then resized to the image size (bilinear)"))

    def __init__(self, config, name="ugatit", **kwargs):
        super().__init__(config, name=name, **kwargs)
        c = self.config

        def generator(name):
            return ugatit_generator(c.image_size, c.ch, c.n_res, c.light, unbiased_variance=c.unbiased_variance,
                                    name=name)

        def discriminator(n_layers, name):
            return ugatit_discriminator(c.image_size, c.ch, n_layers, name=name)

        self.generator_a2b = generator("generator_a2b")
        self.generator_b2a = generator("generator_b2a")
        self.disc_global_a = discriminator(c.global_n_layers, "disc_global_a")
        self.disc_global_b = discriminator(c.global_n_layers, "disc_global_b")
        self.disc_local_a = discriminator(c.local_n_layers, "disc_local_a")
        self.disc_local_b = discriminator(c.local_n_layers, "disc_local_b")

    # ---- contract ----------------------------------------------------------------------
    def torch_layout(self):
        """znxlwm/UGATIT-pytorch's ``<dataset>_params_<iteration>.pt``: the six networks'
        state dicts in one file (``pytorch``)."""
        from stargan_tf.models.config import ConfigError
        from stargan_tf.models.ugatit import pytorch
        from stargan_tf.porting.importer import TorchNetwork

        c = self.config
        if not c.unbiased_variance:
            raise ConfigError("UGATIT-pytorch's AdaLIN and LIN divide variances by N - 1: import (and test, export, "
                              "train the run) with --unbiased_variance=true.")
        pattern, file_name = r".+_params_(\d+)\.pt", "<dataset>_params_<iteration>.pt"
        generator = pytorch.generator_entries(c.image_size, c.ch, c.n_res, c.light)
        sizes = {"FC.0.weight": "the full model's first FC layer reads (image_size / 4)^2 x 4 ch values: give the "
                                "checkpoint's --image_size, or --light=true for a light model"}
        layout = [TorchNetwork(ours, pattern, file_name, generator, key=theirs, required=True, hints=sizes)
                  for ours, theirs in (("generator_a2b", "genA2B"), ("generator_b2a", "genB2A"))]
        for ours, theirs, layers in (("disc_global_a", "disGA", c.global_n_layers),
                                     ("disc_global_b", "disGB", c.global_n_layers),
                                     ("disc_local_a", "disLA", c.local_n_layers),
                                     ("disc_local_b", "disLB", c.local_n_layers)):
            layout.append(TorchNetwork(ours, pattern, file_name, pytorch.discriminator_entries(c.ch, layers),
                                       key=theirs, ignored=pytorch.DISCRIMINATOR_IGNORED))
        return layout

    def networks(self):
        return {
            "generator_a2b": self.generator_a2b,
            "generator_b2a": self.generator_b2a,
            "disc_global_a": self.disc_global_a,
            "disc_global_b": self.disc_global_b,
            "disc_local_a": self.disc_local_a,
            "disc_local_b": self.disc_local_b,
        }

    def discriminators(self):
        return [self.disc_global_a, self.disc_global_b, self.disc_local_a, self.disc_local_b]

    def decay_start(self):
        # Official: from num_iters / 2 on, lr -= lr0 / (num_iters / 2) per step.
        return self.config.num_iters // 2 if self.config.decay else self.config.num_iters

    def serving_metadata(self):
        return {"light": self.config.light, "ch": self.config.ch, "n_res": self.config.n_res}

    def steps_for(self, iteration):
        return ("discriminator_and_generator_step",)

    # ---- step functions ----------------------------------------------------------------
    def discriminator_and_generator_step(self, batch, iteration):
        """The D update, then the G update (the official order).

        The translations of the real images, G_a2b(a) and G_b2a(b), are computed once, on G's
        tape, and serve both updates: D takes them as constants (the official code forgets to
        detach them; issue #21), G back-propagates through them. The official code runs them
        again with the same weights for G's update (2 of its 8 generator passes)."""
        with tf.GradientTape() as tape:
            a2b = self.generator_a2b(batch["image_a"], training=True)
            b2a = self.generator_b2a(batch["image_b"], training=True)
        logs = self._discriminator_update(batch, a2b[0], b2a[0])
        logs.update(self._generator_update(batch, a2b, b2a, tape))
        return logs

    def _discriminator_update(self, batch, fake_a2b, fake_b2a):
        c = self.config
        real_a, real_b = batch["image_a"], batch["image_b"]
        fake_a2b, fake_b2a = tf.stop_gradient(fake_a2b), tf.stop_gradient(fake_b2a)
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
            decay = losses.l2_penalty(variables, c.weight_decay)
            scaled = optimizer.scale_loss(d_loss + decay)
        self.update(optimizer, tape, scaled, variables)
        return {"D/loss_adv": adv, "D/loss_cam": cam, "D/loss": d_loss, "D/weight_decay": decay}

    def _generator_update(self, batch, a2b, b2a, tape):
        """G's update from the translations ``a2b = G_a2b(a)`` and ``b2a = G_b2a(b)`` (each
        ``(image, cam_logit, heatmap)``), recorded on ``tape``, which goes on recording here
        (D's update since then changed only D's weights)."""
        c = self.config
        real_a, real_b = batch["image_a"], batch["image_b"]
        optimizer = self.optimizers["generator"]
        variables = self._generator_variables()
        g_ab, g_ba = self.generator_a2b, self.generator_b2a
        (fake_a2b, cam_a2b, _), (fake_b2a, cam_b2a, _) = a2b, b2a
        with tape:
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
            decay = losses.l2_penalty(variables, c.weight_decay)
            scaled = optimizer.scale_loss(g_loss + decay)
        self.update(optimizer, tape, scaled, variables)
        # RhoClipper(0, 1) after every generator update (the weight constraint already
        # clipped inside optimizer.apply; this keeps the contract explicit and idempotent).
        clip_rho(g_ab)
        clip_rho(g_ba)
        return {"G/loss_adv": adv, "G/loss_adv_cam": adv_cam, "G/loss_cycle": cycle, "G/loss_identity": identity,
                "G/loss_cam": cam, "G/loss": g_loss, "G/weight_decay": decay}

    # ---- looking at results and shipping --------------------------------------------------
    def translate(self, generator, image):
        translated, _, heatmap = generator(image, training=False)
        return {"translated": tf.cast(translated, tf.float32),
                "heatmap": normalise_heatmap(heatmap, self.config.image_size)}

    def direction_columns(self, name, real, forward, backward):
        """The translation, the generator's attention map, the target domain's global and
        local discriminators' attention maps on the translation, the cycle reconstruction."""
        size = self.config.image_size
        fake, _, heatmap = self.infer(forward, real)
        disc_global, disc_local = ((self.disc_global_b, self.disc_local_b) if name == "A2B"
                                   else (self.disc_global_a, self.disc_local_a))
        _, _, global_heatmap = self.infer(disc_global, fake)
        _, _, local_heatmap = self.infer(disc_local, fake)
        return [
            Column(name, fake, OUTPUT),
            Column(f"{name}_cam", heatmap_to_rgb(normalise_heatmap(heatmap, size)), VISUAL),
            Column(f"{name}_disc_global_cam", heatmap_to_rgb(normalise_heatmap(global_heatmap, size)), VISUAL),
            Column(f"{name}_disc_local_cam", heatmap_to_rgb(normalise_heatmap(local_heatmap, size)), VISUAL),
            Column(f"{name}2{name[0]}", self.infer(backward, fake)[0], VISUAL),
        ]
