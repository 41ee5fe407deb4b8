"""StarGAN joint training on two datasets (official `--dataset Both`)."""

import tensorflow as tf


def both_dataset(celeba_ds, rafd_ds):
    """Pair the two train datasets step by step: `{"celeba": batch, "rafd": batch}`.

    Each step uses one CelebA and one RaFD batch; the model builds the mask vector. Build
    both inputs with the same `start_step` so a resumed run stays aligned, and with
    different seeds (e.g. `seed` and `seed + 1`) so their random flips are independent.
    """
    return tf.data.Dataset.zip({"celeba": celeba_ds, "rafd": rafd_ds})
