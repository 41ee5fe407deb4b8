"""SaGAN's networks, layer by layer as the reference implementation
(elvisyjlin/SpatialAttentionGAN ``sagan.py``): at the defaults the AMN has 6,112,675, the SAN
6,107,969 and D 11,190,754 parameters (SPEC.md). N(0, 0.02) weights and zero biases
everywhere (the reference's ``init_weights``)."""

import keras

from stargan_tf.layers.blocks import conv_block, instance_norm, residual_block
from stargan_tf.layers.conditioning import TiledConcat
from stargan_tf.layers.initializers import normal_002
from stargan_tf.models.sagan.config import DOWNSAMPLINGS


def synchronized_batch_norm(name):
    """PyTorch ``BatchNorm2d`` (momentum 0.1, epsilon 1e-5), with statistics over the global
    batch under any ``tf.distribute`` strategy (the contract's rule 4)."""
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=True, name=name)


def _encoder_decoder(x, out_channels, activation, conv_dim, repeat_num):
    """The reference's ``_Generator`` body: c7s1-32, three 4x4 stride-2 down-samplings
    (instance norm without affine, ReLU), ``repeat_num`` residual blocks with batch norm,
    three 4x4 stride-2 transposed convolutions back and a 7x7 transposed convolution to
    ``out_channels`` with ``activation`` (float32 under mixed precision)."""
    norm = instance_norm(affine=False)
    x = conv_block(x, conv_dim, 7, name="c7s1", padding=3, norm=norm, activation="relu", initializer=normal_002)
    dim = conv_dim
    for _ in range(DOWNSAMPLINGS):
        dim *= 2
        x = conv_block(x, dim, 4, name=f"d{dim}", strides=2, padding=1, norm=norm, activation="relu",
                       initializer=normal_002)
    for i in range(repeat_num):
        x = residual_block(x, dim, name=f"r{i}", pad_mode="zero", norm=synchronized_batch_norm, use_bias=True,
                           initializer=normal_002)
    for _ in range(DOWNSAMPLINGS):
        dim //= 2
        # PyTorch ConvTranspose2d(k4, s2, p1) and (k7, s1, p3) place outputs as Keras' "same" does.
        x = keras.layers.Conv2DTranspose(dim, 4, strides=2, padding="same", kernel_initializer=normal_002(),
                                         name=f"u{dim}")(x)
        x = keras.layers.ReLU()(norm(f"u{dim}_norm")(x))
    x = keras.layers.Conv2DTranspose(out_channels, 7, padding="same", kernel_initializer=normal_002(), dtype="float32",
                                     name="c7s1_out")(x)
    return keras.layers.Activation(activation, dtype="float32", name=activation)(x)


def attribute_manipulation_network(conv_dim=32, repeat_num=4, name="attribute_manipulation"):
    """The AMN (paper Fig. 2): edits the whole image towards the attribute value, which is
    tiled into a fourth input plane.

    Returns:
        a functional ``keras.Model``: ``(image [B, H, W, 3] in [-1, 1], attribute [B, 1]
        in {0, 1})`` -> edited image in [-1, 1] (tanh).
    """
    image = keras.Input((None, None, 3), name="image")
    attribute = keras.Input((1,), name="attribute")
    x = TiledConcat(name="attribute_plane")([image, attribute])
    return keras.Model([image, attribute], _encoder_decoder(x, 3, "tanh", conv_dim, repeat_num), name=name)


def spatial_attention_network(conv_dim=32, repeat_num=4, name="spatial_attention"):
    """The SAN (paper Fig. 2): where the attribute lives, from the image alone.

    Returns:
        a functional ``keras.Model``: image ``[B, H, W, 3]`` -> mask ``[B, H, W, 1]`` in
        [0, 1] (sigmoid).
    """
    image = keras.Input((None, None, 3), name="image")
    return keras.Model(image, _encoder_decoder(image, 1, "sigmoid", conv_dim, repeat_num), name=name)


def sagan_discriminator(image_size=128, conv_dim=32, repeat_num=6, name="discriminator"):
    """SaGAN's discriminator: ``repeat_num`` 4x4 stride-2 convolutions with LeakyReLU 0.2
    (no normalisation), a WGAN critic head (3x3 convolution to a logit map) and an
    attribute head (a convolution covering the remaining ``image_size / 2**repeat_num``
    map, one logit; the reference applies the sigmoid inside D, here it is in the loss).

    Returns:
        a functional ``keras.Model``: image ``[B, image_size, image_size, 3]`` ->
        ``(critic [B, h, w, 1], attribute_logit [B, 1])``, both float32.
    """
    image = keras.Input((image_size, image_size, 3), name="image")
    x, dim = image, conv_dim
    for i in range(repeat_num):
        x = conv_block(x, dim, 4, name=f"conv{i}", strides=2, padding=1, activation=("leaky_relu", 0.2),
                       initializer=normal_002)
        if i < repeat_num - 1:
            dim *= 2
    critic = conv_block(x, 1, 3, name="src", padding=1, initializer=normal_002, dtype="float32")
    attribute = conv_block(x, 1, image_size // 2 ** repeat_num, name="cls", initializer=normal_002, dtype="float32")
    return keras.Model(image, [critic, keras.layers.Reshape((1,), dtype="float32")(attribute)], name=name)
