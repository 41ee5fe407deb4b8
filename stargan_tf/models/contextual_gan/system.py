"""Contextual GAN (Lu, Wu, Tai, Tang, ECCV 2018): sketch to photo, and back, by completing a
joint image in a GAN's latent space."""

import numpy as np
import tensorflow as tf

from stargan_tf import losses
from stargan_tf.evaluation.metrics import ssim_and_psnr
from stargan_tf.export.spec import ServingBundle, ServingEndpoint, ServingInput, ServingOutput
from stargan_tf.models.base import INPUT, OUTPUT, Column, GANSystem
from stargan_tf.models.contextual_gan.completion import complete
from stargan_tf.models.contextual_gan.networks import joint_discriminator, joint_generator
from stargan_tf.pipelines.sketches import HALVES

TEST_BATCH = 32  # test pairs completed at once
# The export verifies each completion endpoint through a stand-in: the same loop for this many
# steps from the first candidate alone. TFLite's float32 kernels round differently from
# TensorFlow's, and the descent carries each step's rounding into the next: after 200 steps,
# inputs perturbed by 1e-5 completed up to 0.02 apart on test sketches and 1.5 apart on noise
# (measured on trained preset runs), and the SavedModel's and the TFLite file's completions of
# the same input ended in different minima (up to 2.0 apart) on one of eight of G's own sketch
# halves. Five steps from all candidates still failed on one run: float32 1.3e-3 apart, and the
# float16 file picked another candidate for a noise input (the best candidates' losses can lie
# within float16's rounding of each other). One step from one candidate runs every op of the
# loop's body once, where a wrong op or layout moves the output by tenths.
VERIFIED_STEPS = 1


