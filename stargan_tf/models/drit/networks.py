"""DRIT's networks (Lee et al., ECCV 2018 / IJCV 2020), layer by layer as the official code
(``HsinYingLee/DRIT``, ``src/networks.py``).

Every convolution starts from N(0, 0.02) (the official ``gaussian_weights_init`` reaches every
module whose class name begins with "Conv"); the linear layers keep PyTorch's default. The
official modules that hold both domains (``E_content``, ``E_attr*``, ``G*``) are split here
into one network per domain plus the layers the domains share (``content_share``,
``generator_share``), so a direction can be exported alone; their sums are the official
parameter counts (SPEC.md, research notes section 1.5).

No network draws random numbers (``models.base`` rule 2): the content encoder's Gaussian
noise layer, the attribute encoder's reparameterisation and the random attribute codes are
drawn by the system and passed in.
"""

import keras

from stargan_tf.layers.blocks import conv_block, instance_norm, residual_block, transposed_conv_block
from stargan_tf.layers.conditioning import TiledConcat
from stargan_tf.layers.initializers import normal_002, torch_default
from stargan_tf.layers.normalization import LayerNorm2D
from stargan_tf.layers.pooling import AveragePoolingExcludingPadding

# The reference's LeakyReLUConv2d uses PyTorch's default slope; the attribute encoder's
# BicycleGAN blocks use 0.2.
DISCRIMINATOR_SLOPE = ("leaky_relu", 0.01)
ENCODER_SLOPE = ("leaky_relu", 0.2)
_CONV = dict(initializer=normal_002)
_INS = dict(norm=instance_norm(), **_CONV)


def _ins_residual(x, name, filters=None):
    """``INSResBlock``: reflection pad, 3x3 conv, IN, ReLU, pad, 3x3 conv, IN, + x."""
    return residual_block(x, filters or x.shape[-1], name=name, pad_mode="reflect", use_bias=True, **_INS)


def content_encoder(ch=64, channels=3, name="content_encoder"):
    """One domain's trunk of ``E_content``: c7s1-``ch`` with LeakyReLU 0.01 and no norm (the
    official Instance branch of ``LeakyReLUConv2d`` is dead code), two 3x3 stride-2 convs
    with IN and ReLU (2 ch, 4 ch), three IN residual blocks. 3,918,976 parameters at the
    official ch 64.

    Returns:
        a functional ``keras.Model``: image ``[B, H, W, channels]`` -> ``[B, H/4, W/4, 4 ch]``.
    """
    image = keras.Input((None, None, channels), name="image")
    x = conv_block(image, ch, 7, name="conv0", padding=3, pad_mode="reflect", activation=DISCRIMINATOR_SLOPE,
                   **_CONV)
    for i, filters in enumerate((2 * ch, 4 * ch), start=1):
        x = conv_block(x, filters, 3, name=f"conv{i}", strides=2, padding=1, pad_mode="reflect",
                       activation="relu", **_INS)
    for i in range(3):
        x = _ins_residual(x, f"res{i}")
    return keras.Model(image, x, name=name)


def shared_residual(filters, name):
    """One IN residual block as a network of its own: the content encoders' shared last
    layer (``conv_share``, before the noise) and the concatenation generators' shared first
    layer (``dec_share``), on the content code's ``filters`` channels. 1,180,160 parameters
    at the official 256."""
    features = keras.Input((None, None, filters), name="features")
    return keras.Model(features, _ins_residual(features, "res"), name=name)


def _basic_block(x, filters, name):
    """BicycleGAN's ``BasicBlock`` without norm: LeakyReLU 0.2, 3x3 conv (same width),
    LeakyReLU, 3x3 conv to ``filters`` and 2x2 average pooling, plus a shortcut of 2x2
    average pooling and a 1x1 conv."""
    y = keras.layers.LeakyReLU(0.2)(x)
    y = conv_block(y, x.shape[-1], 3, name=f"{name}_conv1", padding=1, pad_mode="reflect", activation=ENCODER_SLOPE,
                   **_CONV)
    y = conv_block(y, filters, 3, name=f"{name}_conv2", padding=1, pad_mode="reflect", **_CONV)
    y = keras.layers.AveragePooling2D(2)(y)
    shortcut = conv_block(keras.layers.AveragePooling2D(2)(x), filters, 1, name=f"{name}_shortcut", **_CONV)
    return keras.layers.Add(name=f"{name}_add")([y, shortcut])


