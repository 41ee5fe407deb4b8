"""DRIT (Lee et al., ECCV 2018) and DRIT++'s mode seeking (IJCV 2020): the training objective."""

import keras
import numpy as np
import tensorflow as tf

from stargan_tf import losses
from stargan_tf.export.spec import IMAGE, NORMAL, ServingBundle, ServingEndpoint, ServingInput
from stargan_tf.models.base import INPUT, OUTPUT, Column, GANSystem
from stargan_tf.models.drit import networks
from stargan_tf.training.schedules import linear_decay

# Salts of the stateless draws (``GANSystem.per_example_normal``), one per random quantity.
_SALT_NOISE = {"a": 11, "b": 12, "recon_a": 13, "recon_b": 14}  # content codes' Gaussian noise
_SALT_EPS = {"a": 21, "b": 22, "recon_a": 23, "recon_b": 24}    # reparameterisation of attribute codes
_SALT_RANDOM, _SALT_RANDOM2 = 31, 32                              # random attribute codes
DOMAINS = ("a", "b")
# (direction, source domain, target domain)
DIRECTIONS = (("a2b", "a", "b"), ("b2a", "b", "a"))
SAMPLE_CODES = 3  # random-code columns per direction in the training sample grid


def _other(domain):
    return "b" if domain == "a" else "a"


def _adversarial(logits, target):
    """Sigmoid BCE of every logit map (one per discriminator scale) against ``target``,
    each averaged over its map and summed over the scales, per example (official
    ``backward_D`` / ``backward_G_GAN``)."""
    return tf.add_n([losses.bce_with_logits(logit, target) for logit in logits])