class ContextualGAN(GANSystem):
    """Stage 1 (paper Sec. 3.1): a GAN on joint images, sigmoid cross-entropy losses, one D
    and one G update per iteration. Stage 2 (Sec. 3.2, ``completion.complete``): with G and D
    frozen, search z for the joint image whose known half matches the input and return its
    other half; the same model completes sketches into photos and photos into sketches.

    Args:
        config: ``ContextualGANConfig``.
        xdog: the XDoG parameters the sketches were drawn with (a dict, recorded in the
            export's metadata), or None for hand-drawn sketch pairs.
    """

    sample_count = 6
    compiled_procedures = tuple(f"completion_{direction}" for direction in HALVES)

    def __init__(self, config, xdog=None, name="contextual_gan", **kwargs):
        super().__init__(config, name=name, **kwargs)
        c = config
        self.xdog = xdog
        self.generator = joint_generator(c.image_size, c.z_dim, c.gf_dim)
        self.discriminator = joint_discriminator(c.image_size, c.df_dim)

    # ---- contract -----------------------------------------------------------------
    def networks(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def make_optimizers(self):
        c = self.config
        self.optimizers = {
            "generator": self.adam(c.lr, c.beta1, c.beta2, self.generator.trainable_variables),
            "discriminator": self.adam(c.lr, c.beta1, c.beta2, self.discriminator.trainable_variables),
        }
        return self.optimizers

    def learning_rates(self, iteration):
        lr = self.config.learning_rate(iteration)
        return {"generator": lr, "discriminator": lr}

    def steps_for(self, iteration):
        return ("discriminator_step", "generator_step")

    # ---- completion ---------------------------------------------------------------------
    def candidates(self):
        """float32 ``[completion_candidates, z_dim]``: the starting codes, the same for every
        input (drawn from ``--seed``), so the same input and seed complete the same way."""
        c = self.config
        rng = np.random.default_rng([c.seed, 7])
        return rng.uniform(-1.0, 1.0, (c.completion_candidates, c.z_dim)).astype(np.float32)

    def completion(self, direction, iterations=None):
        """``(known halves, candidates) -> completion.complete(...)`` in ``direction`` with the
        configured descent (``iterations`` steps instead, when given): what test mode compiles
        and the export traces."""
        c = self.config
        known_on_left = HALVES[direction][0] == "sketch"
        iterations = c.completion_iters if iterations is None else iterations

        def run(images, candidates):
            return complete(self.generator, self.discriminator, images, candidates, known_on_left,
                            iterations, c.completion_lr, c.completion_momentum, c.completion_lambda,
                            c.completion_scales)

        return run

    def complete(self, known, direction=None):
        """``completion.complete`` of ``known`` halves ([B, S, S, 3]) in ``direction`` (the
        config's by default), compiled once per direction."""
        direction = direction or self.config.direction
        compiled = self.compiled_procedure(f"completion_{direction}", self.completion(direction))
        return compiled(tf.convert_to_tensor(known, tf.float32), tf.constant(self.candidates()))

    def complete_all(self, known, direction=None):
        """The completed other halves of ``known`` (a NumPy array of any length), TEST_BATCH
        at a time: float32 NumPy ``[N, S, S, 3]``."""
        return np.concatenate([self.complete(known[start:start + TEST_BATCH], direction)["completed"].numpy()
                               for start in range(0, len(known), TEST_BATCH)])

    # ---- looking at results -------------------------------------------------------------
    def sample_batch(self, examples, rng):
        return {"sketch": examples["sketch"], "photo": examples["photo"]}

    def sample_columns(self, batch):
        """Per test pair: the known half, its completion, and the true other half."""
        known_name, other_name = HALVES[self.config.direction]
        known = tf.convert_to_tensor(batch[known_name], tf.float32)
        completed = self.complete(known)["completed"]
        return [Column(known_name, known, INPUT), Column(f"completed {other_name}", completed, OUTPUT),
                Column(f"true {other_name}", tf.convert_to_tensor(batch[other_name], tf.float32), INPUT)]

    def test_columns(self, inputs):
        """The user's sketches (or photos, ``--direction=photo2sketch``), their completions, and
        the completed joint images G(z) (sketch left), whose known half shows how closely the
        search matched the input."""
        known_name, other_name = HALVES[self.config.direction]
        known = tf.convert_to_tensor(inputs["image"], tf.float32)
        completion = self.complete(known)
        return [Column(known_name, known, INPUT), Column(other_name, completion["completed"], OUTPUT),
                Column("joint", completion["joint"], OUTPUT)]

    def test_split_report(self, data, directory):
        """Complete every test pair's known half and score the completions against the true
        other halves: SSIM and PSNR (``evaluation.metrics.ssim_and_psnr``), per image and on
        average, in ``metrics.json``; the grid of the first rows in ``grid.png``. Printed too."""
        import json
        import os

        from stargan_tf.training.samples import grid, save_png

        known_name, other_name = HALVES[self.config.direction]
        examples = data.test_examples()
        completed = self.complete_all(examples[known_name])
        truth = examples[other_name]
        ssim, psnr = ssim_and_psnr(completed, truth)
        report = {"direction": self.config.direction, "images": len(truth), "ssim": float(ssim.mean()),
                  "psnr": float(psnr.mean()), "completion_iters": self.config.completion_iters,
                  "per_image": [{"name": name, "ssim": float(s), "psnr": float(p)}
                                for name, s, p in zip(examples["names"], ssim, psnr)]}
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, "metrics.json")
        with open(path, "w") as handle:
            json.dump(report, handle, indent=2)
        rows = slice(0, self.sample_count)
        save_png(grid([Column(known_name, examples[known_name][rows], INPUT),
                       Column(f"completed {other_name}", completed[rows], OUTPUT),
                       Column(f"true {other_name}", truth[rows], INPUT)]), os.path.join(directory, "grid.png"))
        print(f"Test split ({len(truth)} pairs, {self.config.direction}): SSIM {report['ssim']:.4f}, "
              f"PSNR {report['psnr']:.2f} dB")
        return {"test split metrics": path, "test split grid": os.path.join(directory, "grid.png")}

    def serving_bundle(self):
        c = self.config
        candidates = tf.constant(self.candidates())

        def endpoint(direction, stand_in=False, **verification):
            completion = self.completion(direction, VERIFIED_STEPS if stand_in else None)
            starts = candidates[:1] if stand_in else candidates

            def translate(image):
                return completion(image, starts)["completed"]

            known_name, other_name = HALVES[direction]
            name = f"{direction}_stand_in" if stand_in else direction
            return ServingEndpoint(
                name, translate, inputs=(ServingInput("image", description=f"the {known_name} ({c.image_size}"
                                                                           f"x{c.image_size} half)"),),
                outputs=(ServingOutput("translated", description=f"the completed {other_name}"),),
                description=f"{known_name} to {other_name} by latent-space completion (whole loop in the graph)",
                **verification)

        def verified_endpoint(direction):
            # Only the stand-in's own search is verified itself: one step from many candidates
            # can still pick another best candidate in the float16 file.
            if c.completion_iters <= VERIFIED_STEPS and c.completion_candidates == 1:
                return endpoint(direction)
            # The TFLite files' differences from the SavedModel are reported; the stand-in's
            # bound them (VERIFIED_STEPS says why).
            return endpoint(direction, tolerances={"float32_max_abs": None, "float16_min_psnr": None},
                            verified_as=endpoint(direction, stand_in=True))

        size = c.image_size
        return ServingBundle(
            model_name=self.name, image_size=(size, size),
            endpoints=(verified_endpoint("sketch2photo"), verified_endpoint("photo2sketch")),
            trackables={"generator": self.generator, "discriminator": self.discriminator},
            metadata={"system": "contextual_gan", "completion_iters": c.completion_iters,
                      "completion_candidates": c.completion_candidates, "completion_lambda": c.completion_lambda,
                      "completion_lr": c.completion_lr, "completion_momentum": c.completion_momentum,
                      "completion_scales": c.completion_scales, "candidate_seed": c.seed, "xdog": self.xdog})

    # ---- replica steps ----------------------------------------------------------------
    def _fakes(self, local_batch, iteration, salt):
        z = self.per_example_uniform(local_batch, iteration, salt, shape=(self.config.z_dim,), minval=-1.0, maxval=1.0)
        return self.generator(z, training=True)

    def discriminator_step(self, batch, iteration):
        """D: real joint images labelled 1, G's labelled 0 (sigmoid cross-entropy), plus
        ``r1_gamma`` / 2 times the R1 penalty on the real ones when it is set."""
        real = batch["joint"]
        fake = self._fakes(tf.shape(real)[0], iteration, salt=0)
        optimizer = self.optimizers["discriminator"]
        gamma = self.config.r1_gamma
        with tf.GradientTape() as tape:
            if gamma:
                real_logits, loss_r1 = losses.r1_penalty(lambda x: self.discriminator(x, training=True), real)
            else:
                real_logits = self.discriminator(real, training=True)
                loss_r1 = tf.zeros(tf.shape(real)[:1])
            loss_real = losses.bce_with_logits(real_logits, 1.0)
            loss_fake = losses.bce_with_logits(self.discriminator(tf.stop_gradient(fake), training=True), 0.0)
            total = self.average(loss_real + loss_fake + 0.5 * gamma * loss_r1)
            scaled = optimizer.scale_loss(total)
        self.update(optimizer, tape, scaled, self.discriminator.trainable_variables)
        logs = {"D/loss": total, "D/loss_real": self.average(loss_real), "D/loss_fake": self.average(loss_fake)}
        if gamma:
            logs["D/r1"] = self.average(loss_r1)
        return logs

    def generator_step(self, batch, iteration):
        """G: its joint images labelled 1 by D (the non-saturating loss)."""
        optimizer = self.optimizers["generator"]
        with tf.GradientTape() as tape:
            fake = self._fakes(tf.shape(batch["joint"])[0], iteration, salt=1)
            loss = losses.bce_with_logits(self.discriminator(fake, training=True), 1.0)
            total = self.average(loss)
            scaled = optimizer.scale_loss(total)
        self.update(optimizer, tape, scaled, self.generator.trainable_variables)
        return {"G/loss": total}
