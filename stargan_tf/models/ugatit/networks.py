"""U-GAT-IT's networks, layer by layer as the official PyTorch code (``znxlwm/UGATIT-pytorch``),
so the parameter counts equal SPEC.md: G full 278,959,808, G light 10,589,888 (256 px, ch 64,
4 residual blocks), D global (7 layers) 53,130,176, D local (5 layers) 3,290,560 (trainable
weights; spectral normalisation adds non-trainable ``u`` and ``v`` vectors per conv, as
PyTorch's buffers)."""

import keras
from keras import layers

from stargan_tf.layers.adalin import AdaLIN, LayerInstanceNorm
from stargan_tf.layers.attention import CAMAttention
from stargan_tf.layers.blocks import conv_block, instance_norm, residual_block
from stargan_tf.layers.initializers import torch_default
from stargan_tf.layers.upsampling import NearestUpsampling2D


def ugatit_generator(image_size=256, ch=64, n_res=4, light=False, channels=3, unbiased_variance=False,
                     name="generator"):
    """The U-GAT-IT generator (paper Fig. 1 and appendix table; PT ``ResnetGenerator``).

    Encoder (c7s1-ch, two stride-2 down-sampling convs, ``n_res`` residual blocks with
    instance norm), CAM attention, an MLP producing AdaLIN's gamma/beta (from the flattened
    feature map, or from its global average pool when ``light``), ``n_res`` AdaLIN residual
    blocks and two up-sampling blocks with LIN. No biases except the CAM 1x1 convolution.

    Returns:
        a functional ``keras.Model``: image ``[B, S, S, channels]`` in [-1, 1] ->
        ``(image, cam_logit [B, 2], heatmap [B, S/4, S/4, 1])``.
    """
    plain = dict(pad_mode="reflect", use_bias=False, initializer=torch_default)
    inputs = keras.Input((image_size, image_size, channels), name="image")
    x = conv_block(inputs, ch, 7, name="enc_conv0", padding=3, norm=instance_norm(), activation="relu", **plain)
    for i in range(2):
        x = conv_block(x, ch * 2 ** (i + 1), 3, name=f"enc_down{i + 1}", strides=2, padding=1,
                       norm=instance_norm(), activation="relu", **plain)
    width = ch * 4
    for i in range(n_res):
        x = residual_block(x, width, name=f"enc_res{i}", norm=instance_norm(), **plain)

    # CAM attention (auxiliary classifier eta_s and the attention feature map).
    x, cam_logit, heatmap = CAMAttention(activation="relu", kernel_initializer=torch_default(), name="cam")(x)

    # Gamma / beta of AdaLIN. The full model's flatten ties it to one image size:
    # (S/4)^2 * 4 ch inputs (268M weights at 256).
    h = layers.GlobalAveragePooling2D()(x) if light else layers.Flatten()(x)
    for i in range(2):
        h = layers.Dense(width, use_bias=False, kernel_initializer=torch_default(), name=f"mlp_fc{i}")(h)
        h = layers.ReLU()(h)
    gamma = layers.Dense(width, use_bias=False, kernel_initializer=torch_default(), name="gamma")(h)
    beta = layers.Dense(width, use_bias=False, kernel_initializer=torch_default(), name="beta")(h)

    def adalin(name):
        norm = AdaLIN(unbiased_variance=unbiased_variance, name=name)
        return lambda y: norm(y, gamma, beta)

    for i in range(n_res):
        x = residual_block(x, width, name=f"dec_res{i}", norm=adalin, **plain)

    def lin(name):
        return LayerInstanceNorm(unbiased_variance=unbiased_variance, name=name)

    for i in range(2):
        x = NearestUpsampling2D()(x)
        x = conv_block(x, width // 2 ** (i + 1), 3, name=f"dec_up{i + 1}", padding=1, norm=lin, activation="relu",
                       **plain)
    image = conv_block(x, channels, 7, name="dec_out", padding=3, activation="tanh", **plain)
    return keras.Model(inputs, [image, cam_logit, heatmap], name=name)


def ugatit_discriminator(image_size=256, ch=64, n_layers=7, channels=3, name="discriminator"):
    """U-GAT-IT's multi-scale PatchGAN discriminator with CAM (PT ``Discriminator``).

    ``n_layers`` 7 is the global D (286x286 receptive field, 6x6 patch logits at 256 px),
    5 the local D (70x70, 30x30 logits). Every 4x4 conv is spectrally normalised as in
    PyTorch's ``spectral_norm`` (``SpectralConv2D``: the trainable kernel is PyTorch's
    ``weight_orig``, the gradient flows through sigma, u and v are checkpointed state) after
    a reflection pad of 1; the CAM classifiers are spectrally normalised, its 1x1 fusion
    conv is not.

    Returns:
        a functional ``keras.Model``: image -> ``(patch_logit [B, P, P, 1], cam_logit [B, 2],
        heatmap [B, P+1, P+1, 1])``.
    """
    inputs = keras.Input((image_size, image_size, channels), name="image")

    def sn_conv(x, filters, strides, use_bias, conv_name):
        return conv_block(x, filters, 4, name=conv_name, strides=strides, padding=1, pad_mode="reflect",
                          use_bias=use_bias, initializer=torch_default, spectral=True)

    x = layers.LeakyReLU(0.2)(sn_conv(inputs, ch, 2, True, "conv0"))
    filters = ch
    for i in range(1, n_layers - 2):
        filters *= 2
        x = layers.LeakyReLU(0.2)(sn_conv(x, filters, 2, True, f"conv{i}"))
    filters *= 2
    x = layers.LeakyReLU(0.2)(sn_conv(x, filters, 1, True, f"conv{n_layers - 2}"))

    x, cam_logit, heatmap = CAMAttention(activation="leaky_relu", negative_slope=0.2, spectral_norm=True,
                                         kernel_initializer=torch_default(), name="cam")(x)
    patch_logit = sn_conv(x, 1, 1, False, "patch_logit")
    return keras.Model(inputs, [patch_logit, cam_logit, heatmap], name=name)
