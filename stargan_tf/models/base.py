"""The contract every system (StarGAN, U-GAT-IT, CycleGAN, ...) fulfils for the shared loop.

A system owns its networks and optimizers and exposes its objective as *replica step
functions*: ``step(batch, iteration) -> {loss_name: scalar}``. The training loop
(``stargan_tf.training.loop``) runs the step functions the system names for each iteration
under ``strategy.run``, so every system runs unchanged under any ``tf.distribute``
strategy, provided it follows three rules:

1. Losses are per-example vectors reduced with ``self.average`` (divides by the *global*
   batch: Keras 3 all-reduces gradients by SUM across replicas).
2. Random draws go through ``self.per_example_uniform`` / ``self.global_uniform``
   (stateless, a function of the iteration and the global example index), so two replicas
   draw differently and a run split over N replicas draws exactly what one device would.
3. Updates go through ``self.update`` (loss scaling for mixed precision).
"""

import keras
import tensorflow as tf

from stargan_tf.training.strategy import replica_id


class GANSystem(keras.Model):
    """Base class: networks + optimizer steps of one paper's objective + what it exports.

    Subclasses implement:
        networks() -> {name: keras.Model}: every network, for summaries and checkpoints.
        build_networks(): create every network's variables (call them on dummy inputs).
        make_optimizers() -> {name: optimizer}: called inside the strategy scope; must
            create *and build* the optimizers (a lazily built optimizer fails under a
            multi-replica MirroredStrategy).
        learning_rates(iteration) -> {optimizer name: lr}: the schedule, a pure function of
            the iteration so resuming restores its position.
        steps_for(iteration) -> tuple of step method names to run in this iteration.
        translation_columns(batch) -> [(column name, images in [-1, 1])]: used for sample
            grids during training and for test mode on the user's images.
        serving_bundle() -> ServingBundle: what the exporter ships.
    """

    def __init__(self, global_batch_size, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.global_batch_size = int(global_batch_size)
        self.seed = int(seed)
        self.optimizers = {}

    # ---- contract -----------------------------------------------------------------
    def networks(self):
        raise NotImplementedError

    def build_networks(self):
        raise NotImplementedError

    def make_optimizers(self):
        raise NotImplementedError

    def learning_rates(self, iteration):
        raise NotImplementedError

    def steps_for(self, iteration):
        raise NotImplementedError

    def translation_columns(self, batch):
        raise NotImplementedError

    def serving_bundle(self):
        raise NotImplementedError

    # ---- helpers for step functions -------------------------------------------------
    def average(self, per_example_loss):
        """Mean over the global batch of a per-example loss (one value per local example)."""
        per_example_loss = tf.cast(per_example_loss, tf.float32)
        return tf.nn.compute_average_loss(
            per_example_loss, global_batch_size=self.global_batch_size
        )

    def global_uniform(self, iteration, salt, shape=(), minval=0.0, maxval=1.0):
        """Uniform draws for every example of the *global* batch, ``[global_batch, *shape]``.

        Stateless in (seed, salt, iteration): reproducible on resume, and the same on every
        replica (for state every replica updates identically, like the image pool).
        """
        seed = tf.stack(
            [tf.cast(self.seed * 1000003 + salt, tf.int64), tf.cast(iteration, tf.int64)]
        )
        return tf.random.stateless_uniform(
            (self.global_batch_size,) + tuple(shape), seed=seed, minval=minval, maxval=maxval
        )

    def per_example_uniform(self, local_batch_size, iteration, salt, shape=(), minval=0.0, maxval=1.0):
        """Uniform draws for this replica's examples, sliced from ``global_uniform``.

        Example ``i`` of the global batch gets the same value whatever the number of
        replicas, which keeps a run over N replicas mathematically equal to one device.
        """
        draws = self.global_uniform(iteration, salt, shape, minval, maxval)
        start = replica_id() * local_batch_size
        return draws[start : start + local_batch_size]

    @staticmethod
    def adam(learning_rate, beta_1, beta_2, variables, weight_decay=None, epsilon=1e-7, name=None):
        """An Adam optimizer, built for ``variables`` now (required under multi-replica
        strategies), with dynamic loss scaling when the mixed_float16 policy is active."""
        optimizer = keras.optimizers.Adam(
            learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, weight_decay=weight_decay,
            epsilon=epsilon, name=name,
        )
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build(variables)
        return optimizer

    @staticmethod
    def update(optimizer, tape, scaled_loss, variables):
        """Apply the gradients of ``scaled_loss`` (already passed through
        ``optimizer.scale_loss`` inside the tape) to ``variables``."""
        gradients = tape.gradient(scaled_loss, variables)
        optimizer.apply(gradients, variables)

