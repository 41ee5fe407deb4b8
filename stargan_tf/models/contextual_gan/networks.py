"""Contextual GAN's joint-image GAN (Lu et al., ECCV 2018, Sec. 3.1): a DCGAN whose images
are a sketch and its photo side by side. Every LeakyReLU is ``max(x, 0.2 x)`` and every
weight N(0, 0.02); batch norm is synchronised across replicas."""

import keras

from stargan_tf.layers.activations import MaximumLeakyReLU
from stargan_tf.layers.blocks import has_few_output_pixels
from stargan_tf.layers.initializers import normal_002
from stargan_tf.layers.patch_conv import PatchConv2D
from stargan_tf.models.contextual_gan.config import UPSAMPLINGS

SLOPE = 0.2


def _batch_norm(name):
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True, name=name)


def joint_generator(image_size=64, z_dim=100, gf_dim=64, name="generator"):
    """G(z) (paper Sec. 3.1): a linear layer to an (S/16) x (S/8) x 8 gf_dim map, then four
    5x5 stride-2 transposed convolutions (8, 4, 2 gf_dim channels, then 3) to the S x 2S
    joint image; batch norm and LeakyReLU after each layer but the last, tanh at the end. The
    paper's text says five up-convolutions, which from 4 x 8 would give 128 x 256: four reach
    its 64 x 128 (SPEC.md).

    Returns:
        a functional ``keras.Model``: z ``[B, z_dim]`` -> joint image ``[B, S, 2S, 3]`` in
        [-1, 1] (float32).
    """
    height, width = image_size // 2 ** UPSAMPLINGS, 2 * image_size // 2 ** UPSAMPLINGS
    z = keras.Input((z_dim,), name="z")
    x = keras.layers.Dense(height * width * gf_dim * 8, kernel_initializer=normal_002(), name="project")(z)
    x = keras.layers.Reshape((height, width, gf_dim * 8))(x)
    x = MaximumLeakyReLU(SLOPE)(_batch_norm("project_norm")(x))
    for channels in (gf_dim * 4, gf_dim * 2, gf_dim):
        x = keras.layers.Conv2DTranspose(channels, 5, strides=2, padding="same", kernel_initializer=normal_002(),
                                         name=f"up{channels}")(x)
        x = MaximumLeakyReLU(SLOPE)(_batch_norm(f"up{channels}_norm")(x))
    x = keras.layers.Conv2DTranspose(3, 5, strides=2, padding="same", kernel_initializer=normal_002(),
                                     dtype="float32", name="up_rgb")(x)
    return keras.Model(z, keras.layers.Activation("tanh", dtype="float32")(x), name=name)


def joint_discriminator(image_size=64, df_dim=64, name="discriminator"):
    """D (paper Sec. 3.1): four 5x5 stride-2 convolutions (df_dim doubling to 8 df_dim), batch
    norm on the 2nd to 4th, LeakyReLU, then a linear layer to one logit (sigmoid
    cross-entropy in the losses).

    Returns:
        a functional ``keras.Model``: joint image ``[B, S, 2S, 3]`` -> logit ``[B, 1]`` (float32).
    """
    joint = keras.Input((image_size, 2 * image_size, 3), name="joint")
    x = joint
    for index, channels in enumerate((df_dim, df_dim * 2, df_dim * 4, df_dim * 8)):
        # TensorFlow's "same" padding, as the DCGAN code the paper builds on; a map of a few
        # pixels (the CPU preset's last, 2 x 4) is a matrix product of its patches, whose input
        # gradient Eigen's kernels compute far faster than the convolution's (the preset's
        # iteration 0.20 s instead of 0.23 to 0.25 on a Zen 3).
        conv = PatchConv2D if has_few_output_pixels(x, 5, 2, padding="same") else keras.layers.Conv2D
        x = conv(channels, 5, strides=2, padding="same", kernel_initializer=normal_002(), name=f"conv{index}")(x)
        if index:
            x = _batch_norm(f"conv{index}_norm")(x)
        x = MaximumLeakyReLU(SLOPE)(x)
    x = keras.layers.Flatten()(x)
    logit = keras.layers.Dense(1, kernel_initializer=normal_002(), dtype="float32", name="logit")(x)
    return keras.Model(joint, logit, name=name)
