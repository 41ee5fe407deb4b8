"""SaGAN (Zhang et al., ECCV 2018): one binary face attribute edited only where it lives."""

import tensorflow as tf

from stargan_tf import losses
from stargan_tf.export.spec import BINARY, MASK, Condition, ServingBundle, ServingEndpoint, ServingInput, ServingOutput
from stargan_tf.models.base import INPUT, OUTPUT, VISUAL, Column, GANSystem
from stargan_tf.models.sagan.networks import (attribute_manipulation_network, sagan_discriminator,
                                              spatial_attention_network)
from stargan_tf.training.visualize import heatmap_to_rgb


def blend(edited, mask, image):
    """Paper Eq. 1: ``AMN(x, c) * m + x * (1 - m)``, the edit inside the mask and the input
    untouched outside it (exactly the input where ``m`` is 0)."""
    mask = tf.cast(mask, image.dtype)
    return tf.cast(edited, image.dtype) * mask + image * (1.0 - mask)


class SaGAN(GANSystem):
    """SaGAN's objective (paper Sec. 3.2; reference ``train.py``): a WGAN-GP critic with an
    attribute classifier on real images (D); for G the adversarial term, the attribute loss
    of the edit towards the flipped label, the dual reconstruction ``x -> flipped -> back``
    (``lambda_rec``) and the identity reconstruction ``x`` edited to its own label
    (``lambda_id``), both L1. The target is always the flipped label.

    Args:
        config: ``SaGANConfig``.
        attribute: the name of the edited attribute (``--target_attr``).
    """

    progress_logs = ("D/loss", "G/loss", "D/cls_accuracy")

    def __init__(self, config, attribute, name="sagan", **kwargs):
        super().__init__(config, name=name, **kwargs)
        self.attribute = attribute
        c = config
        self.amn = attribute_manipulation_network(c.g_conv_dim, c.g_repeat_num)
        self.san = spatial_attention_network(c.g_conv_dim, c.g_repeat_num)
        self.discriminator = sagan_discriminator(c.image_size, c.d_conv_dim, c.d_repeat_num)

    # ---- contract -----------------------------------------------------------------
    def networks(self):
        return {"attribute_manipulation": self.amn, "spatial_attention": self.san, "discriminator": self.discriminator}

    def torch_layout(self):
        """elvisyjlin/SpatialAttentionGAN's ``<nimg>.G.pth`` (the AMN and the SAN, by their
        ``AMN.`` / ``SAN.`` prefixes) and ``<nimg>.D.pth`` (``pytorch``). ``train.py`` numbers
        its files by the images its D steps have seen, ``batch_size * d_iters`` per cycle of
        D steps and a G step; the run continues at the same cycle here: ``nimg / (batch_size
        * n_critic) * (n_critic + 1)`` iterations (the default 1000 kimg, 1,000,032 images, is
        --num_iters' 83,336)."""
        from stargan_tf.models.sagan import pytorch
        from stargan_tf.porting.importer import CheckpointImportError, TorchNetwork
        from stargan_tf.porting.layout import BATCH_COUNT, KEYS

        c = self.config
        per_cycle = c.batch_size * c.n_critic

        def iteration(nimg):
            if nimg % per_cycle:
                raise CheckpointImportError(
                    f"--torch_checkpoint: the files' number {nimg} counts images seen by D, {per_cycle} per cycle "
                    f"of {c.n_critic} D steps (--batch_size={c.batch_size} x --n_critic={c.n_critic}), which does "
                    "not divide it: give the run's --batch_size and --n_critic (train.py's --batch-size and "
                    "--d-iters; 16 and 3 by default).")
            return nimg // per_cycle * (c.n_critic + 1)

        widths = ("the official AMN and SAN are --g_conv_dim=32 wide with --g_repeat_num=4 residual blocks; give "
                  "the checkpoint's sizes")
        layout = [
            TorchNetwork(ours, r"(\d+)\.G\.pth", "<nimg>.G.pth",
                         pytorch.generator_entries(prefix, c.g_conv_dim, c.g_repeat_num), required=True,
                         hints={f"{prefix}.conv.0.weight": widths,
                                KEYS: f"The official AMN and SAN have --g_repeat_num=4 residual blocks (here "
                                      f"{c.g_repeat_num})"},
                         ignored=pytorch.generator_ignored(prefix, c.g_conv_dim, c.g_repeat_num),
                         unused_suffixes=BATCH_COUNT, iteration=iteration)
            for ours, prefix in pytorch.NETWORK_KEYS.items()]
        head = (f"D's attribute head's kernel is --image_size / 2**--d_repeat_num ({c.image_size} / "
                f"2**{c.d_repeat_num} here); the official D is --image_size=128, --d_repeat_num=6")
        layout.append(TorchNetwork("discriminator", r"(\d+)\.D\.pth", "<nimg>.D.pth",
                                   pytorch.discriminator_entries(c.d_repeat_num),
                                   hints={"conv.0.weight": "the official D is --d_conv_dim=32; give the checkpoint's",
                                          "cls.0.weight": head,
                                          KEYS: f"The official D has --d_repeat_num=6 convolutions (here "
                                                f"{c.d_repeat_num})"},
                                   unused_suffixes=(), iteration=iteration))
        return layout

    def make_optimizers(self):
        c = self.config
        self.optimizers = {
            "generator": self.adam(c.lr, c.beta1, c.beta2, self._generator_variables()),
            "discriminator": self.adam(c.lr, c.beta1, c.beta2, self.discriminator.trainable_variables),
        }
        return self.optimizers

    def _generator_variables(self):
        return self.amn.trainable_variables + self.san.trainable_variables

    def learning_rates(self, iteration):
        lr = self.config.learning_rate(iteration)
        return {"generator": lr, "discriminator": lr}

    def steps_for(self, iteration):
        """``n_critic`` D iterations, then one G iteration, each on its own batch."""
        if iteration % (self.config.n_critic + 1) < self.config.n_critic:
            return ("discriminator_step",)
        return ("generator_step",)

    # ---- the generator ----------------------------------------------------------------
    def edit(self, image, attribute, training=False):
        """``(edited image, mask)``: the image with the attribute set to ``attribute`` [B, 1]
        inside the SAN's mask."""
        if training:
            edited, mask = self.amn((image, attribute), training=True), self.san(image, training=True)
        else:
            edited, mask = self.infer(self.amn, (image, attribute)), self.infer(self.san, image)
        return blend(edited, mask, image), mask

    def estimate_attribute(self, images):
        """D's attribute head's guess (0 or 1, [B, 1]) for images that come without labels."""
        _, logit = self.infer(self.discriminator, tf.convert_to_tensor(images, tf.float32))
        return tf.cast(logit > 0, tf.float32)

    # ---- looking at results -------------------------------------------------------------
    def sample_batch(self, examples, rng):
        return {"image": examples["image"], "label": examples["label"]}

    def sample_columns(self, batch):
        """Per input: the input, the edit to the flipped label (named add_/remove_<attribute>)
        and the attention mask as a heatmap (blue 0 to red 1, not rescaled)."""
        image = tf.convert_to_tensor(batch["image"], tf.float32)
        label = tf.convert_to_tensor(batch["label"], tf.float32)
        edited, mask = self.edit(image, 1.0 - label)
        row_names = [f"{'remove' if on > 0.5 else 'add'}_{self.attribute}" for on in label.numpy()[:, 0]]
        return [Column("input", image, INPUT), Column("edited", edited, OUTPUT, row_names),
                Column("mask", heatmap_to_rgb(mask), VISUAL)]

    def test_columns(self, inputs):
        """User photos come without labels: D's attribute head says whether the attribute
        is there; it is removed where it is and added where it is not."""
        image = tf.convert_to_tensor(inputs["image"], tf.float32)
        return self.sample_columns({"image": image, "label": self.estimate_attribute(image)})

    def serving_bundle(self):
        def edit(image, attribute):
            edited, mask = self.amn((image, attribute)), self.san(image)
            return {"translated": blend(edited, mask, image), "mask": mask}

        endpoint = ServingEndpoint(
            "edit", edit,
            inputs=(ServingInput("image"),
                    Condition("attribute", 1, kind=BINARY, names=(self.attribute,),
                              description=f"1 adds {self.attribute}, 0 removes it")),
            outputs=(ServingOutput("translated", description="the edited image"),
                     ServingOutput("mask", MASK, description="where the edit applies (spatial attention)")),
            description=f"add or remove {self.attribute} only where it is")
        size = self.config.image_size
        return ServingBundle(model_name=self.name, image_size=(size, size), endpoints=(endpoint,),
                             trackables={"attribute_manipulation": self.amn, "spatial_attention": self.san},
                             metadata={"system": "sagan", "attribute": self.attribute})

    # ---- replica steps ----------------------------------------------------------------
    def discriminator_step(self, batch, iteration):
        """D: WGAN critic on real vs edited images, gradient penalty on random interpolates,
        attribute BCE on real images. The generator runs in training mode (batch
        statistics), as the reference's D steps do."""
        real, label = batch["image"], batch["label"]
        fake, _ = self.edit(real, 1.0 - label, training=True)
        alpha = self.per_example_uniform(tf.shape(real)[0], iteration, salt=0)
        optimizer = self.optimizers["discriminator"]
        variables = self.discriminator.trainable_variables
        c = self.config
        with tf.GradientTape() as tape:
            real_src, real_cls = self.discriminator(real)
            fake_src, _ = self.discriminator(tf.stop_gradient(fake))
            loss_real = losses.wgan_critic_real(real_src)
            loss_fake = losses.wgan_critic_fake(fake_src)
            loss_cls = losses.multi_label_classification(real_cls, label)
            loss_gp = losses.gradient_penalty(lambda x: self.discriminator(x)[0], real, fake, alpha)
            total = self.average(loss_real + loss_fake + c.lambda_cls * loss_cls + c.lambda_gp * loss_gp)
            scaled = optimizer.scale_loss(total)
        self.update(optimizer, tape, scaled, variables)
        accuracy = tf.cast(tf.equal(tf.cast(real_cls > 0, tf.float32), tf.cast(label, tf.float32)), tf.float32)[:, 0]
        return {"D/loss": total, "D/loss_real": self.average(loss_real), "D/loss_fake": self.average(loss_fake),
                "D/loss_cls": self.average(loss_cls), "D/loss_gp": self.average(loss_gp),
                "D/cls_accuracy": self.average(accuracy)}

    def generator_step(self, batch, iteration):
        """G (AMN and SAN together): fool the critic, make D's attribute head see the flipped
        label, and reconstruct ``x`` both ways. The SAN's mask of ``x`` serves the edit and
        the identity reconstruction (the reference computes it twice with the same weights
        and batch statistics)."""
        real, label = batch["image"], batch["label"]
        target = 1.0 - label
        optimizer = self.optimizers["generator"]
        variables = self._generator_variables()
        c = self.config
        with tf.GradientTape() as tape:
            mask = self.san(real, training=True)
            fake = blend(self.amn((real, target), training=True), mask, real)
            cycled, _ = self.edit(fake, label, training=True)
            identity = blend(self.amn((real, label), training=True), mask, real)
            fake_src, fake_cls = self.discriminator(fake)
            loss_fake = losses.wgan_generator(fake_src)
            loss_cls = losses.multi_label_classification(fake_cls, target)
            loss_rec = losses.l1(real, cycled)
            loss_id = losses.l1(real, identity)
            total = self.average(loss_fake + c.lambda_cls * loss_cls + c.lambda_rec * loss_rec + c.lambda_id * loss_id)
            scaled = optimizer.scale_loss(total)
        self.update(optimizer, tape, scaled, variables)
        return {"G/loss": total, "G/loss_fake": self.average(loss_fake), "G/loss_cls": self.average(loss_cls),
                "G/loss_rec": self.average(loss_rec), "G/loss_id": self.average(loss_id),
                "G/mask_mean": self.average(tf.reduce_mean(tf.cast(mask, tf.float32), axis=[1, 2, 3]))}
