"""Random access to preprocessed images by file index, from disk or from an in-memory cache."""

import tensorflow as tf

from stargan_tf.pipelines import images


def image_loader(paths, image_size, crop_size=None, cache=False):
    """A function `index -> uint8 [S, S, 3]` giving file `paths[index]` decoded, cropped and resized.

    With `cache=True` every file is decoded once, now, into one uint8 tensor of
    `len(paths) * S * S * 3` bytes that is gathered by index; the pixels are identical
    to `cache=False`, which reads and decodes the file on every access. The cache is
    captured by the tf.data graph, so keep it well under 2 GB (small datasets only).
    """
    paths = tf.constant([str(p) for p in paths])

    def decode(path):
        """Decode one path with the fixed size and crop."""
        return images.decode_uint8(path, image_size, crop_size)

    if not cache:
        return lambda index: decode(tf.gather(paths, index))
    decoded = (
        tf.data.Dataset.from_tensor_slices(paths)
        .map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(int(paths.shape[0]))
        .get_single_element()
    )
    return lambda index: tf.gather(decoded, index)
