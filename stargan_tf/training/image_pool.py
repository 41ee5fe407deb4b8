"""History buffer of generated images (Shrivastava et al. 2017, Sec. 2.3; CycleGAN Sec. 7.1).

The discriminator is shown, with probability 1/2, an image generated at an earlier step
instead of the newest one, which damps oscillation. CycleGAN keeps 50 images.
"""

import keras
import tensorflow as tf

from stargan_tf.training.strategy import replica_id


class ImagePool(keras.layers.Layer):
    """A pool of up to ``pool_size`` generated images, held in non-trainable variables.

    ``query(images, draws)`` follows the official ``util/image_pool.py`` example by example:
    while the pool is not full the image is stored and returned unchanged; afterwards, with
    probability 1/2 a random stored image is returned and replaced by the new one, otherwise
    the new image is returned and the pool is left alone.

    The randomness comes from the caller as ``draws`` (two uniforms in [0, 1) per example
    of the *global* batch, e.g. from ``GANSystem.global_uniform``), so the pool is a pure
    function of its state and the draws: it runs inside a compiled step function and resumes
    exactly from a checkpoint (the variables are tracked by whatever model owns the pool).

    Under a multi-replica strategy there is still one pool of the global batch's fakes, as
    on one device: each replica all-gathers the fakes of every replica, applies the same
    update to its own copy (``ON_READ`` variables, identical on every replica) and keeps
    its slice of the result. N replicas therefore train exactly like one device; the cost
    is one all-gather of the fakes per step.

    Args:
        pool_size: number of stored images; 0 disables the pool (``query`` is the identity).
        image_shape: ``(height, width, channels)`` of one image.
    """

    def __init__(self, pool_size, image_shape, **kwargs):
        super().__init__(trainable=False, **kwargs)
        self.pool_size = int(pool_size)
        self.image_shape = tuple(int(d) for d in image_shape)
        if self.pool_size > 0:
            # keras.Variable directly: Layer.add_weight has no `synchronization` argument.
            self.images = keras.Variable(
                initializer="zeros",
                shape=(self.pool_size,) + self.image_shape,
                dtype="float32",
                trainable=False,
                synchronization="on_read",
                aggregation="only_first_replica",
                name="images",
            )
            self.count = keras.Variable(
                initializer="zeros",
                shape=(),
                dtype="int32",
                trainable=False,
                synchronization="on_read",
                aggregation="only_first_replica",
                name="count",
            )
        self.built = True

    def query(self, images, draws):
        """Return a batch of images for the discriminator and update the pool.

        Args:
            images: ``[local batch, H, W, C]`` newly generated images of this replica
                (treated as constants).
            draws: ``[global batch, 2]`` uniforms in [0, 1) for every example of the
                global batch: column 0 decides whether to swap (swap when > 0.5, as in the
                official code), column 1 picks the slot.
        """
        images = tf.stop_gradient(images)
        if self.pool_size == 0:
            return images
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return self._query_global(images, draws)
        local_batch = tf.shape(images)[0]
        returned = self._query_global(context.all_gather(images, axis=0), draws)
        start = replica_id() * local_batch
        return returned[start : start + local_batch]

    def _query_global(self, images, draws):
        """The official pool, example by example over the global batch ``images``."""
        dtype = images.dtype
        images = tf.cast(images, tf.float32)
        draws = tf.cast(draws, tf.float32)
        size = self.pool_size
        batch = tf.shape(images)[0]

        def body(i, pool, count, outputs):
            image = images[i]
            not_full = count < size
            swap = draws[i, 0] > 0.5
            random_slot = tf.minimum(tf.cast(draws[i, 1] * size, tf.int32), size - 1)
            slot = tf.where(not_full, count, random_slot)
            write = tf.logical_or(not_full, swap)
            returned = tf.where(tf.logical_or(not_full, tf.logical_not(swap)), image, pool[slot])
            written = tf.tensor_scatter_nd_update(pool, [[slot]], [image])
            pool = tf.where(write, written, pool)
            count = tf.minimum(count + 1, size)
            return i + 1, pool, count, outputs.write(i, returned)

        _, pool, count, outputs = tf.while_loop(
            lambda i, *_: i < batch,
            body,
            (
                tf.constant(0),
                tf.convert_to_tensor(self.images.value),
                tf.convert_to_tensor(self.count.value),
                tf.TensorArray(tf.float32, size=batch, element_shape=self.image_shape),
            ),
        )
        self.images.assign(pool)
        self.count.assign(count)
        return tf.cast(outputs.stack(), dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "image_shape": self.image_shape,
        }
