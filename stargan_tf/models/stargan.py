"""StarGAN (Choi et al., CVPR 2018): one generator for many domains, with the mask vector.

Networks follow the official implementation layer by layer (SPEC.md: 8,430,528 generator
and 44,762,048 discriminator parameters at the CelebA defaults).
"""

import dataclasses
from typing import Sequence

import keras
import tensorflow as tf
from keras import ops

from stargan_tf import losses
from stargan_tf.export.spec import BINARY, ONE_HOT, Condition, ServingBundle, ServingEndpoint
from stargan_tf.layers import InstanceNorm, ResidualBlock
from stargan_tf.models.base import GANSystem
from stargan_tf.training.schedules import linear_decay


class Generator(keras.Model):
    """StarGAN generator G(x, c) (paper Fig. 3 / appendix Table 4).

    The target label c is tiled over the image and concatenated to it on channels; then
    c7s1-64, two stride-2 down-samplings (d128, d256), ``repeat_num`` residual blocks, two
    stride-2 up-samplings and c7s1-3 with tanh. Zero padding, affine instance norm, no bias.

    Call arguments:
        inputs: ``(image, label)``, image ``[B, H, W, 3]`` in [-1, 1] (H, W divisible by
            4), label ``[B, c_dim]``. Returns the translated image in [-1, 1].
    """

    def __init__(self, conv_dim=64, c_dim=5, repeat_num=6, **kwargs):
        super().__init__(**kwargs)
        self.conv_dim, self.c_dim, self.repeat_num = conv_dim, c_dim, repeat_num
        layers = [keras.layers.Conv2D(conv_dim, 7, padding="same", use_bias=False), InstanceNorm(),
                  keras.layers.ReLU()]
        dim = conv_dim
        for _ in range(2):
            dim *= 2
            layers += [keras.layers.Conv2D(dim, 4, strides=2, padding="same", use_bias=False),
                       InstanceNorm(), keras.layers.ReLU()]
        layers += [ResidualBlock(dim) for _ in range(repeat_num)]
        for _ in range(2):
            dim //= 2
            layers += [keras.layers.Conv2DTranspose(dim, 4, strides=2, padding="same", use_bias=False),
                       InstanceNorm(), keras.layers.ReLU()]
        layers += [keras.layers.Conv2D(3, 7, padding="same", use_bias=False),
                   # float32 output even under a mixed-precision policy.
                   keras.layers.Activation("tanh", dtype="float32")]
        # A Sequential (not a list) so the layers are tracked children in checkpoints.
        self.body = keras.Sequential(layers, name="body")

    def call(self, inputs):
        image, label = inputs
        label = ops.cast(label, image.dtype)
        label_map = ops.broadcast_to(
            label[:, None, None, :], (ops.shape(image)[0], ops.shape(image)[1], ops.shape(image)[2], self.c_dim)
        )
        return self.body(ops.concatenate([image, label_map], axis=-1))


