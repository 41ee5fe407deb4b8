"""What the unpaired two-domain systems (CycleGAN, U-GAT-IT) share: generators A->B and
B->A, one optimizer for both generators and one for all discriminators (as both official
codes do), linear lr decay, sample/test columns per direction, and serving endpoints
``a2b`` / ``b2a``."""

import tensorflow as tf

from stargan_tf.export.spec import ServingBundle, ServingEndpoint, ServingOutput
from stargan_tf.models.base import INPUT, Column, GANSystem
from stargan_tf.training.schedules import linear_decay

# (batch key of the real images, direction name, source domain letter)
DIRECTIONS = (("image_a", "A2B", "A"), ("image_b", "B2A", "B"))


class TwoDomainSystem(GANSystem):
    """Base of unpaired translation systems with generators ``generator_a2b`` /
    ``generator_b2a`` (set by the subclass) and a ``TwoDomainConfig``.

    Subclasses implement ``networks()``, ``discriminators()``, ``decay_start()``,
    ``translate(generator, image) -> {output name: tensor}`` (at least ``translated``) and
    ``direction_columns(name, real, forward, backward) -> [Column]``; ``serving_outputs``
    declares what ``translate`` returns beyond the translation.
    """

    serving_outputs = (ServingOutput("translated"),)
    sample_count = 4  # rows of the sample grid: each has a real image of both domains

    def generators(self):
        return [self.generator_a2b, self.generator_b2a]

    def discriminators(self):
        raise NotImplementedError

    def decay_start(self):
        raise NotImplementedError

    def translate(self, generator, image):
        raise NotImplementedError

    def direction_columns(self, name, real, forward, backward):
        raise NotImplementedError

    def serving_metadata(self):
        return {}

    def _generator_variables(self):
        return self.unique_variables(*self.generators())

    def _discriminator_variables(self):
        return self.unique_variables(*self.discriminators())

    def make_optimizers(self):
        c = self.config
        # epsilon 1e-8 is PyTorch's Adam default, which both official codes use.
        self.optimizers = {
            "generator": self.adam(c.lr, c.beta1, c.beta2, self._generator_variables(), epsilon=1e-8,
                                   name="generator_adam"),
            "discriminator": self.adam(c.lr, c.beta1, c.beta2, self._discriminator_variables(), epsilon=1e-8,
                                       name="discriminator_adam"),
        }
        return self.optimizers

    def learning_rates(self, iteration):
        lr = linear_decay(self.config.lr, iteration, self.decay_start(), self.config.num_iters)
        return {"generator": lr, "discriminator": lr}

    # ---- looking at results ------------------------------------------------------------
    def _generators_of(self, name):
        return (self.generator_a2b, self.generator_b2a) if name == "A2B" else (self.generator_b2a, self.generator_a2b)

    def _columns(self, batch):
        columns = []
        for key, name, source in DIRECTIONS:
            if key in batch:
                real = tf.convert_to_tensor(batch[key], tf.float32)
                forward, backward = self._generators_of(name)
                columns.append(Column(source, real, INPUT))
                columns += self.direction_columns(name, real, forward, backward)
        return columns

    def sample_batch(self, examples, rng):
        return {key: examples[key] for key, _, _ in DIRECTIONS}

    def sample_columns(self, batch):
        """Per direction: the real image, its translation and what ``direction_columns`` adds."""
        return self._columns(batch)

    def test_columns(self, inputs):
        """The user's images translated in the ``direction`` of the config (or both ways)."""
        keys = {"a2b": ("image_a",), "b2a": ("image_b",), "both": ("image_a", "image_b")}[self.config.direction]
        return self._columns({key: inputs["image"] for key in keys})

    # ---- shipping ------------------------------------------------------------------------
    def serving_bundle(self):
        def endpoint(name, generator, description):
            return ServingEndpoint(name=name, translate=lambda image: self.translate(generator, image),
                                   outputs=self.serving_outputs, description=description)

        size = self.config.image_size
        return ServingBundle(
            model_name=self.name,
            image_size=(size, size),
            endpoints=[
                endpoint("a2b", self.generator_a2b, "translate a domain-A image to domain B"),
                endpoint("b2a", self.generator_b2a, "translate a domain-B image to domain A"),
            ],
            trackables={"generator_a2b": self.generator_a2b, "generator_b2a": self.generator_b2a},
            metadata={"system": self.name, "domains": ["A", "B"], **self.serving_metadata()},
        )
