"""TensorBoard summaries of a run (``<run_dir>/logs``): scalars and image grids."""

import os

import numpy as np
import tensorflow as tf


class Summaries:
    """Writes scalars (each loss term by name, learning rates) and images to TensorBoard.
    A no-op on non-chief workers."""

    def __init__(self, run_dir, enabled=True):
        self.directory = os.path.join(run_dir, "logs")
        self.writer = tf.summary.create_file_writer(self.directory) if enabled else None

    def scalars(self, values, step):
        if self.writer is None:
            return
        with self.writer.as_default(step=step):
            for name, value in values.items():
                tf.summary.scalar(name, value)

    def image(self, name, grid_uint8, step):
        if self.writer is None:
            return
        with self.writer.as_default(step=step):
            tf.summary.image(name, np.asarray(grid_uint8)[None], max_outputs=1)

    def flush(self):
        if self.writer is not None:
            self.writer.flush()
