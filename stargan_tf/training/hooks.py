"""Things the training loop does besides training, after chosen iterations (Keras-callback
style, but for our replica-step loop): sample grids and periodic evaluation."""

import os

from stargan_tf.training.samples import grid, save_png


class Hook:
    """Called by ``Trainer.run`` after every iteration (``done`` iterations finished,
    ``logs`` the latest value of each logged loss); does nothing by default."""

    def after_iteration(self, trainer, done, logs):
        pass


class SampleGrid(Hook):
    """Every ``every`` iterations and at the end, the system's ``sample_columns`` of a fixed
    ``batch`` as ``<run_dir>/samples/<iteration>-images.png`` and a TensorBoard image
    (chief only).

    Attributes:
        last_path: the newest grid written, or None.
    """

    def __init__(self, batch, every):
        self.batch = batch
        self.every = every
        self.last_path = None

    def after_iteration(self, trainer, done, logs):
        if done % self.every == 0 or done == trainer.config.num_iters:
            self.write(trainer, done)

    def write(self, trainer, iteration):
        if not trainer.is_chief:
            return None
        image = grid(trainer.system.sample_columns(self.batch))
        path = os.path.join(trainer.run_dir, "samples", f"{iteration:06d}-images.png")
        self.last_path = save_png(image, path)
        trainer.summaries.image("samples", image, iteration)
        return self.last_path


class PeriodicEvaluation(Hook):
    """Every ``every`` iterations, ``evaluate(iteration, summaries)`` on the chief (the
    papers' metrics next to the losses in TensorBoard, ``--eval_step``); the other workers
    wait for it at their next collective."""

    def __init__(self, evaluate, every):
        self.evaluate = evaluate
        self.every = every

    def after_iteration(self, trainer, done, logs):
        if trainer.is_chief and done % self.every == 0:
            self.evaluate(done, trainer.summaries)
