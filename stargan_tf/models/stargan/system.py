"""StarGAN (Choi et al., CVPR 2018): one generator for many domains, with the mask vector."""

import dataclasses

import numpy as np
import tensorflow as tf

from stargan_tf import losses
from stargan_tf.export.spec import (ATTRIBUTES, BINARY, ONE_HOT, SCORES, Condition, ServingBundle, ServingEndpoint,
                                    ServingInput, ServingOutput)
from stargan_tf.models.base import INPUT, OUTPUT, Column, GANSystem
from stargan_tf.models.config import ConfigError
from stargan_tf.models.stargan.networks import stargan_discriminator, stargan_generator
from stargan_tf.pipelines.labels import LabelSpace
from stargan_tf.training.schedules import linear_decay


@dataclasses.dataclass(frozen=True)
class DatasetLabels:
    """The label space of one dataset StarGAN trains on.

    Attributes:
        key: the batch key of this dataset in joint training (``celeba``, ``rafd``).
        space: its ``LabelSpace`` (names in label order, exclusive groups, single_label:
            one-hot classes with softmax CE like RaFD, or multi-label attributes with
            sigmoid BCE like CelebA).
    """

    key: str
    space: LabelSpace


class StarGAN(GANSystem):
    """StarGAN's objective (paper Eq. 1-7): WGAN-GP adversarial loss, domain classification
    loss on real (D) and fake (G) images, and L1 reconstruction (cycle) loss.

    With one dataset the generator's label is that dataset's label vector. With two
    (``Both``, StarGAN-JNT, paper Sec. 3.2) it is ``[labels of dataset 1, labels of dataset
    2, mask vector]``, the unknown dataset's labels zero, and D's classification loss only
    covers the labels of the dataset the batch comes from.

    Args:
        config: ``StarGANConfig``.
        datasets: a ``DatasetLabels`` per dataset trained on (one, or two for joint training).
    """

    def __init__(self, config, datasets, name="stargan", **kwargs):
        super().__init__(config, name=name, **kwargs)
        self.datasets = tuple(datasets)
        names = self.datasets[0].space.names
        unknown = [n for n in config.target_attrs if n not in names]
        if unknown:
            raise ConfigError(f"--target_attrs {unknown} are not among the model's targets; valid names are: "
                              f"{', '.join(names)}.")
        self.cls_dim = sum(d.space.size for d in self.datasets)
        self.label_dim = self.cls_dim + (len(self.datasets) if len(self.datasets) > 1 else 0)
        c = config
        self.generator = stargan_generator(c.g_conv_dim, self.label_dim, c.g_repeat_num, name="generator")
        self.discriminator = stargan_discriminator(c.image_size, c.d_conv_dim, self.cls_dim, c.d_repeat_num,
                                                   name="discriminator")

    @property
    def progress_logs(self):
        return tuple(f"{self._prefix(i)}{side}/loss" for i in range(len(self.datasets)) for side in "DG")

    # ---- contract -----------------------------------------------------------------
    def networks(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def make_optimizers(self):
        c = self.config
        self.optimizers = {
            "generator": self.adam(c.g_lr, c.beta1, c.beta2, self.generator.trainable_variables),
            "discriminator": self.adam(c.d_lr, c.beta1, c.beta2, self.discriminator.trainable_variables),
        }
        return self.optimizers

    def learning_rates(self, iteration):
        c = self.config
        start = c.num_iters - c.num_iters_decay
        return {
            "generator": linear_decay(c.g_lr, iteration, start, c.num_iters, c.lr_update_step),
            "discriminator": linear_decay(c.d_lr, iteration, start, c.num_iters, c.lr_update_step),
        }

    def steps_for(self, iteration):
        if (iteration + 1) % self.config.n_critic == 0:
            return ("discriminator_and_generator_step",)
        return ("discriminator_step",)

    # ---- looking at results -------------------------------------------------------------
    def targets(self, source_labels, target_names=None):
        """``[(name, generator labels, row names or None)]`` for images of the first dataset:
        the official ``create_labels`` over its label space, then (joint training) every class
        of the other datasets. An attribute outside every exclusive group is flipped, so its
        rows are named by what it becomes: ``Dark_Background`` or ``no_Dark_Background``."""
        result = []
        for index, dataset in enumerate(self.datasets):
            space = dataset.space
            labels = source_labels if index == 0 else np.zeros((len(source_labels), space.size), np.float32)
            names = target_names if index == 0 else None
            grouped = {n for group in space.exclusive_groups for n in group}
            for name, target in space.test_targets(labels, names):
                flipped = not space.single_label and name not in grouped
                row_names = [name if on else f"no_{name}" for on in target[:, space.index(name)] > 0.5] if flipped \
                    else None
                result.append((f"{name} (flipped)" if flipped else name, self.generator_labels(target, index),
                               row_names))
        return result

    def sample_batch(self, examples, rng):
        return {"image": examples["image"], "targets": self.targets(examples["label"])}

    def sample_columns(self, batch):
        """Paper Fig. 4 layout: the input, then one column per target."""
        image = tf.convert_to_tensor(batch["image"], tf.float32)
        columns = [Column("input", image, INPUT)]
        for name, target, row_names in batch["targets"]:
            translated = self.infer(self.generator, (image, tf.convert_to_tensor(target, tf.float32)))
            columns.append(Column(name, translated, OUTPUT, row_names))
        return columns

    def test_columns(self, inputs):
        """User images come without labels: D's classifier estimates the source labels, then
        each image goes to every target (or ``--target_attrs``)."""
        image = tf.convert_to_tensor(inputs["image"], tf.float32)
        labels = self.estimate_labels(image).numpy()
        return self.sample_columns({"image": image,
                                    "targets": self.targets(labels, self.config.target_attrs or None)})

    def torch_layout(self):
        """yunjey/stargan's ``<iteration>-G.ckpt`` and ``<iteration>-D.ckpt`` (``pytorch``)."""
        from stargan_tf.models.stargan import pytorch
        from stargan_tf.porting.importer import TorchNetwork

        c = self.config
        labels = (f"--selected_attrs gives {self.cls_dim} labels (G's input: 3 + {self.label_dim} channels); "
                  "give the checkpoint's count")
        return [
            TorchNetwork("generator", r"(\d+)-G\.ckpt", "<iteration>-G.ckpt",
                         pytorch.generator_entries(c.g_conv_dim, c.g_repeat_num), required=True,
                         hints={"main.0.weight": labels + " and its --g_conv_dim"}),
            TorchNetwork("discriminator", r"(\d+)-D\.ckpt", "<iteration>-D.ckpt",
                         pytorch.discriminator_entries(c.d_repeat_num),
                         hints={"conv2.weight": labels + "; D_cls's kernel is --image_size / 2**--d_repeat_num "
                                                         f"({c.image_size} / 2**{c.d_repeat_num} here)",
                                "main.0.weight": "check --d_conv_dim"}),
        ]

    def serving_bundle(self):
        """``translate`` (G), and with one dataset ``attributes``: D's auxiliary classifier's
        scores of an image's labels, so a client can keep the labels a target leaves out as
        they are (what test mode does with ``estimate_labels``). Joint training's bundle has
        no ``attributes``: which dataset an image comes from is unknown, and with it which of
        D's label groups describe it."""
        endpoints = [ServingEndpoint("translate", lambda image, target: self.generator((image, target)),
                                     inputs=(ServingInput("image"), self._serving_condition()),
                                     description="translate images to the target domain")]
        trackables = {"generator": self.generator}
        if len(self.datasets) == 1:
            space = self.datasets[0].space
            scores = ServingOutput("scores", SCORES, names=tuple(space.names),
                                   description="the probability of each label (" +
                                   ("softmax: one class" if space.single_label else "sigmoid per attribute") + ")")
            endpoints.append(ServingEndpoint(ATTRIBUTES, self._label_scores, outputs=(scores,),
                                             description="estimate the images' labels (D's auxiliary classifier)"))
            trackables["discriminator"] = self.discriminator
        size = self.config.image_size
        return ServingBundle(
            model_name=self.name,
            image_size=(size, size),
            endpoints=tuple(endpoints),
            trackables=trackables,
            metadata={"system": "stargan",
                      "datasets": [{"key": d.key, "names": list(d.space.names), "single_label": d.space.single_label}
                                   for d in self.datasets]},
        )

    def _serving_condition(self):
        if len(self.datasets) == 1:
            space = self.datasets[0].space
            return Condition("target", space.size, kind=ONE_HOT if space.single_label else BINARY,
                             names=tuple(space.names), description="target domain labels in selected-attribute order")
        names = (tuple(n for d in self.datasets for n in d.space.names)
                 + tuple(f"mask_{d.key}" for d in self.datasets))
        return Condition("target", self.label_dim, kind=BINARY, names=names,
                         description="[labels of each dataset..., mask vector]; unknown labels 0")

    def _label_scores(self, image):
        """Scores of a one-dataset model's labels: thresholded at 0.5 (multi-label) or by
        their argmax (single-label) they are ``estimate_labels``."""
        _, logits = self.discriminator(image)
        return tf.nn.softmax(logits) if self.datasets[0].space.single_label else tf.sigmoid(logits)

    # ---- labels -------------------------------------------------------------------------
    def generator_labels(self, labels, dataset_index=0):
        """Map labels of one dataset to the generator's label vector (adds the mask vector
        and zeros for the other datasets' labels in joint training)."""
        labels = tf.cast(labels, tf.float32)
        if len(self.datasets) == 1:
            return labels
        batch = tf.shape(labels)[0]
        parts = []
        for index, dataset in enumerate(self.datasets):
            parts.append(labels if index == dataset_index else tf.zeros((batch, dataset.space.size)))
        mask = tf.one_hot(tf.fill([batch], dataset_index), len(self.datasets))
        return tf.concat(parts + [mask], axis=1)

    def _classification_logits(self, cls_logits, dataset_index):
        start = sum(d.space.size for d in self.datasets[:dataset_index])
        return cls_logits[:, start : start + self.datasets[dataset_index].space.size]

    def _classification_loss(self, logits, labels, dataset_index):
        if self.datasets[dataset_index].space.single_label:
            return losses.single_label_classification(logits, labels)
        return losses.multi_label_classification(logits, labels)

    def estimate_labels(self, images, dataset_index=0):
        """D's auxiliary classifier's guess at the domain labels of real images: the source
        labels test mode uses for the user's own photos, which come without attributes."""
        _, cls_logits = self.infer(self.discriminator, tf.convert_to_tensor(images, tf.float32))
        logits = self._classification_logits(cls_logits, dataset_index)
        if self.datasets[dataset_index].space.single_label:
            return tf.one_hot(tf.argmax(logits, axis=1), self.datasets[dataset_index].space.size)
        return tf.cast(logits > 0, tf.float32)

    def _datasets_in(self, batch):
        if len(self.datasets) == 1:
            return [(0, batch)]
        return [(index, batch[dataset.key]) for index, dataset in enumerate(self.datasets)]

    def _prefix(self, dataset_index):
        return "" if len(self.datasets) == 1 else f"{self.datasets[dataset_index].key}/"

    def _logs(self, dataset_index, side, total, **per_example):
        """``{<dataset>/<side>/loss: total, <dataset>/<side>/<term>: global mean, ...}``."""
        prefix = f"{self._prefix(dataset_index)}{side}/"
        return {f"{prefix}loss": total, **{prefix + name: self.average(value) for name, value in per_example.items()}}

    # ---- replica steps ----------------------------------------------------------------
    def discriminator_step(self, batch, iteration):
        """D maximises Eq. 1 with gradient penalty and minimises Eq. 2 on real images."""
        logs = {}
        for dataset_index, data in self._datasets_in(batch):
            logs.update(self._discriminator_update(dataset_index, data, self._translate(dataset_index, data),
                                                   iteration))
        return logs

    def discriminator_and_generator_step(self, batch, iteration):
        """Every n_critic-th iteration, per dataset as the official ``train_multi``: the D
        update, then G's, which minimises the adversarial, fake-classification (Eq. 3) and
        reconstruction (Eq. 4) terms.

        G's translation of the real images to their targets is computed once, on G's tape, and
        serves both updates: D takes it as a constant, G back-propagates through it. The
        official code runs that forward pass twice with the same weights (G does not change
        in between); once saves one of G's three forward passes (11% of the iteration's CPU
        time at the paper's sizes)."""
        logs = {}
        for dataset_index, data in self._datasets_in(batch):
            with tf.GradientTape() as tape:
                fake = self._translate(dataset_index, data)
            logs.update(self._discriminator_update(dataset_index, data, fake, iteration))
            logs.update(self._generator_update(dataset_index, data, fake, tape))
        return logs

    def _translate(self, dataset_index, data):
        """G(x, c): the real images translated to their target labels."""
        return self.generator((data["image"], self.generator_labels(data["target"], dataset_index)), training=True)

    def _discriminator_update(self, dataset_index, data, fake, iteration):
        real, label = data["image"], data["label"]
        alpha = self.per_example_uniform(tf.shape(real)[0], iteration, salt=dataset_index)
        optimizer = self.optimizers["discriminator"]
        variables = self.discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_src, real_cls = self.discriminator(real)
            fake_src, _ = self.discriminator(tf.stop_gradient(fake))
            cls_logits = self._classification_logits(real_cls, dataset_index)
            loss_real = losses.wgan_critic_real(real_src)
            loss_fake = losses.wgan_critic_fake(fake_src)
            loss_cls = self._classification_loss(cls_logits, label, dataset_index)
            loss_gp = losses.gradient_penalty(lambda x: self.discriminator(x)[0], real, fake, alpha)
            c = self.config
            total = self.average(loss_real + loss_fake + c.lambda_cls * loss_cls + c.lambda_gp * loss_gp)
            scaled = optimizer.scale_loss(total)
        self.update(optimizer, tape, scaled, variables)
        return self._logs(dataset_index, "D", total, loss_real=loss_real, loss_fake=loss_fake, loss_cls=loss_cls,
                          loss_gp=loss_gp, cls_accuracy=self._accuracy(cls_logits, label, dataset_index))

    def _accuracy(self, logits, labels, dataset_index):
        labels = tf.cast(labels, tf.float32)
        if self.datasets[dataset_index].space.single_label:
            return tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(labels, 1)), tf.float32)
        return tf.reduce_mean(tf.cast(tf.equal(tf.cast(logits > 0, tf.float32), labels), tf.float32), axis=1)

    def _generator_update(self, dataset_index, data, fake, tape):
        """G's update from ``fake = G(x, c)``, recorded on ``tape``, which goes on recording
        here (D's update since then changed only D's weights)."""
        real = data["image"]
        source = self.generator_labels(data["label"], dataset_index)
        optimizer = self.optimizers["generator"]
        variables = self.generator.trainable_variables
        with tape:
            fake_src, fake_cls = self.discriminator(fake)
            loss_fake = losses.wgan_generator(fake_src)
            loss_cls = self._classification_loss(
                self._classification_logits(fake_cls, dataset_index), data["target"], dataset_index
            )
            loss_rec = losses.l1(real, self.generator((fake, source), training=True))
            c = self.config
            total = self.average(loss_fake + c.lambda_rec * loss_rec + c.lambda_cls * loss_cls)
            scaled = optimizer.scale_loss(total)
        self.update(optimizer, tape, scaled, variables)
        return self._logs(dataset_index, "G", total, loss_fake=loss_fake, loss_rec=loss_rec, loss_cls=loss_cls)