class Discriminator(keras.Model):
    """StarGAN discriminator: a PatchGAN critic D_src and an auxiliary classifier D_cls.

    ``repeat_num`` stride-2 4x4 convolutions (bias, LeakyReLU 0.01, no normalisation) from
    ``conv_dim`` channels doubling each time; D_src is a 3x3 convolution to one channel,
    D_cls a convolution whose kernel covers the whole remaining map
    (``image_size / 2**repeat_num``), which is why D is tied to one image size.

    Call arguments:
        image: ``[B, image_size, image_size, 3]``. Returns ``(src_logits [B, h, w, 1],
        cls_logits [B, c_dim])``.
    """

    def __init__(self, image_size=128, conv_dim=64, c_dim=5, repeat_num=6, **kwargs):
        super().__init__(**kwargs)
        if image_size % (2 ** repeat_num):
            raise ValueError(
                f"--image_size={image_size} must be divisible by 2**d_repeat_num={2 ** repeat_num}: "
                "the discriminator's classification kernel is image_size / 2**d_repeat_num."
            )
        self.image_size, self.conv_dim, self.c_dim, self.repeat_num = image_size, conv_dim, c_dim, repeat_num
        trunk = []
        dim = conv_dim
        for index in range(repeat_num):
            trunk += [keras.layers.Conv2D(dim, 4, strides=2, padding="same"), keras.layers.LeakyReLU(0.01)]
            if index < repeat_num - 1:
                dim *= 2
        self.trunk = keras.Sequential(trunk, name="trunk")
        self.src_head = keras.layers.Conv2D(1, 3, padding="same", use_bias=False, dtype="float32")
        self.cls_head = keras.layers.Conv2D(c_dim, image_size // 2 ** repeat_num, use_bias=False, dtype="float32")

    def call(self, image):
        height, width = image.shape[1], image.shape[2]
        if height is not None and (height, width) != (self.image_size, self.image_size):
            raise ValueError(
                f"The discriminator was built for {self.image_size}x{self.image_size} images "
                f"(--image_size) but got {height}x{width}: its classification head's kernel is "
                "image_size / 2**d_repeat_num, so it only accepts the size it was built for."
            )
        x = self.trunk(image)
        return self.src_head(x), ops.reshape(self.cls_head(x), (-1, self.c_dim))


@dataclasses.dataclass(frozen=True)
class Domains:
    """The label space of one dataset StarGAN trains on.

    Attributes:
        key: the batch key of this dataset in joint training (``celeba``, ``rafd``).
        names: the selected attributes or class names, in label order.
        single_label: True for class datasets (RaFD: one-hot, softmax CE), False for
            multi-label attribute datasets (CelebA: sigmoid BCE).
    """

    key: str
    names: Sequence[str]
    single_label: bool = False

    @property
    def size(self):
        return len(self.names)


class StarGAN(GANSystem):
    """StarGAN's objective (paper Eq. 1-7): WGAN-GP adversarial loss, domain classification
    loss on real (D) and fake (G) images, and L1 reconstruction (cycle) loss.

    With one dataset the generator's label is that dataset's label vector. With two
    (``Both``, StarGAN-JNT, paper section 3.2) it is ``[labels of dataset 1, labels of
    dataset 2, mask vector]``, the unknown dataset's labels zero, and D's classification
    loss only covers the labels of the dataset the batch comes from.

    One iteration is one D update per dataset; G updates every ``n_critic`` iterations.
    The learning rates decay linearly to 0 over the last ``num_iters_decay`` iterations
    (the paper's schedule; the official code's decay is a no-op, see SPEC.md).
    """

    def __init__(self, domains, image_size=128, g_conv_dim=64, d_conv_dim=64, g_repeat_num=6,
                 d_repeat_num=6, lambda_cls=1.0, lambda_rec=10.0, lambda_gp=10.0, n_critic=5,
                 g_lr=1e-4, d_lr=1e-4, beta1=0.5, beta2=0.999, num_iters=200000,
                 num_iters_decay=100000, lr_update_step=1000, global_batch_size=16, seed=0, **kwargs):
        super().__init__(global_batch_size=global_batch_size, seed=seed, **kwargs)
        self.domains = tuple(domains)
        self.image_size = image_size
        self.lambda_cls, self.lambda_rec, self.lambda_gp = lambda_cls, lambda_rec, lambda_gp
        self.n_critic = n_critic
        self.g_lr, self.d_lr, self.beta1, self.beta2 = g_lr, d_lr, beta1, beta2
        self.num_iters, self.num_iters_decay, self.lr_update_step = num_iters, num_iters_decay, lr_update_step
        self.cls_dim = sum(d.size for d in self.domains)
        self.label_dim = self.cls_dim + (len(self.domains) if len(self.domains) > 1 else 0)
        self.generator = Generator(g_conv_dim, self.label_dim, g_repeat_num, name="generator")
        self.discriminator = Discriminator(image_size, d_conv_dim, self.cls_dim, d_repeat_num, name="discriminator")

    # ---- contract -----------------------------------------------------------------
    def networks(self):
        return {"generator": self.generator, "discriminator": self.discriminator}

    def build_networks(self):
        image = tf.zeros((1, self.image_size, self.image_size, 3))
        self.generator((image, tf.zeros((1, self.label_dim))))
        self.discriminator(image)

    def make_optimizers(self):
        self.optimizers = {
            "generator": self.adam(self.g_lr, self.beta1, self.beta2, self.generator.trainable_variables),
            "discriminator": self.adam(self.d_lr, self.beta1, self.beta2, self.discriminator.trainable_variables),
        }
        return self.optimizers

    def learning_rates(self, iteration):
        start = self.num_iters - self.num_iters_decay
        return {
            "generator": linear_decay(self.g_lr, iteration, start, self.num_iters, self.lr_update_step),
            "discriminator": linear_decay(self.d_lr, iteration, start, self.num_iters, self.lr_update_step),
        }

    def steps_for(self, iteration):
        if (iteration + 1) % self.n_critic == 0:
            return ("discriminator_step", "generator_step")
        return ("discriminator_step",)

    def translation_columns(self, batch):
        """Paper Fig. 4 layout: the input, then one column per target.

        ``batch``: ``{"image": [B,H,W,3], "targets": [(name, generator labels [B, label_dim])]}``
        (see ``generator_labels`` for building targets of one dataset).
        """
        image = tf.convert_to_tensor(batch["image"], tf.float32)
        columns = [("input", image)]
        for name, target in batch["targets"]:
            columns.append((name, self.generator((image, tf.convert_to_tensor(target, tf.float32)))))
        return columns

    def serving_bundle(self):
        if len(self.domains) == 1:
            domain = self.domains[0]
            condition = Condition(
                "target", domain.size, kind=ONE_HOT if domain.single_label else BINARY, names=tuple(domain.names),
                description="target domain labels in selected-attribute order",
            )
        else:
            names = tuple(n for d in self.domains for n in d.names) + tuple(f"mask_{d.key}" for d in self.domains)
            condition = Condition(
                "target", self.label_dim, kind=BINARY, names=names,
                description="[labels of each dataset..., mask vector]; unknown labels 0",
            )
        endpoint = ServingEndpoint(
            "translate", lambda image, target: self.generator((image, target)), (condition,),
            description="translate images to the target domain",
        )
        return ServingBundle(
            model_name="stargan",
            image_size=(self.image_size, self.image_size),
            endpoints=(endpoint,),
            trackables={"generator": self.generator},
            metadata={
                "system": "stargan",
                "datasets": [{"key": d.key, "names": list(d.names), "single_label": d.single_label}
                             for d in self.domains],
            },
        )

    # ---- labels -------------------------------------------------------------------------
    def generator_labels(self, labels, dataset_index=0):
        """Map labels of one dataset to the generator's label vector (adds the mask vector
        and zeros for the other datasets' labels in joint training)."""
        labels = tf.cast(labels, tf.float32)
        if len(self.domains) == 1:
            return labels
        batch = tf.shape(labels)[0]
        parts = []
        for index, domain in enumerate(self.domains):
            parts.append(labels if index == dataset_index else tf.zeros((batch, domain.size)))
        mask = tf.one_hot(tf.fill([batch], dataset_index), len(self.domains))
        return tf.concat(parts + [mask], axis=1)

    def _classification_logits(self, cls_logits, dataset_index):
        start = sum(d.size for d in self.domains[:dataset_index])
        return cls_logits[:, start : start + self.domains[dataset_index].size]

    def _classification_loss(self, logits, labels, dataset_index):
        if self.domains[dataset_index].single_label:
            return losses.single_label_classification(logits, labels)
        return losses.multi_label_classification(logits, labels)

    def estimate_labels(self, images, dataset_index=0):
        """D's auxiliary classifier's guess at the domain labels of real images: the source
        labels test mode uses for the user's own photos, which come without attributes."""
        _, cls_logits = self.discriminator(tf.convert_to_tensor(images, tf.float32))
        logits = self._classification_logits(cls_logits, dataset_index)
        if self.domains[dataset_index].single_label:
            return tf.one_hot(tf.argmax(logits, axis=1), self.domains[dataset_index].size)
        return tf.cast(logits > 0, tf.float32)

    def _datasets_in(self, batch):
        if len(self.domains) == 1:
            return [(0, batch)]
        return [(index, batch[domain.key]) for index, domain in enumerate(self.domains)]

    def _prefix(self, dataset_index):
        return "" if len(self.domains) == 1 else f"{self.domains[dataset_index].key}/"

    # ---- replica steps ----------------------------------------------------------------
    def discriminator_step(self, batch, iteration):
        """D maximises Eq. 1 with gradient penalty and minimises Eq. 2 on real images."""
        logs = {}
        for dataset_index, data in self._datasets_in(batch):
            logs.update(self._discriminator_update(dataset_index, data, iteration))
        return logs

    def _discriminator_update(self, dataset_index, data, iteration):
        real, label = data["image"], data["label"]
        fake = self.generator((real, self.generator_labels(data["target"], dataset_index)))
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
            total = self.average(loss_real + loss_fake + self.lambda_cls * loss_cls + self.lambda_gp * loss_gp)
            scaled = optimizer.scale_loss(total)
        self.update(optimizer, tape, scaled, variables)
        prefix = self._prefix(dataset_index)
        return {
            f"{prefix}D/loss": total,
            f"{prefix}D/loss_real": self.average(loss_real),
            f"{prefix}D/loss_fake": self.average(loss_fake),
            f"{prefix}D/loss_cls": self.average(loss_cls),
            f"{prefix}D/loss_gp": self.average(loss_gp),
            f"{prefix}D/cls_accuracy": self.average(self._accuracy(cls_logits, label, dataset_index)),
        }

    def _accuracy(self, logits, labels, dataset_index):
        labels = tf.cast(labels, tf.float32)
        if self.domains[dataset_index].single_label:
            return tf.cast(tf.equal(tf.argmax(logits, 1), tf.argmax(labels, 1)), tf.float32)
        return tf.reduce_mean(tf.cast(tf.equal(tf.cast(logits > 0, tf.float32), labels), tf.float32), axis=1)

    def generator_step(self, batch, iteration):
        """G minimises the adversarial, fake-classification (Eq. 3) and reconstruction
        (Eq. 4) terms."""
        logs = {}
        for dataset_index, data in self._datasets_in(batch):
            logs.update(self._generator_update(dataset_index, data))
        return logs

    def _generator_update(self, dataset_index, data):
        real = data["image"]
        source = self.generator_labels(data["label"], dataset_index)
        target = self.generator_labels(data["target"], dataset_index)
        optimizer = self.optimizers["generator"]
        variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generator((real, target))
            fake_src, fake_cls = self.discriminator(fake)
            loss_fake = losses.wgan_generator(fake_src)
            loss_cls = self._classification_loss(
                self._classification_logits(fake_cls, dataset_index), data["target"], dataset_index
            )
            loss_rec = losses.l1(real, self.generator((fake, source)))
            total = self.average(loss_fake + self.lambda_rec * loss_rec + self.lambda_cls * loss_cls)
            scaled = optimizer.scale_loss(total)
        self.update(optimizer, tape, scaled, variables)
        prefix = self._prefix(dataset_index)
        return {
            f"{prefix}G/loss": total,
            f"{prefix}G/loss_fake": self.average(loss_fake),
            f"{prefix}G/loss_rec": self.average(loss_rec),
            f"{prefix}G/loss_cls": self.average(loss_cls),
        }
