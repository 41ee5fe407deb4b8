"""The contract every system (StarGAN, U-GAT-IT, CycleGAN, ...) fulfils for the shared loop.

A system owns its networks and optimizers and exposes its objective as *replica step
functions*: ``step(batch, iteration) -> {loss_name: scalar}``. The training loop
(``stargan_tf.training.loop``) runs the step functions the system names for each iteration
under ``strategy.run``, so every system runs unchanged under any ``tf.distribute``
strategy, and N replicas compute what one device computes, provided it follows five rules:

1. Losses are per-example vectors reduced with ``self.average`` (divides by the *global*
   batch: the replicas' gradients are summed).
2. Random draws go through ``self.per_example_uniform`` / ``per_example_normal`` (or their
   ``global_*`` forms): stateless functions of the seed, the iteration and the global
   example index, so replicas draw differently and a run split over N replicas draws
   exactly what one device would. No layer draws random numbers itself.
3. Updates go through ``self.update`` (or ``self.gradients`` then ``self.apply``): loss
   scaling for mixed precision, and gradient clipping of the *global* gradient.
4. Layers with batch statistics are synchronised across replicas
   (``BatchNormalization(synchronized=True)``; ``batch_norms_not_synchronized`` finds the
   others), and real and fake images go through them in separate calls.
5. State other than the networks and optimizers that a resumed run needs is declared by
   ``checkpoint_state``.

Logged values are named ``D/...`` and ``G/...`` (``D/loss`` and ``G/loss`` the totals).

``GANSystem`` subclasses ``keras.Model`` for variable tracking and checkpoints, not for
``fit``: the loop runs the replica steps itself (exact tf.distribute maths, step-exact
resume), so ``compile``/``fit`` are not part of the contract.
"""

import collections
import functools

import keras
import tensorflow as tf

from stargan_tf.training.fused_adam import FusedAdam
from stargan_tf.training.strategy import replica_id

# A column of a sample grid or of test mode's output: ``images`` [B, H, W, 3] in [-1, 1];
# ``role`` INPUT (what was given), OUTPUT (what the system produces) or VISUAL (a
# rendering for people: attention maps, reconstructions). Test mode writes outputs and
# visuals, each file named after the column, or after ``row_names[i]`` for example i where
# the column means different things per example (an attribute switched on or off); grids
# show every column under its name.
Column = collections.namedtuple("Column", "name images role row_names", defaults=(None,))
INPUT, OUTPUT, VISUAL = "input", "output", "visual"
ROLES = (INPUT, OUTPUT, VISUAL)


