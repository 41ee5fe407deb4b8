"""CycleGAN's networks (``junyanz/pytorch-CycleGAN-and-pix2pix``, ``--netG resnet_9blocks
--netD basic --norm instance``): parameter counts equal SPEC.md, G 11,378,179 (9 blocks) /
7,837,699 (6 blocks), D 2,764,737."""

import keras

from stargan_tf.layers.blocks import conv_block, instance_norm, residual_block, transposed_conv_block
from stargan_tf.layers.initializers import normal_002


def cyclegan_generator(image_size=256, ch=64, n_res=9, channels=3, name="generator"):
    """ResNet generator (paper appendix 7.2): c7s1-64, d128, d256, R256 x n_res, u128, u64,
    c7s1-3, tanh. Instance norm without affine parameters; reflection padding in the 7x7 and
    residual convolutions, zero padding in the stride-2 ones; biases kept (the official code
    keeps them next to InstanceNorm2d).

    Returns:
        a functional ``keras.Model``: image ``[B, S, S, channels]`` -> image in [-1, 1].
    """
    norm = instance_norm()
    block = dict(norm=norm, use_bias=True, initializer=normal_002)
    inputs = keras.Input((image_size, image_size, channels), name="image")
    x = conv_block(inputs, ch, 7, name="c7s1", padding=3, pad_mode="reflect", activation="relu", **block)
    for i in range(2):
        filters = ch * 2 ** (i + 1)
        x = conv_block(x, filters, 3, name=f"d{filters}", strides=2, padding=1, activation="relu", **block)
    for i in range(n_res):
        x = residual_block(x, ch * 4, name=f"r{i}", pad_mode="reflect", **block)
    for i in range(2):
        filters = ch * 4 // 2 ** (i + 1)
        x = transposed_conv_block(x, filters, name=f"u{filters}", activation="relu", **block)
    image = conv_block(x, channels, 7, name="c7s1_out", padding=3, pad_mode="reflect", activation="tanh",
                       initializer=normal_002)
    return keras.Model(inputs, image, name=name)


def patchgan_discriminator(image_size=256, ch=64, n_layers=3, channels=3, name="discriminator"):
    """70x70 PatchGAN (paper appendix 7.2: C64-C128-C256-C512, then a 1-channel conv): 4x4
    convolutions with zero padding 1, instance norm from the second one on, LeakyReLU 0.2.

    Returns:
        a functional ``keras.Model``: image -> patch logits ``[B, 30, 30, 1]`` at 256 px.
    """
    leaky = ("leaky_relu", 0.2)
    inputs = keras.Input((image_size, image_size, channels), name="image")
    x = conv_block(inputs, ch, 4, name="conv0", strides=2, padding=1, activation=leaky, initializer=normal_002)
    for i in range(1, n_layers + 1):
        x = conv_block(x, ch * min(2 ** i, 8), 4, name=f"conv{i}", strides=2 if i < n_layers else 1, padding=1,
                       norm=instance_norm(), activation=leaky, initializer=normal_002)
    logits = conv_block(x, 1, 4, name="patch_logit", padding=1, initializer=normal_002)
    return keras.Model(inputs, logits, name=name)
