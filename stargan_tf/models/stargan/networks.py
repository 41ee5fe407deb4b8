"""StarGAN's networks, layer by layer as the official code (``yunjey/stargan``, ``model.py``):
8,430,528 generator and 44,762,048 discriminator parameters at the CelebA defaults
(SPEC.md). Zero padding, affine instance norm and no biases in G; biases and LeakyReLU 0.01,
no normalisation in D."""

import keras

from stargan_tf.layers.blocks import conv_block, instance_norm, residual_block
from stargan_tf.layers.conditioning import TiledConcat


def stargan_generator(conv_dim=64, c_dim=5, repeat_num=6, name="generator"):
    """StarGAN generator G(x, c) (paper Fig. 3 / appendix Table 4).

    The target label c is tiled over the image and concatenated to it on channels; then
    c7s1-64, d128, d256 (4x4 stride 2), ``repeat_num`` x R256, u128, u64 (4x4 stride-2
    transposed convolutions) and c7s1-3 with tanh. Fully convolutional.

    Returns:
        a functional ``keras.Model``: ``(image [B, H, W, 3] in [-1, 1], label [B, c_dim])``
        -> translated image in [-1, 1] (H, W divisible by 4).
    """
    norm = instance_norm(affine=True)
    image = keras.Input((None, None, 3), name="image")
    label = keras.Input((c_dim,), name="label")
    x = TiledConcat(name="label_map")([image, label])
    x = conv_block(x, conv_dim, 7, name="c7s1", padding=3, norm=norm, activation="relu", use_bias=False)
    dim = conv_dim
    for _ in range(2):
        dim *= 2
        x = conv_block(x, dim, 4, name=f"d{dim}", strides=2, padding=1, norm=norm, activation="relu", use_bias=False)
    for i in range(repeat_num):
        x = residual_block(x, dim, name=f"r{i}", pad_mode="zero", norm=norm, use_bias=False)
    for _ in range(2):
        dim //= 2
        # PyTorch ConvTranspose2d(k4, s2, p1) places outputs as Keras' "same" does here.
        x = keras.layers.Conv2DTranspose(dim, 4, strides=2, padding="same", use_bias=False, name=f"u{dim}")(x)
        x = keras.layers.ReLU()(norm(f"u{dim}_norm")(x))
    translated = conv_block(x, 3, 7, name="c7s1_out", padding=3, activation="tanh", use_bias=False)
    return keras.Model([image, label], translated, name=name)


def stargan_discriminator(image_size=128, conv_dim=64, c_dim=5, repeat_num=6, name="discriminator"):
    """StarGAN discriminator: a PatchGAN critic D_src and an auxiliary classifier D_cls.

    ``repeat_num`` stride-2 4x4 convolutions from ``conv_dim`` channels doubling each time;
    D_src is a 3x3 convolution to one channel, D_cls a convolution whose kernel covers the
    whole remaining map (``image_size / 2**repeat_num``), which ties D to one image size.
    Both heads compute in float32 under mixed precision.

    Returns:
        a functional ``keras.Model``: image ``[B, image_size, image_size, 3]`` ->
        ``(src_logits [B, h, w, 1], cls_logits [B, c_dim])``.
    """
    image = keras.Input((image_size, image_size, 3), name="image")
    x, dim = image, conv_dim
    for i in range(repeat_num):
        x = conv_block(x, dim, 4, name=f"conv{i}", strides=2, padding=1, activation=("leaky_relu", 0.01))
        if i < repeat_num - 1:
            dim *= 2
    src = conv_block(x, 1, 3, name="src", padding=1, use_bias=False, dtype="float32")
    cls = conv_block(x, c_dim, image_size // 2 ** repeat_num, name="cls", use_bias=False, dtype="float32")
    return keras.Model(image, [src, keras.layers.Reshape((c_dim,), dtype="float32")(cls)], name=name)
