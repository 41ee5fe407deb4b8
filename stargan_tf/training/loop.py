"""The training loop every system shares: distributed steps, schedule, logging,
checkpoints and resume; hooks (``training.hooks``) do the rest (sample grids, ...)."""

import dataclasses
import functools
import math
import sys
import time

import keras
import tensorflow as tf

from stargan_tf.training.checkpoints import RunCheckpoint
from stargan_tf.training.interrupt import StopRequest
from stargan_tf.training.run_dir import write_error
from stargan_tf.training.summaries import Summaries


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or Inf; the run stops and keeps its last good checkpoint."""


class Stopped(KeyboardInterrupt):
    """Training stopped after ``iteration`` at the user's Ctrl-C (main.py exits 130)."""

    def __init__(self, iteration, last_saved):
        super().__init__(iteration)
        self.iteration, self.last_saved = iteration, last_saved


@dataclasses.dataclass
class LoopConfig:
    """How long to train and how often to log and checkpoint (official flag names)."""

    num_iters: int
    log_step: int = 10
    model_save_step: int = 10000
    keep_checkpoints: int = 3
    jit_compile: bool = False
    show_progress: bool = True


class Trainer:
    """Runs a ``GANSystem`` under a ``tf.distribute`` strategy.

    Args:
        system: the system, built with its optimizers inside ``strategy.scope()``.
        strategy: the strategy.
        make_dataset: ``start_iteration -> tf.data.Dataset`` of *global* batches whose
            batch ``k`` is the one for iteration ``start_iteration + k`` (deterministic, so a
            resumed run sees the same data as an uninterrupted one).
        run_dir: where checkpoints, logs and samples go.
        config: a ``LoopConfig``.
        hooks: ``training.hooks.Hook`` objects called after every iteration (sample grids).
        is_chief: whether this worker writes files.
    """

    def __init__(self, system, strategy, make_dataset, run_dir, config, hooks=(), is_chief=True):
        self.system = system
        self.strategy = strategy
        self.make_dataset = make_dataset
        self.run_dir = run_dir
        self.config = config
        self.hooks = tuple(hooks)
        self.is_chief = is_chief
        self.checkpoint = RunCheckpoint(system, run_dir, config.keep_checkpoints, is_chief)
        self.summaries = Summaries(run_dir, enabled=is_chief)
        self._compiled = {}
        self.start = None

    def _distributed(self, step_name):
        """``strategy.run`` of the system's replica step, compiled once per step name."""
        if step_name not in self._compiled:
            replica_step = getattr(self.system, step_name)

            def step(batch, iteration):
                per_replica = self.strategy.run(replica_step, args=(batch, iteration))
                return {
                    name: self.strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)
                    for name, value in per_replica.items()
                }

            # The steps are graph code already (tf.cond / tf.while_loop where they branch on
            # tensors), so AutoGraph's rewriting of every Keras call they make only costs
            # time: a sixth of a two-iteration run of the six systems, measured.
            compile_ = functools.partial(tf.function, autograph=False)
            jit = self._jit_mode()
            if jit == "replica":
                # XLA compiles the per-replica computation; the cross-replica part
                # (strategy.run, all-reduce of the gradients) cannot be inside one cluster.
                replica_step = compile_(replica_step, jit_compile=True)
                self._compiled[step_name] = compile_(step)
            else:
                self._compiled[step_name] = compile_(step, jit_compile=True if jit == "whole" else None)
        return self._compiled[step_name]

    def _jit_mode(self):
        """None, "whole" (one device: the whole step in one XLA cluster) or "replica"
        (several GPUs: each replica's step compiled). Several logical CPU devices cannot
        use XLA (the CPU XLA device cannot reach variables on logical CPU:1, TF 2.21), so
        --jit_compile is ignored there with a warning."""
        if not self.config.jit_compile:
            return None
        if self.strategy.num_replicas_in_sync == 1:
            return "whole"
        if not tf.config.list_logical_devices("GPU"):
            if not getattr(self, "_warned_jit", False):
                print("--jit_compile is ignored with several replicas on CPU devices (XLA on CPU "
                      "cannot reach the variables of logical CPU devices other than CPU:0).")
                self._warned_jit = True
            return None
        return "replica"

    def _check_workers_agree(self, start):
        """Multi-worker runs: every worker must resume from the same iteration, or the
        collectives of the first step would pair different computations (and hang)."""
        if not isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy):
            return
        value = tf.constant(float(start), tf.float64)

        @tf.function
        def moments():
            per_replica = self.strategy.run(lambda: tf.stack([value, value * value]))
            return self.strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica, axis=None)

        mean, mean_square = (float(x) for x in moments().numpy())
        if abs(mean_square - mean * mean) > 1e-6:
            raise RuntimeError(
                f"The workers restored different iterations (this worker: {start}, mean over workers: "
                f"{mean:.1f}). Every worker restores from {self.checkpoint.directory}: on several "
                "machines --run_dir must be on storage all workers share."
            )

    def train_step(self, batch, iteration, step_names=None):
        """Run the system's steps of ``iteration`` (or ``step_names``) on one distributed
        batch; return the reduced logs as tensors."""
        step_logs = {}
        iteration_tensor = tf.constant(iteration, tf.int64)
        for step_name in step_names or self.system.steps_for(iteration):
            step_logs.update(self._distributed(step_name)(batch, iteration_tensor))
        return step_logs

    def restore(self):
        """Restore the run's newest readable checkpoint (if any); return the iteration to
        start at. ``run`` calls it unless it was called before."""
        self.start = self.checkpoint.restore_latest()
        self._check_workers_agree(self.start)
        return self.start

    def run(self):
        """Train from the latest checkpoint (or from scratch) to ``num_iters``; return the
        logs of the last iteration."""
        start = self.restore() if self.start is None else self.start
        total = self.config.num_iters
        if start >= total:
            print(f"Run in {self.run_dir} already finished ({start}/{total} iterations).")
            return {}
        if start:
            print(f"Resuming from iteration {start} ({self.checkpoint.restored_from}).")
        dataset = self.strategy.experimental_distribute_dataset(self.make_dataset(start))
        iterator = iter(dataset)
        progress = keras.utils.Progbar(total, stateful_metrics=None) if self.config.show_progress and self.is_chief else None
        if progress is not None:
            progress.update(start)
        logs, last_saved, started, iteration = {}, start, time.time(), start
        try:
            with StopRequest() as stop:
                for iteration in range(start, total):
                    rates = self.system.learning_rates(iteration)
                    for name, lr in rates.items():
                        self.system.optimizers[name].learning_rate.assign(lr)
                    batch = next(iterator)
                    step_values = {name: float(value) for name, value in self.train_step(batch, iteration).items()}
                    self._check_finite(step_values, iteration, last_saved)
                    logs.update(step_values)
                    done = iteration + 1
                    if done % self.config.log_step == 0 or done == total:
                        scalars = dict(logs)
                        scalars.update({f"lr/{n}": lr for n, lr in rates.items()})
                        self.summaries.scalars(scalars, done)
                    if progress is not None:
                        progress.update(done, values=[(k, logs[k]) for k in self.system.progress_logs if k in logs])
                    for hook in self.hooks:
                        hook.after_iteration(self, done, logs)
                    if done % self.config.model_save_step == 0 or done == total or (stop.requested and
                                                                                   self._saves_alone()):
                        self._save(done, last_saved)
                        last_saved = done
                    if stop.requested:
                        raise Stopped(done, last_saved)
        except Stopped as stopped:
            print(f"\nInterrupted at iteration {stopped.iteration}. The last checkpoint is iteration "
                  f"{stopped.last_saved} in {self.checkpoint.directory}; run the same command again to resume from "
                  "it.", file=sys.stderr)
            raise
        except KeyboardInterrupt:  # a second Ctrl-C, or one before the loop took SIGINT over
            print(
                f"\nInterrupted in iteration {iteration + 1}. The last checkpoint is iteration {last_saved} in "
                f"{self.checkpoint.directory}; run the same command again to resume from it.", file=sys.stderr
            )
            raise
        finally:
            self.summaries.flush()
        elapsed = time.time() - started
        print(f"Trained iterations {start}..{total} in {elapsed:.1f} s.")
        return logs

    def _saves_alone(self):
        """Whether this process may checkpoint at an iteration of its own choosing (a Ctrl-C
        reaches one machine of a multi-worker run, whose other workers would not save with it)."""
        return not isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy)

    def _save(self, iteration, last_saved):
        """Checkpoint; a failed write (a full disk) ends the run with what to do, and the
        previous checkpoint stays the latest (the index is replaced only after the data)."""
        try:
            self.checkpoint.save(iteration)
        except (OSError, tf.errors.OpError) as error:
            kept = (f"The last good checkpoint (iteration {last_saved}) in {self.checkpoint.directory} is kept."
                    if last_saved else "No checkpoint had been written yet.")
            raise write_error(f"{self.checkpoint.directory}/ckpt-{iteration}", error, kept) from error

    def _check_finite(self, step_values, iteration, last_saved):
        for name, value in step_values.items():
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"Loss {name} is {value} at iteration {iteration + 1}. Training stopped; the "
                    f"last good checkpoint (iteration {last_saved}) in {self.checkpoint.directory} is "
                    "kept. Lower the learning rates or check the data, then run again to resume."
                )