class DRIT(GANSystem):
    """DRIT: per domain a content encoder E^c (last residual block shared), an attribute
    encoder E^a and a generator G (first residual block shared when ``concat``); four
    domain discriminators (D_A, D_B on fakes from encoded attribute codes; D_A2, D_B2 on
    fakes from random codes) and a content discriminator D^c.

    Objective (paper Sec. 3, Eq. 1-7, with the official code's weights), per pair of an
    encoded image x of one domain and y of the other, codes z^c = E^c(x) + n (n ~ N(0, I)
    in training), z^a = E^a(x) (mean + eps * std with ``concat``), z ~ N(0, I):
        content adversarial: D^c tells z^c_A (0) from z^c_B (1); the encoders aim at 0.5.
        domain adversarial: D(x) -> 1, D(G(z^c_y, z^a_x)) -> 0 (D_A2/D_B2: G(z^c_y, z) and
            the second image of the pair as real); G aims at 1. Sigmoid BCE, summed over
            the discriminator's scales.
        cross-cycle L1 (weight lambda_rec): x vs G_x(E^c(u), E^a(v)) with u = G_y(z^c_x,
            z^a_y), v = G_x(z^c_y, z^a_x), the swapped translations encoded again.
        self-reconstruction L1 (lambda_rec): x vs G_x(z^c_x, z^a_x).
        KL (lambda_kl): on z^a, -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) with ``concat``,
            else mean(z^a^2); on z^c, mean(z^c^2) (the official code's, not the paper's).
        latent regression (lambda_latent): |E^a(G(z^c_x, z)) - z| (the mean with ``concat``).
        mode seeking (DRIT++, ``mode_seeking``): 1 / (|G(z^c, z2) - G(z^c, z)| / |z2 - z| +
            1e-5) per direction, and D_A2/D_B2 see the second random fakes too.

    Updates (official ``train.py``): iteration i updates D^c alone unless (i + 1) % d_iter
    == 0; then one forward pass serves every update: the five discriminators (fakes held
    constant), then, with the updated discriminators, two gradient sets at the same
    encoder/generator weights: set 1 (content and domain adversarial on encoded fakes,
    reconstructions, KL) is applied to E^c, E^a and G, set 2 (domain adversarial on random
    fakes, latent regression, mode seeking) to E^c and G only, as the official
    ``update_EG`` means to (its in-place second step fails on current PyTorch, issue #62).
    Adam with PyTorch's coupled weight decay on every network (the decay term of set 2 is
    taken at the weights before set 1 was applied: a difference of order weight decay x lr);
    D^c's gradient clipped to norm ``content_clip_norm``.

    Losses are averaged over the global number of pairs (``batch_size / 2``); at the
    official batch of 2 (one pair) every term equals the official one, where the KL's sum
    over the batch and the mode-seeking ratio of batch means are per pair here.

    Args:
        config: ``DRITConfig``.
    """

    progress_logs = ("D/loss", "G/loss", "D/loss_content")
    sample_count = 4

    def __init__(self, config, name="drit", **kwargs):
        super().__init__(config, name=name, **kwargs)
        c = self.config
        self.global_batch_size = c.batch_size // 2  # pairs: what the losses are averaged over
        width = 4 * c.ch
        self.content_encoder_a = networks.content_encoder(c.ch, name="content_encoder_a")
        self.content_encoder_b = networks.content_encoder(c.ch, name="content_encoder_b")
        self.content_share = networks.shared_residual(width, name="content_share")
        if c.concat:
            self.attribute_encoder_a = networks.attribute_encoder_concat(c.nz, c.ch, name="attribute_encoder_a")
            self.attribute_encoder_b = networks.attribute_encoder_concat(c.nz, c.ch, name="attribute_encoder_b")
            self.generator_share = networks.shared_residual(width, name="generator_share")
            self.generator_a = networks.generator_concat(c.nz, c.ch, name="generator_a")
            self.generator_b = networks.generator_concat(c.nz, c.ch, name="generator_b")
        else:
            self.attribute_encoder_a = networks.attribute_encoder(c.nz, c.ch, name="attribute_encoder_a")
            self.attribute_encoder_b = networks.attribute_encoder(c.nz, c.ch, name="attribute_encoder_b")
            self.generator_share = None
            self.generator_a = networks.generator_feature_wise(c.nz, c.ch, name="generator_a")
            self.generator_b = networks.generator_feature_wise(c.nz, c.ch, name="generator_b")

        def discriminator(name):
            if c.dis_scale > 1:
                return networks.multiscale_discriminator(c.dis_scale, c.ch, spectral=c.dis_spectral_norm, name=name)
            return networks.single_scale_discriminator(c.ch, spectral=c.dis_spectral_norm, name=name)

        self.disc_a, self.disc_b = discriminator("disc_a"), discriminator("disc_b")
        self.disc_a2, self.disc_b2 = discriminator("disc_a2"), discriminator("disc_b2")
        self.disc_content = networks.content_discriminator(c.ch, c.content_dis_layers, name="disc_content")

    # ---- contract ----------------------------------------------------------------------
    def networks(self):
        result = {
            "content_encoder_a": self.content_encoder_a, "content_encoder_b": self.content_encoder_b,
            "content_share": self.content_share,
            "attribute_encoder_a": self.attribute_encoder_a, "attribute_encoder_b": self.attribute_encoder_b,
            "generator_share": self.generator_share, "generator_a": self.generator_a, "generator_b": self.generator_b,
            "disc_a": self.disc_a, "disc_b": self.disc_b, "disc_a2": self.disc_a2, "disc_b2": self.disc_b2,
            "disc_content": self.disc_content,
        }
        return {name: network for name, network in result.items() if network is not None}

    def torch_layout(self):
        """HsinYingLee/DRIT's ``<epoch>.pth`` (``saver.py``: ``%05d``) or ``last.pth``: one dict
        of the eight networks' state dicts by name, their optimizers (not read) and ``ep``,
        ``total_it`` (``pytorch``). Its ``total_it`` counts full updates, one per ``d_iter``
        iterations here: the run's iteration is ``total_it * d_iter``. The discriminators
        are optional (``model.resume(train=False)`` reads only enc_c, enc_a and gen)."""
        from stargan_tf.models.config import ConfigError
        from stargan_tf.models.drit import pytorch
        from stargan_tf.porting.importer import TorchNetwork
        from stargan_tf.porting.layout import KEYS

        c = self.config
        if c.content_dis_layers != pytorch.OFFICIAL_CONTENT_DIS_LAYERS:
            raise ConfigError(f"--content_dis_layers={c.content_dis_layers}: the official content discriminator has "
                              f"{pytorch.OFFICIAL_CONTENT_DIS_LAYERS} (fixed there); import with "
                              f"--content_dis_layers={pytorch.OFFICIAL_CONTENT_DIS_LAYERS} (and --image_size >= 212).")
        pattern, file_name = r"(\d+|last)\.pth", "<epoch>.pth or last.pth"

        def iteration(content):
            return int(content.get("total_it", 0)) * c.d_iter

        widths = f"the official networks are --ch=64 wide (here {c.ch}) with --nz=8 (here {c.nz})"
        concat = (f"Built with --concat={c.concat}: E_attr_concat / G_concat's keys (conv_A, fc_A, dec_share) are "
                  "--concat=1, E_attr / G's (model_a, mlpA) --concat=0; the official default is 1")
        discriminators = (f"Built with --dis_scale={c.dis_scale} and --dis_spectral_norm={c.dis_spectral_norm}: "
                          "keys model.<layer> are --dis_scale=1, Diss.<n> hold n + 1 scales (official default 3), "
                          "weight_orig / weight_u --dis_spectral_norm=true")

        def network(ours, key, entries, required=True, hint=widths, structure=None, ignored=(), finish=None):
            hints = {entry.key: hint for entry in entries}
            if structure:
                hints[KEYS] = structure
            return TorchNetwork(ours, pattern, file_name, entries, key=key, required=required, hints=hints,
                                ignored=ignored, stored_iteration=iteration, finish=finish)

        def shared(parts, key, structure=None):
            # One official state dict, several of our networks: each ignores the others' keys.
            keys = {ours: {entry.key for entry in entries} for ours, entries in parts.items()}
            return [network(ours, key, entries, structure=structure,
                            ignored=tuple(sorted(set().union(*keys.values()) - keys[ours])))
                    for ours, entries in parts.items()]

        layout = shared({"content_encoder_a": pytorch.content_encoder_entries("a"),
                         "content_encoder_b": pytorch.content_encoder_entries("b"),
                         "content_share": pytorch.content_share_entries()}, "enc_c")
        if c.concat:
            layout += shared({"attribute_encoder_a": pytorch.attribute_encoder_concat_entries("a"),
                              "attribute_encoder_b": pytorch.attribute_encoder_concat_entries("b")}, "enc_a", concat)
            layout += shared({"generator_share": pytorch.generator_share_entries(),
                              "generator_a": pytorch.generator_concat_entries("a"),
                              "generator_b": pytorch.generator_concat_entries("b")}, "gen", concat)
        else:
            layout += shared({"attribute_encoder_a": pytorch.attribute_encoder_entries("a"),
                              "attribute_encoder_b": pytorch.attribute_encoder_entries("b")}, "enc_a", concat)
            layout += shared({"generator_a": pytorch.generator_feature_wise_entries("a"),
                              "generator_b": pytorch.generator_feature_wise_entries("b")}, "gen", concat)
        entries = pytorch.discriminator_entries(c.dis_scale, c.dis_spectral_norm)
        for ours, key in (("disc_a", "disA"), ("disc_b", "disB"), ("disc_a2", "disA2"), ("disc_b2", "disB2")):
            layout.append(network(ours, key, entries, required=False, hint=f"the official discriminators are --ch=64 "
                                  f"wide (here {c.ch})", structure=discriminators,
                                  ignored=pytorch.spectral_ignored(entries),
                                  finish=pytorch.derive_spectral_v if c.dis_spectral_norm else None))
        layout.append(network("disc_content", "disContent", pytorch.content_discriminator_entries(), required=False,
                              hint=f"the official content discriminator is 256 = 4 x --ch=64 wide (here {4 * c.ch})"))
        return layout

    def network_groups(self):
        """``{optimizer name: [networks]}``: what each optimizer updates."""
        content_and_generators = [self.content_encoder_a, self.content_encoder_b, self.content_share,
                                  self.generator_a, self.generator_b]
        if self.generator_share is not None:
            content_and_generators.append(self.generator_share)
        return {
            "content_generators": content_and_generators,
            "attribute_encoders": [self.attribute_encoder_a, self.attribute_encoder_b],
            "discriminators": [self.disc_a, self.disc_b, self.disc_a2, self.disc_b2],
            "content_discriminator": [self.disc_content],
        }

    def _variables(self, group):
        return self.unique_variables(*self.network_groups()[group])

    def make_optimizers(self):
        # Adam is per parameter, so networks whose official optimizers step together share
        # one here: E^c and G step twice per full iteration, E^a once, the domain Ds once,
        # D^c every iteration. PyTorch's epsilon 1e-8.
        c = self.config
        self.optimizers = {group: self.adam(self._base_lr(group), c.beta1, c.beta2, self._variables(group),
                                            epsilon=1e-8, name=f"{group}_adam")
                           for group in self.network_groups()}
        return self.optimizers

    def _base_lr(self, group):
        c = self.config
        return c.content_discriminator_lr if group == "content_discriminator" else c.lr

    def learning_rates(self, iteration):
        c = self.config
        factor = linear_decay(1.0, iteration, c.num_iters // 2, c.num_iters)
        return {group: factor * self._base_lr(group) for group in self.network_groups()}

    def steps_for(self, iteration):
        if (iteration + 1) % self.config.d_iter:
            return ("content_discriminator_step",)
        return ("full_step",)

    # ---- codes -------------------------------------------------------------------------
    def content_code(self, domain, image, training=False, iteration=None, salt=None):
        """z^c = shared block(E^c_domain(image)), plus N(0, I) noise in training (the
        official ``GaussianNoiseLayer``, drawn per example from ``salt``)."""
        encoder = self.content_encoder_a if domain == "a" else self.content_encoder_b
        code = self.content_share(encoder(image, training=training), training=training)
        if training:
            side = self.config.image_size // 4  # training images have the configured size
            noise = self.per_example_normal(tf.shape(image)[0], iteration, _SALT_NOISE[salt],
                                            (side, side, 4 * self.config.ch))
            code = code + tf.cast(noise, code.dtype)
        return code

    def attribute_code(self, domain, image, training=False, iteration=None, salt=None):
        """``(z^a, mean, log_variance)`` of ``image``: with ``concat`` the encoder's
        mean and log-variance and, in training, z^a = mean + eps * exp(log_variance / 2)
        (outside training z^a is the mean); else the deterministic code three times
        (``log_variance`` None)."""
        encoder = self.attribute_encoder_a if domain == "a" else self.attribute_encoder_b
        if not self.config.concat:
            code = encoder(image, training=training)
            return code, code, None
        mean, log_variance = encoder(image, training=training)
        if not training:
            return mean, mean, log_variance
        eps = self.per_example_normal(tf.shape(image)[0], iteration, _SALT_EPS[salt], (self.config.nz,))
        return mean + eps * tf.exp(0.5 * log_variance), mean, log_variance

    def generate(self, domain, content, attribute, training=False):
        """An image of ``domain`` from a content code and an attribute code."""
        generator = self.generator_a if domain == "a" else self.generator_b
        if self.generator_share is not None:
            content = self.generator_share(content, training=training)
        return generator([content, attribute], training=training)

    # ---- step functions ----------------------------------------------------------------
    def content_discriminator_step(self, batch, iteration):
        """D^c alone (two of every ``d_iter`` iterations)."""
        codes = {d: self.content_code(d, batch[f"image_{d}"], True, iteration, d) for d in DOMAINS}
        return self._content_discriminator_update(codes)

    def _content_discriminator_update(self, codes):
        optimizer = self.optimizers["content_discriminator"]
        variables = self._variables("content_discriminator")
        code_a, code_b = tf.stop_gradient(codes["a"]), tf.stop_gradient(codes["b"])
        with tf.GradientTape() as tape:
            loss = self.average(losses.bce_with_logits(self.disc_content(code_b, training=True), 1.0)
                                + losses.bce_with_logits(self.disc_content(code_a, training=True), 0.0))
            decay = losses.l2_penalty(variables, self.config.weight_decay)
            scaled = optimizer.scale_loss(loss + decay)
        self.update(optimizer, tape, scaled, variables, clip_norm=self.config.content_clip_norm)
        return {"D/loss_content": loss}

    def full_step(self, batch, iteration):
        """Every discriminator, then the encoders and generators, from one forward pass."""
        with tf.GradientTape(persistent=True) as tape:
            forward = self._forward(batch, iteration)
            with tape.stop_recording():
                logs = self._discriminator_update(batch, forward)
                logs.update(self._content_discriminator_update(forward["content"]))
            set1, set2, g_logs = self._encoder_generator_losses(batch, forward)
            logs.update(g_logs)
            both = self.optimizers["content_generators"]
            scaled1, scaled2 = both.scale_loss(set1), both.scale_loss(set2)
        self._encoder_generator_update(tape, scaled1, scaled2)
        del tape
        return logs

    def _forward(self, batch, iteration):
        """The codes and images of one full iteration (official ``DRIT.forward``)."""
        c = self.config
        real = {d: batch[f"image_{d}"] for d in DOMAINS}
        pairs = tf.shape(real["a"])[0]
        content = {d: self.content_code(d, real[d], True, iteration, d) for d in DOMAINS}
        attribute = {d: self.attribute_code(d, real[d], True, iteration, d) for d in DOMAINS}
        randoms = [self.per_example_normal(pairs, iteration, _SALT_RANDOM, (c.nz,))]
        if c.mode_seeking:
            randoms.append(self.per_example_normal(pairs, iteration, _SALT_RANDOM2, (c.nz,)))
        fakes = {}
        for d in DOMAINS:
            # One generator call per domain on the batch of every code combination, as the
            # official code (instance and layer norms are per example: the same values).
            o = _other(d)
            contents = [content[o], content[d]] + [content[o]] * len(randoms)
            attributes = [attribute[d][0], attribute[d][0]] + randoms
            images = tf.split(self.generate(d, tf.concat(contents, 0), tf.concat(attributes, 0), training=True),
                              len(contents), axis=0)
            fakes[d] = {"encoded": images[0], "self": images[1], "random": images[2:]}
        # The swapped translations encoded again and translated back (cross-cycle).
        recon = {}
        for d in DOMAINS:
            o = _other(d)
            # fakes[o]["encoded"] is x_d's content in domain o: E^c_o gives it back.
            content_back = self.content_code(o, fakes[o]["encoded"], True, iteration, f"recon_{d}")
            attribute_back = self.attribute_code(d, fakes[d]["encoded"], True, iteration, f"recon_{d}")[0]
            recon[d] = self.generate(d, content_back, attribute_back, training=True)
        # Latent regression: the attribute code (mean) of the first random-code fake.
        regressed = {d: self.attribute_code(d, fakes[d]["random"][0], True, iteration, d)[1] for d in DOMAINS}
        return {"content": content, "attribute": attribute, "randoms": randoms, "fakes": fakes, "recon": recon,
                "regressed": regressed}

    def _discriminator_update(self, batch, forward):
        """D_A, D_B on encoded-code fakes; D_A2, D_B2 on random-code fakes with the pair's
        second image as real (both random fakes, losses summed, with mode seeking)."""
        optimizer = self.optimizers["discriminators"]
        variables = self._variables("discriminators")
        with tf.GradientTape() as tape:
            terms = {}
            for d in DOMAINS:
                fakes = forward["fakes"][d]
                encoded_disc, random_disc = (self.disc_a, self.disc_a2) if d == "a" else (self.disc_b, self.disc_b2)
                real, real_random = batch[f"image_{d}"], batch[f"image_{d}_random"]
                terms[d] = self.average(
                    _adversarial(encoded_disc(real, training=True), 1.0)
                    + _adversarial(encoded_disc(tf.stop_gradient(fakes["encoded"]), training=True), 0.0))
                terms[f"{d}2"] = self.average(tf.add_n([
                    _adversarial(random_disc(real_random, training=True), 1.0)
                    + _adversarial(random_disc(tf.stop_gradient(fake), training=True), 0.0)
                    for fake in fakes["random"]]))
            loss = tf.add_n(list(terms.values()))
            decay = losses.l2_penalty(variables, self.config.weight_decay)
            scaled = optimizer.scale_loss(loss + decay)
        self.update(optimizer, tape, scaled, variables)
        return {**{f"D/loss_{name}": value for name, value in terms.items()}, "D/loss": loss}

    def _encoder_generator_losses(self, batch, forward):
        """``(set 1, set 2, logs)``: the two losses of ``update_EG`` (see the class doc),
        computed with the discriminators just updated, weight decay included."""
        c = self.config
        content, attribute, fakes = forward["content"], forward["attribute"], forward["fakes"]
        real = {d: batch[f"image_{d}"] for d in DOMAINS}
        discs = {"a": (self.disc_a, self.disc_a2), "b": (self.disc_b, self.disc_b2)}
        terms = {}
        terms["adv"] = self.average(tf.add_n([_adversarial(discs[d][0](fakes[d]["encoded"], training=True), 1.0)
                                              for d in DOMAINS]))
        terms["adv_content"] = self.average(tf.add_n([
            losses.bce_with_logits(self.disc_content(content[d], training=True), 0.5) for d in DOMAINS]))
        terms["cross_cycle"] = self.average(tf.add_n([losses.l1(forward["recon"][d], real[d]) for d in DOMAINS]))
        terms["self_recon"] = self.average(tf.add_n([losses.l1(fakes[d]["self"], real[d]) for d in DOMAINS]))
        if c.concat:
            kl = [-0.5 * tf.reduce_sum(1.0 + logvar - tf.square(mean) - tf.exp(logvar), axis=1)
                  for _, mean, logvar in attribute.values()]
        else:
            kl = [tf.reduce_mean(tf.square(code), axis=1) for code, _, _ in attribute.values()]
        terms["kl_attribute"] = self.average(tf.add_n(kl))
        terms["kl_content"] = self.average(tf.add_n([losses.mean_square(content[d]) for d in DOMAINS]))
        set1 = (terms["adv"] + terms["adv_content"] + c.lambda_rec * (terms["cross_cycle"] + terms["self_recon"])
                + c.lambda_kl * (terms["kl_attribute"] + terms["kl_content"]))

        randoms = forward["randoms"]
        terms["adv_random"] = self.average(tf.add_n([_adversarial(discs[d][1](fake, training=True), 1.0)
                                                     for d in DOMAINS for fake in fakes[d]["random"]]))
        terms["latent"] = self.average(tf.add_n([losses.l1(forward["regressed"][d], randoms[0]) for d in DOMAINS]))
        set2 = terms["adv_random"] + c.lambda_latent * terms["latent"]
        if c.mode_seeking:
            code_distance = losses.l1(randoms[1], randoms[0])
            terms["mode_seeking"] = self.average(tf.add_n([
                1.0 / (losses.l1(fakes[d]["random"][1], fakes[d]["random"][0]) / code_distance + 1e-5)
                for d in DOMAINS]))
            set2 += terms["mode_seeking"]
        decay1 = losses.l2_penalty(self._variables("content_generators") + self._variables("attribute_encoders"),
                                   c.weight_decay)
        decay2 = losses.l2_penalty(self._variables("content_generators"), c.weight_decay)
        logs = {f"G/loss_{name}": value for name, value in terms.items()}
        logs["G/loss"] = set1 + set2
        return set1 + decay1, set2 + decay2, logs

    def _encoder_generator_update(self, tape, scaled1, scaled2):
        """Set 1 to E^c, G (first step) and E^a; set 2 to E^c and G (second step); both
        gradients at the weights of the forward pass."""
        both, attribute = self.optimizers["content_generators"], self.optimizers["attribute_encoders"]
        both_variables = self._variables("content_generators")
        attribute_variables = self._variables("attribute_encoders")
        gradients1 = self.gradients(tape, scaled1, both_variables + attribute_variables)
        gradients2 = self.gradients(tape, scaled2, both_variables)
        attribute_gradients = _rescaled(gradients1[len(both_variables):], both, attribute)
        self.apply(attribute, attribute_gradients, attribute_variables)
        self.apply(both, gradients1[:len(both_variables)], both_variables)
        self.apply(both, gradients2, both_variables)


    # ---- looking at results ------------------------------------------------------------
    def _infer_content(self, domain, image):
        encoder = self.content_encoder_a if domain == "a" else self.content_encoder_b
        content = self.infer(self.content_share, self.infer(encoder, image))
        return content if self.generator_share is None else self.infer(self.generator_share, content)

    def _infer_attribute(self, domain, reference):
        """The attribute code of ``reference`` images: the encoder's mean with ``concat``
        (the official ``test_transfer.py`` samples around it; the mean makes repeated runs
        agree)."""
        code = self.infer(self.attribute_encoder_a if domain == "a" else self.attribute_encoder_b, reference)
        return code[0] if self.config.concat else code

    def _infer_image(self, domain, shared_content, attribute):
        return self.infer(self.generator_a if domain == "a" else self.generator_b, (shared_content, attribute))

    def _direction_columns(self, name, source, target, image, codes, references):
        """The input, one output per random code (the same codes for every row), and per
        ``(reference name, reference images)`` the references and the outputs with their
        attribute codes."""
        image = tf.convert_to_tensor(image, tf.float32)
        rows = image.shape[0]
        content = self._infer_content(source, image)
        columns = [Column(source.upper(), image, INPUT)]
        for k, code in enumerate(codes):
            tiled = tf.tile(tf.convert_to_tensor(code, tf.float32)[None], [rows, 1])
            columns.append(Column(f"{name}_random{k + 1}", self._infer_image(target, content, tiled), OUTPUT))
        for reference_name, reference in references:
            reference = tf.convert_to_tensor(reference, tf.float32)
            attribute = self._infer_attribute(target, reference)
            columns.append(Column(f"{name}_{reference_name}", reference, INPUT))
            columns.append(Column(f"{name}_from_{reference_name}", self._infer_image(target, content, attribute),
                                  OUTPUT))
        return columns

    def sample_batch(self, examples, rng):
        """The test images of both domains and ``SAMPLE_CODES`` random codes, drawn once."""
        return {"image_a": examples["image_a"], "image_b": examples["image_b"],
                "codes": rng.standard_normal((SAMPLE_CODES, self.config.nz)).astype(np.float32)}

    def sample_columns(self, batch):
        """Per direction: the input, its translations with the batch's random codes, and
        with the attribute code of a reference (each row's is the next row's image of the
        other domain)."""
        columns = []
        for name, source, target in DIRECTIONS:
            references = [("reference", np.roll(np.asarray(batch[f"image_{target}"]), -1, axis=0))]
            columns += self._direction_columns(name, source, target, batch[f"image_{source}"], batch["codes"],
                                               references)
        return columns

    def test_codes(self):
        """The ``num_samples`` random attribute codes of test mode: N(0, I) draws from
        ``seed``, the same for every input (the same command gives the same images)."""
        return np.random.default_rng(self.config.seed).standard_normal((self.config.num_samples, self.config.nz)) \
            .astype(np.float32)

    def test_columns(self, inputs):
        """The user's images in the configured ``direction``: ``num_samples`` random-code
        outputs each and, with ``inputs["reference"]`` (images of the target domain, named
        by ``inputs["reference_names"]``), one output per reference image with that
        reference's attribute code."""
        image = np.asarray(inputs["image"])
        given = inputs.get("reference", ())
        names = inputs.get("reference_names") or [f"reference{k + 1}" for k in range(len(given))]
        references = [(name, np.repeat(reference[None], len(image), axis=0)) for name, reference in zip(names, given)]
        keys = {"a2b": ("a2b",), "b2a": ("b2a",), "both": ("a2b", "b2a")}[self.config.direction]
        columns = []
        for name, source, target in DIRECTIONS:
            if name in keys:
                columns += self._direction_columns(name, source, target, image, self.test_codes(), references)
        return columns

    # ---- shipping ------------------------------------------------------------------------
    def translate(self, source, target, image, attribute):
        """``G_target(E^c_source(image), attribute)`` in inference mode, float32."""
        content = self.content_code(source, image)
        return tf.cast(self.generate(target, content, attribute), tf.float32)

    def serving_bundle(self):
        c = self.config
        code = ServingInput("attribute", NORMAL, (c.nz,),
                            description="attribute code of the target domain, drawn from N(0, I) (one output per code)")
        reference = ServingInput("reference", IMAGE, description="an image of the target domain whose attribute "
                                                                 "(style) the translation takes")
        endpoints = []
        for name, source, target in DIRECTIONS:
            def random_code(image, attribute, source=source, target=target):
                return self.translate(source, target, image, attribute)

            def from_reference(image, reference, source=source, target=target):
                # Outside training the code is the encoder's mean: the same reference always
                # gives the same image.
                return self.translate(source, target, image, self.attribute_code(target, reference)[0])

            endpoints.append(ServingEndpoint(name, random_code, inputs=(ServingInput("image"), code),
                                             description=f"translate {source.upper()} images to {target.upper()} "
                                                         "with the given attribute codes"))
            endpoints.append(ServingEndpoint(f"{name}_reference", from_reference,
                                             inputs=(ServingInput("image"), reference),
                                             description=f"translate {source.upper()} images to {target.upper()} "
                                                         "in the style of the reference images"))
        trackables = {name: network for name, network in self.networks().items() if not name.startswith("disc")}
        return ServingBundle(
            model_name=self.name,
            image_size=(c.image_size, c.image_size),
            endpoints=endpoints,
            trackables=trackables,
            metadata={"system": "drit", "domains": ["A", "B"], "nz": c.nz, "concat": c.concat, "ch": c.ch},
        )


def _rescaled(gradients, source, target):
    """Gradients of a loss scaled by ``source``'s loss scale (mixed float16), rescaled to
    ``target``'s; unchanged in float32."""
    if not isinstance(source, keras.optimizers.LossScaleOptimizer):
        return gradients
    factor = tf.cast(target.dynamic_scale, tf.float32) / tf.cast(source.dynamic_scale, tf.float32)
    return [None if g is None else g * tf.cast(factor, g.dtype) for g in gradients]