def attribute_encoder_concat(nz=8, ch=64, channels=3, name="attribute_encoder"):
    """One domain of ``E_attr_concat`` (``--concat=1``), the VAE-style encoder of BicycleGAN:
    a 4x4 stride-2 conv (ch), BasicBlocks to 2, 3 and 4 ch, LeakyReLU 0.2, global average
    pooling and two linear heads. 1,344,080 parameters at nz 8, ch 64.

    Returns:
        a functional ``keras.Model``: image -> ``(mean [B, nz], log_variance [B, nz])``; the
        system draws ``z = mean + eps * exp(log_variance / 2)``.
    """
    image = keras.Input((None, None, channels), name="image")
    x = conv_block(image, ch, 4, name="conv0", strides=2, padding=1, pad_mode="reflect", **_CONV)
    for i, filters in enumerate((2 * ch, 3 * ch, 4 * ch), start=1):
        x = _basic_block(x, filters, f"block{i}")
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.LeakyReLU(0.2)(x))
    heads = dict(kernel_initializer=torch_default(), bias_initializer="zeros")
    mean = keras.layers.Dense(nz, name="mean", dtype="float32", **heads)(x)
    log_variance = keras.layers.Dense(nz, name="log_variance", dtype="float32", **heads)(x)
    return keras.Model(image, [mean, log_variance], name=name)


def attribute_encoder(nz=8, ch=64, channels=3, name="attribute_encoder"):
    """One domain of ``E_attr`` (``--concat=0``): deterministic, no norm: c7s1-ch with ReLU,
    four 4x4 stride-2 convs with ReLU (2, 4, 4, 4 ch), global average pooling (any input
    size works) and a 1x1 conv to ``nz``. 2,764,936 parameters at nz 8, ch 64.

    Returns:
        a functional ``keras.Model``: image -> attribute code ``[B, nz]``.
    """
    image = keras.Input((None, None, channels), name="image")
    x = conv_block(image, ch, 7, name="conv0", padding=3, pad_mode="reflect", activation="relu", **_CONV)
    for i, filters in enumerate((2 * ch, 4 * ch, 4 * ch, 4 * ch), start=1):
        x = conv_block(x, filters, 4, name=f"conv{i}", strides=2, padding=1, pad_mode="reflect",
                       activation="relu", **_CONV)
    x = keras.layers.GlobalAveragePooling2D(keepdims=True)(x)
    code = conv_block(x, nz, 1, name="code", dtype="float32", **_CONV)
    return keras.Model(image, keras.layers.Reshape((nz,), dtype="float32")(code), name=name)


def _upsample(x, filters, name):
    """``ReLUINSConvTranspose2d``: 3x3 stride-2 transposed conv, layer norm over (C, H, W)
    with a per-channel affine (MUNIT's, despite the reference's name), ReLU."""
    return transposed_conv_block(x, filters, name=name, norm=lambda n: LayerNorm2D(name=n), activation="relu",
                                 **_CONV)


def _to_image(x, channels):
    # The reference's 1x1 stride-1 ConvTranspose2d is a 1x1 convolution.
    return conv_block(x, channels, 1, name="to_image", activation="tanh", **_CONV)


