"""What the unpaired two-domain systems (CycleGAN, U-GAT-IT) share: generators A->B and
B->A, one optimizer for both generators and one for all discriminators (as both official
codes do), linear lr decay, and serving endpoints ``a2b`` / ``b2a``."""

import tensorflow as tf

from stargan_tf.export.spec import ServingBundle, ServingEndpoint
from stargan_tf.models.base import GANSystem
from stargan_tf.training.schedules import linear_decay


class TwoDomainSystem(GANSystem):
    """Base of unpaired translation systems with generators ``generator_a2b`` /
    ``generator_b2a`` (set by the subclass) and a ``config`` with ``lr``, ``beta_1``,
    ``beta_2``, ``num_iters`` and ``image_size``.

    Subclasses implement ``discriminators()``, ``decay_start()``, ``serving_metadata()``
    and, when the generator returns more than the image, ``translate``.
    """

    def generators(self):
        return [self.generator_a2b, self.generator_b2a]

    def discriminators(self):
        raise NotImplementedError

    def decay_start(self):
        raise NotImplementedError

    def serving_metadata(self):
        return {}

    def translate(self, generator, image):
        """The translated image of ``generator`` (float32, [-1, 1])."""
        return tf.cast(generator(image, training=False), tf.float32)

    def _generator_variables(self):
        return [v for network in self.generators() for v in network.trainable_variables]

    def _discriminator_variables(self):
        return [v for network in self.discriminators() for v in network.trainable_variables]

    def make_optimizers(self):
        c = self.config
        # epsilon 1e-8 is PyTorch's Adam default, which both official codes use.
        self.optimizers = {
            "generator": self.adam(c.lr, c.beta_1, c.beta_2, self._generator_variables(), epsilon=1e-8,
                                   name="generator_adam"),
            "discriminator": self.adam(c.lr, c.beta_1, c.beta_2, self._discriminator_variables(), epsilon=1e-8,
                                       name="discriminator_adam"),
        }
        return self.optimizers

    def learning_rates(self, iteration):
        lr = linear_decay(self.config.lr, iteration, self.decay_start(), self.config.num_iters)
        return {"generator": lr, "discriminator": lr}

    def serving_bundle(self):
        def endpoint(name, generator, description):
            return ServingEndpoint(name=name, translate=lambda image: self.translate(generator, image),
                                   description=description)

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
