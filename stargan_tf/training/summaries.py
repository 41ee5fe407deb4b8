"""TensorBoard summaries of a run (``<run_dir>/logs``): scalars and image grids."""

import os

import numpy as np
import tensorflow as tf


class Summaries:
    """Writes scalars (each loss term by name, learning rates) and images to TensorBoard.

    The event file is created at the first write, not before: a run refused by a check made
    after the trainer was built leaves no ``logs/`` behind. A no-op on non-chief workers.
    """

    def __init__(self, run_dir, enabled=True):
        self.directory = os.path.join(run_dir, "logs")
        self.enabled = enabled
        self._writer = None

    @property
    def writer(self):
        if self._writer is None and self.enabled:
            self._writer = tf.summary.create_file_writer(self.directory)
        return self._writer

    def scalars(self, values, step):
        if not self.enabled:
            return
        with self.writer.as_default(step=step):
            for name, value in values.items():
                tf.summary.scalar(name, value)

    def image(self, name, grid_uint8, step):
        if not self.enabled:
            return
        with self.writer.as_default(step=step):
            tf.summary.image(name, np.asarray(grid_uint8)[None], max_outputs=1)

    def flush(self):
        if self._writer is not None:
            self._writer.flush()