class GANSystem(keras.Model):
    """Base class: the networks and optimizer steps of one paper's objective, what it
    shows during training and test, and what it exports.

    Subclasses implement the methods below that raise ``NotImplementedError``.

    Args:
        config: the system's frozen configuration (``models.config.TrainingConfig``
            subclass); ``batch_size`` is global, ``seed`` seeds the stateless draws.
    """

    progress_logs = ("D/loss", "G/loss")  # what the progress bar shows
    sample_count = 8  # rows of the training sample grid
    # Names of compiled procedures (``compiled_procedure``) that test mode runs beyond single network calls.
    compiled_procedures = ()

    def __init__(self, config, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.global_batch_size = int(config.batch_size)
        self.seed = int(config.seed)
        self.optimizers = {}
        self._inference = {}  # network name -> compiled inference call (see ``infer``)

    # ---- contract -----------------------------------------------------------------
    def networks(self):
        """``{name: keras.Model}``: every network, for summaries and checkpoints."""
        raise NotImplementedError

    def build_networks(self):
        """Create the variables of networks that do not hold them from construction on
        (functional Keras models, every network so far, do: nothing to do)."""

    def make_optimizers(self):
        """``{name: optimizer}``, called inside the strategy scope; the optimizers must be
        built now (a lazily built optimizer fails under a multi-replica MirroredStrategy)."""
        raise NotImplementedError

    def learning_rates(self, iteration):
        """``{optimizer name: lr}``: a pure function of the iteration, so resuming restores
        the schedule's position."""
        raise NotImplementedError

    def steps_for(self, iteration):
        """The names of the replica step methods to run in this iteration, in order."""
        raise NotImplementedError

    def checkpoint_state(self):
        """``{name: trackable}`` of state besides networks and optimizers (image pools, ...)."""
        return {}

    def sample_batch(self, examples, rng):
        """The fixed inputs of the training sample grid, from the data family's test
        examples (``rng`` draws any random codes once)."""
        raise NotImplementedError

    def sample_columns(self, batch):
        """``[Column]`` of the training sample grid."""
        raise NotImplementedError

    def test_columns(self, inputs):
        """``[Column]`` of test mode on the user's images (``inputs["image"]`` float32
        [B, H, W, 3] in [-1, 1]); test options come from the config."""
        raise NotImplementedError

    def torch_layout(self):
        """``[porting.importer.TorchNetwork]``: where the reference code's PyTorch
        checkpoints keep each network (``--mode=import``)."""
        from stargan_tf.models.config import ConfigError

        raise ConfigError(f"--mode=import: importing PyTorch checkpoints of {self.name} is not supported yet.")

    def serving_bundle(self):
        """The ``ServingBundle`` the exporter ships."""
        raise NotImplementedError

    def test_split_report(self, data, directory):
        """After training (the chief only): what the system measures on its data's whole test
        split, written under ``directory``; ``{name: path}`` of what it wrote (nothing by
        default; Contextual GAN completes the test sketches and scores them)."""
        return {}

    # ---- looking at results ------------------------------------------------------------
    def infer(self, network, inputs):
        """``network(inputs, training=False)`` in a compiled function, one per network (and
        input shape): sample grids and test mode run as graphs (eager calls were 2.4 times
        slower at batch 1)."""
        if network.name not in self._inference:
            # A partial, not a closure: TensorFlow counts the traces of every function with the
            # same code together and would warn of "excessive retracing" after six networks.
            call = functools.partial(network, training=False)
            self._inference[network.name] = tf.function(call, autograph=False, reduce_retracing=True)
        return self._inference[network.name](inputs)

    def compiled_procedure(self, name, function):
        """``function`` compiled once under ``name`` (one of ``compiled_procedures``): test-mode
        work that is more than one network call (Contextual GAN's completion loop)."""
        if name not in self._inference:
            # A partial, as in ``infer``: the procedures of every system built in a process share
            # one closure's code, whose traces TensorFlow would count together ("retracing").
            self._inference[name] = tf.function(functools.partial(function), autograph=False,
                                                reduce_retracing=True)
        return self._inference[name]

    # ---- helpers for step functions -------------------------------------------------
    def average(self, per_example_loss):
        """Mean over the global batch of a per-example loss (one value per local example)."""
        per_example_loss = tf.cast(per_example_loss, tf.float32)
        return tf.nn.compute_average_loss(per_example_loss, global_batch_size=self.global_batch_size)

    def _draw_seed(self, iteration, salt):
        return tf.stack([tf.cast(self.seed * 1000003 + salt, tf.int64), tf.cast(iteration, tf.int64)])

    def global_uniform(self, iteration, salt, shape=(), minval=0.0, maxval=1.0):
        """Uniform draws for every example of the *global* batch, ``[global_batch, *shape]``.

        Stateless in (seed, salt, iteration): reproducible on resume, and the same on every
        replica (for state every replica updates identically, like the image pool).
        """
        return tf.random.stateless_uniform((self.global_batch_size,) + tuple(shape),
                                           seed=self._draw_seed(iteration, salt), minval=minval, maxval=maxval)

    def global_normal(self, iteration, salt, shape=()):
        """Standard normal draws for every example of the global batch (see ``global_uniform``)."""
        return tf.random.stateless_normal((self.global_batch_size,) + tuple(shape),
                                          seed=self._draw_seed(iteration, salt))

    @staticmethod
    def _local(draws, local_batch_size):
        """This replica's rows of global draws: example i of the global batch gets the same
        value whatever the number of replicas."""
        start = replica_id() * local_batch_size
        return draws[start : start + local_batch_size]

    def per_example_uniform(self, local_batch_size, iteration, salt, shape=(), minval=0.0, maxval=1.0):
        """Uniform draws for this replica's examples, sliced from ``global_uniform``."""
        return self._local(self.global_uniform(iteration, salt, shape, minval, maxval), local_batch_size)

    def per_example_normal(self, local_batch_size, iteration, salt, shape=()):
        """Standard normal draws for this replica's examples, sliced from ``global_normal``."""
        return self._local(self.global_normal(iteration, salt, shape), local_batch_size)

    @staticmethod
    def adam(learning_rate, beta_1, beta_2, variables, epsilon=1e-7, name=None):
        """An Adam optimizer (``FusedAdam``), built for ``variables`` now (required under
        multi-replica strategies), with dynamic loss scaling when the mixed_float16 policy
        is active.
        Weight decay, where a reference code has it, is PyTorch's coupled L2 form
        (``losses.l2_penalty``), not Keras' decoupled one."""
        optimizer = FusedAdam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                              name=name)
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build(variables)
        return optimizer

    @staticmethod
    def gradients(tape, scaled_loss, variables):
        """Gradients of ``scaled_loss`` (passed through ``optimizer.scale_loss`` inside the
        tape). Separate from ``apply`` so a step can take two gradient sets at the same
        weights before applying either (DRIT)."""
        return tape.gradient(scaled_loss, variables)

    def apply(self, optimizer, gradients, variables, clip_norm=None):
        """Apply this replica's ``gradients`` to ``variables``.

        ``clip_norm`` clips the norm of the *global* gradient (the sum over replicas,
        unscaled): Keras' ``clipnorm``/``global_clipnorm`` clip each replica's part before
        the all-reduce, which changes the result with the replica count. Here the gradients
        are all-reduced, clipped, and divided by the replica count, so the optimizer's own
        all-reduce sums them back to the clipped global gradient.
        """
        if clip_norm is not None:
            gradients = _clip_global_norm(optimizer, gradients, clip_norm)
        optimizer.apply(gradients, variables)

    def update(self, optimizer, tape, scaled_loss, variables, clip_norm=None):
        """``apply(optimizer, gradients(tape, scaled_loss, variables), variables, clip_norm)``."""
        self.apply(optimizer, self.gradients(tape, scaled_loss, variables), variables, clip_norm)

    @staticmethod
    def unique_variables(*networks):
        """The trainable variables of ``networks``, each once (layers shared between
        networks, like DRIT's shared content block, are counted and updated once)."""
        seen, result = set(), []
        for network in networks:
            for variable in network.trainable_variables:
                if id(variable) not in seen:
                    seen.add(id(variable))
                    result.append(variable)
        return result


def _clip_global_norm(optimizer, gradients, clip_norm):
    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync if context is not None else 1
    if replicas > 1:
        gradients = context.all_reduce(tf.distribute.ReduceOp.SUM, gradients)
    # Scaled gradients (mixed float16) are clipped by their unscaled norm; a non-finite
    # norm yields non-finite gradients, which the loss-scale optimizer skips as usual.
    scale = optimizer.dynamic_scale if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) else 1.0
    norm = tf.linalg.global_norm([g for g in gradients if g is not None]) / tf.cast(scale, tf.float32)
    factor = clip_norm / tf.maximum(norm, clip_norm) / replicas
    return [None if g is None else g * tf.cast(factor, g.dtype) for g in gradients]


def batch_norms_not_synchronized(networks):
    """Paths of the ``BatchNormalization`` layers in ``networks`` that would compute
    per-replica statistics (contract rule 4); [] when every one is synchronised."""
    found = []
    for name, network in networks.items():
        for layer in network._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, keras.layers.BatchNormalization) and not layer.synchronized:
                found.append(f"{name}/{layer.name}")
    return found
