"""Stateless, resumable sampling: which file and which random seed belong to element `k`.

Training resumes exactly because everything random about element `k` (the `k`-th example
the trainer sees, `k = step * global_batch_size + j`) is a pure function of
`(seed, k)`: epoch `e = k // N`, position `p = k % N`, and the file read is
`index_shuffle(p, seed=[seed, e, salt])`, a fresh permutation of the N files per epoch.
No `Dataset.shuffle` and no stateful random op is used anywhere.
"""

import tensorflow as tf

# Salts keep the random streams of different uses of one `seed` apart.
SALT_FILES = 0
SALT_FILES_B = 1
SALT_AUGMENT = 2
SALT_AUGMENT_B = 3
SALT_TARGETS = 4


def element_indices(start_step, global_batch_size):
    """An infinite dataset of int64 element indices starting at `start_step * global_batch_size`."""
    return tf.data.Dataset.counter(start=start_step * global_batch_size, dtype=tf.int64)


def permuted_index(index, max_index, seed, stream, salt):
    """Position `index` of the stateless permutation of `[0, max_index]` keyed by `(seed, stream, salt)`.

    Uses the raw `RandomIndexShuffle` op because its seed has three components; the public
    `tf.random.experimental.index_shuffle` takes a two-component seed and pads it with a constant.
    """
    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(stream, tf.int64), tf.constant(salt, tf.int64)])
    return tf.raw_ops.RandomIndexShuffle(index=index, seed=key, max_index=max_index, rounds=4)


def shuffled_file_index(k, num_files, seed, salt):
    """The file index read for element `k`: a fresh permutation of `range(num_files)` per epoch."""
    k = tf.cast(k, tf.int64)
    n = tf.constant(num_files, tf.int64)
    return permuted_index(k % n, n - 1, seed, stream=k // n, salt=salt)


def element_seed(k, seed, salt):
    """A shape-[2] seed for the stateless augmentation ops of element `k`."""
    base = tf.constant([seed, salt], tf.int64)
    return tf.random.experimental.stateless_fold_in(base, tf.cast(k, tf.int64))


def augment(image, k, seed, salt, flip, crop_size=None):
    """Stateless random crop to `crop_size` (if given) then random horizontal flip (if `flip`)."""
    base = element_seed(k, seed, salt)
    if crop_size is not None:
        crop_seed = tf.random.experimental.stateless_fold_in(base, 1)
        image = tf.image.stateless_random_crop(image, [crop_size, crop_size, 3], seed=crop_seed)
    if flip:
        flip_seed = tf.random.experimental.stateless_fold_in(base, 2)
        image = tf.image.stateless_random_flip_left_right(image, seed=flip_seed)
    return image