def generator_concat(nz=8, ch=64, channels=3, name="generator"):
    """One domain of ``G_concat`` (``--concat=1``) after the shared ``dec_share`` block: the
    attribute code tiled and concatenated before every stage (paper Fig. 4(b), "concat"):
    [z] three IN residual blocks at 4 ch + nz channels, [z] up-sampling to half the
    channels, [z] up-sampling to half again, [z] a 1x1 conv to the image, tanh. 4,192,275
    parameters at nz 8, ch 64.

    Returns:
        a functional ``keras.Model``: ``(content [B, h, w, 4 ch], attribute [B, nz])`` ->
        image ``[B, 4h, 4w, channels]`` in [-1, 1].
    """
    content = keras.Input((None, None, 4 * ch), name="content")
    attribute = keras.Input((nz,), name="attribute")
    x = TiledConcat(name="concat0")([content, attribute])
    for i in range(3):
        x = _ins_residual(x, f"res{i}")
    for i in (1, 2):
        x = TiledConcat(name=f"concat{i}")([x, attribute])
        x = _upsample(x, x.shape[-1] // 2, f"up{i}")
    x = TiledConcat(name="concat3")([x, attribute])
    return keras.Model([content, attribute], _to_image(x, channels), name=name)


def _mis_residual(x, vector, name):
    """``MisINSResBlock``: feature-wise transform by a code vector inside a residual block:
    [3x3 conv, IN], concat the vector, 1x1 conv (same width) + ReLU, 1x1 conv back + ReLU,
    [3x3 conv, IN], concat, 1x1, ReLU, 1x1, ReLU, + x."""
    filters = x.shape[-1]

    def transform(y, stage):
        y = TiledConcat(name=f"{name}_concat{stage}")([y, vector])
        y = conv_block(y, y.shape[-1], 1, name=f"{name}_mix{stage}a", activation="relu", **_CONV)
        return conv_block(y, filters, 1, name=f"{name}_mix{stage}b", activation="relu", **_CONV)

    y = conv_block(x, filters, 3, name=f"{name}_conv1", padding=1, pad_mode="reflect", **_INS)
    y = transform(y, 1)
    y = conv_block(y, filters, 3, name=f"{name}_conv2", padding=1, pad_mode="reflect", **_INS)
    y = transform(y, 2)
    return keras.layers.Add(name=f"{name}_add")([x, y])


def generator_feature_wise(nz=8, ch=64, channels=3, name="generator"):
    """One domain of ``G`` (``--concat=0``, paper Fig. 4(b), "feature-wise transform"; no
    shared layer): an MLP nz -> 4 ch -> 4 ch -> 4 x 4 ch gives one vector per block of four
    ``MisINSResBlock``s, then two up-sampling stages (2 ch, ch) and a 1x1 conv to the image.
    8,573,187 parameters at nz 8, ch 64.

    Returns:
        a functional ``keras.Model``: ``(content [B, h, w, 4 ch], attribute [B, nz])`` ->
        image ``[B, 4h, 4w, channels]`` in [-1, 1].
    """
    width = 4 * ch
    content = keras.Input((None, None, width), name="content")
    attribute = keras.Input((nz,), name="attribute")
    dense = dict(kernel_initializer=torch_default(), bias_initializer="zeros")
    h = keras.layers.Dense(width, activation="relu", name="mlp0", **dense)(attribute)
    h = keras.layers.Dense(width, activation="relu", name="mlp1", **dense)(h)
    h = keras.layers.Dense(4 * width, name="mlp2", **dense)(h)
    x = content
    for i in range(4):
        x = _mis_residual(x, h[:, i * width:(i + 1) * width], f"block{i}")
    for i, filters in enumerate((2 * ch, ch), start=1):
        x = _upsample(x, filters, f"up{i}")
    return keras.Model([content, attribute], _to_image(x, channels), name=name)


def _patch_critic(x, ch, n_layer, spectral, name):
    """``MultiScaleDis._make_net``: ``n_layer`` 4x4 stride-2 convs from ``ch`` channels,
    doubling, reflection pad 1, LeakyReLU 0.01, no norm; a 1x1 conv to one logit map."""
    filters = ch
    for i in range(n_layer):
        x = conv_block(x, filters, 4, name=f"{name}_conv{i}", strides=2, padding=1, pad_mode="reflect",
                       activation=DISCRIMINATOR_SLOPE, spectral=spectral, **_CONV)
        filters *= 2
    return conv_block(x, 1, 1, name=f"{name}_logit", spectral=spectral, dtype="float32", **_CONV)


def multiscale_discriminator(n_scale=3, ch=64, n_layer=4, spectral=False, channels=3, name="discriminator"):
    """``MultiScaleDis``: one patch critic per scale, the image halved between scales by
    3x3 stride-2 average pooling (padding 1, excluded from the mean). 2,757,057 parameters
    per scale at ch 64 (8,271,171 at three).

    Returns:
        a functional ``keras.Model``: image -> a list of ``n_scale`` logit maps, finest first
        (13, 6 and 3 pixels square at 216).
    """
    image = keras.Input((None, None, channels), name="image")
    x, logits = image, []
    for scale in range(n_scale):
        logits.append(_patch_critic(x, ch, n_layer, spectral, f"scale{scale}"))
        x = AveragePoolingExcludingPadding(3, 2, 1, name=f"downsample{scale}")(x)
    return keras.Model(image, logits, name=name)


def single_scale_discriminator(ch=64, spectral=False, channels=3, name="discriminator"):
    """``Dis`` (``--dis_scale=1``): six 3x3 stride-2 convs (ch to 32 ch; reflection pad 1,
    LeakyReLU 0.01) and a 1x1 conv to one logit map. 25,149,057 parameters at ch 64.

    Returns:
        a functional ``keras.Model``: image -> a one-element list with the logit map.
    """
    image = keras.Input((None, None, channels), name="image")
    x, filters = image, ch
    for i in range(6):
        x = conv_block(x, filters, 3, name=f"conv{i}", strides=2, padding=1, pad_mode="reflect",
                       activation=DISCRIMINATOR_SLOPE, spectral=spectral, **_CONV)
        filters *= 2
    logit = conv_block(x, 1, 1, name="logit", spectral=spectral, dtype="float32", **_CONV)
    return keras.Model(image, [logit], name=name)


def content_discriminator(ch=64, n_layer=3, name="content_discriminator"):
    """``Dis_content``: is a content code from domain A or B? ``n_layer`` (official 3) 7x7
    stride-2 convs and a 4x4 conv (4 ch channels, reflection pad 1 then 0, LeakyReLU 0.01,
    no norm), a 1x1 conv to one logit: one per image at the 54x54 codes of 216-pixel crops.
    10,683,649 parameters at ch 64.

    Returns:
        a functional ``keras.Model``: content ``[B, h, w, 4 ch]`` -> logits ``[B, n]`` (the
        map flattened: one logit per image at 54x54 codes, more at larger ones).
    """
    width = 4 * ch
    content = keras.Input((None, None, width), name="content")
    x = content
    for i in range(n_layer):
        x = conv_block(x, width, 7, name=f"conv{i}", strides=2, padding=1, pad_mode="reflect",
                       activation=DISCRIMINATOR_SLOPE, **_CONV)
    x = conv_block(x, width, 4, name=f"conv{n_layer}", activation=DISCRIMINATOR_SLOPE, **_CONV)
    logit = conv_block(x, 1, 1, name="logit", dtype="float32", **_CONV)
    return keras.Model(content, keras.layers.Flatten(dtype="float32")(logit), name=name)
