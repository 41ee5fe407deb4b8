"""Which entry of HsinYingLee/DRIT's checkpoints (``src/networks.py``; ``model.py``'s
``save()`` writes one dict: the state dicts ``disA``, ``disA2``, ``disB``, ``disB2``,
``disContent``, ``enc_c``, ``enc_a``, ``gen``, their optimizers' ``<name>_opt``, ``ep`` and
``total_it``; ``saver.py`` names it ``<epoch>.pth`` (``%05d``) or ``last.pth``) feeds which
variable of ``networks``.

The official modules hold both domains; ours are split per domain plus the shared layers, so
one official state dict feeds several of our networks, each taking its own keys (the others
are ``ignored`` there and checked by the network they feed):

* ``enc_c`` (``E_content``): ``convA`` / ``convB`` (``LeakyReLUConv2d`` at 0, ``ReLUINSConv2d``
  at 1 and 2, ``INSResBlock`` at 3-5; each conv is its ``model.1``, a residual block's second
  conv ``model.5``) into ``content_encoder_a`` / ``_b``; ``conv_share.0`` (the one residual
  block both domains run) into ``content_share``.
* ``enc_a``: ``E_attr_concat`` (``--concat=1``): ``conv_A`` / ``conv_B`` (the 4x4 conv at 1,
  ``BasicBlock`` at 2-4: ``conv.2``, ``conv.4.1``, ``shortcut.1``), ``fc_A`` / ``fcVar_A``;
  ``E_attr`` (``--concat=0``): ``model_a`` / ``model_b`` (convs at 1, 4, 7, 10, 13, the 1x1
  code conv at 16).
* ``gen``: ``G_concat``: ``dec_share.0`` (shared) into ``generator_share``, ``decA1.<i>``,
  ``decA2.0`` / ``decA3.0`` (``ReLUINSConvTranspose2d``: transposed conv ``model.0``, layer
  norm ``model.1``), ``decA4.0``; ``G`` (``--concat=0``): ``mlpA`` (linear at 0, 2, 4),
  ``decA1``-``decA4`` (``MisINSResBlock``: ``conv1.0.1``, ``blk1.0``, ``blk1.2``,
  ``conv2.0.1``, ``blk2.0``, ``blk2.2``), ``decA5`` (up-samplings at 0, 1, the last conv at 2).
  The last layer is a 1x1 stride-1 ``ConvTranspose2d``, (in, out, 1, 1): the same values in
  the same order as our 1x1 convolution's (1, 1, in, out) kernel.
* ``disA`` ... (``MultiScaleDis``, ``--dis_scale`` > 1): ``Diss.<scale>.<layer>.model.1``, the
  1x1 logit conv ``Diss.<scale>.4``; ``Dis`` (``--dis_scale=1``): ``model.<layer>.model.1``,
  ``model.6``. ``disContent``: ``model.<layer>.model.1``, ``model.4``.

Spectral norm (``--dis_spectral_norm``) is the code's copy of PyTorch 0.5's: ``weight_orig``
(our kernel), ``weight_u`` (our u) and a ``weight`` buffer, the normalised weight of the last
training step (ignored: our layer computes it). There is no ``weight_v``: ``derive_spectral_v``
sets our v to W^T u / |W^T u|, the v the next power iteration starts from, so our inference
sigma is u^T W v = |W^T u|; a training call first runs the power iteration from u, as the
official forward does.
"""

import numpy as np

from stargan_tf.layers.spectral import SpectralConv2D
from stargan_tf.porting.layout import Entry, conv_entries

CONTENT_CONVS = 3  # LeakyReLUConv2d and two ReLUINSConv2d, before the residual blocks
RESIDUALS = 3
MULTISCALE_LAYERS = 4  # MultiScaleDis's n_layer (model.py never passes another)
SINGLE_SCALE_LAYERS = 6
OFFICIAL_CONTENT_DIS_LAYERS = 3


def _residual(name, key):
    """``INSResBlock``: pad, conv (``model.1``), IN, ReLU, pad, conv (``model.5``), IN."""
    return conv_entries(f"{name}_conv1", f"{key}.model.1") + conv_entries(f"{name}_conv2", f"{key}.model.5")


def _maybe_spectral(name, key, spectral):
    if not spectral:
        return conv_entries(name, key)
    return [Entry(f"{name}/kernel", f"{key}.weight_orig", "kernel"), Entry(f"{name}/u", f"{key}.weight_u"),
            Entry(f"{name}/bias", f"{key}.bias")]


def content_encoder_entries(domain):
    """``[Entry]`` of ``networks.content_encoder`` from ``enc_c``'s ``convA`` (domain "a") or
    ``convB``."""
    prefix = f"conv{domain.upper()}"
    entries = []
    for index in range(CONTENT_CONVS):
        entries += conv_entries(f"conv{index}", f"{prefix}.{index}.model.1")
    for block in range(RESIDUALS):
        entries += _residual(f"res{block}", f"{prefix}.{CONTENT_CONVS + block}")
    return entries


def content_share_entries():
    """``networks.shared_residual`` from ``enc_c``'s ``conv_share`` (block 0; 1 is the noise)."""
    return _residual("res", "conv_share.0")


def attribute_encoder_concat_entries(domain):
    """``networks.attribute_encoder_concat`` from ``E_attr_concat``'s ``conv_A`` / ``fc_A`` /
    ``fcVar_A`` (domain "a") or the B ones."""
    side = domain.upper()
    entries = conv_entries("conv0", f"conv_{side}.1")
    for block in (1, 2, 3):
        inner = f"conv_{side}.{block + 1}"
        entries += (conv_entries(f"block{block}_conv1", f"{inner}.conv.2") + conv_entries(f"block{block}_conv2", f"{inner}.conv.4.1")
                    + conv_entries(f"block{block}_shortcut", f"{inner}.shortcut.1"))
    return entries + conv_entries("mean", f"fc_{side}.0", "dense") + conv_entries("log_variance", f"fcVar_{side}.0", "dense")


def attribute_encoder_entries(domain):
    """``networks.attribute_encoder`` (``--concat=0``) from ``E_attr``'s ``model_a`` / ``model_b``."""
    prefix = f"model_{domain}"
    entries = []
    for index in range(5):
        entries += conv_entries(f"conv{index}", f"{prefix}.{1 + 3 * index}")
    return entries + conv_entries("code", f"{prefix}.16")


def _upsample(name, key):
    """``ReLUINSConvTranspose2d``: transposed conv ``model.0``, LayerNorm ``model.1`` (its
    (C, 1, 1) scale and shift)."""
    return conv_entries(name, f"{key}.model.0") + [Entry(f"{name}_norm/gamma", f"{key}.model.1.weight"),
                                            Entry(f"{name}_norm/beta", f"{key}.model.1.bias")]


def _to_image(key):
    # A 1x1 stride-1 ConvTranspose2d's (in, out, 1, 1) weight holds our (1, 1, in, out)
    # kernel's values in the same order.
    return conv_entries("to_image", key, "vector")


def generator_share_entries():
    """``networks.shared_residual`` from ``G_concat``'s ``dec_share.0``."""
    return _residual("res", "dec_share.0")


def generator_concat_entries(domain):
    """``networks.generator_concat`` from ``G_concat``'s ``decA1``-``decA4`` (domain "a") or
    ``decB*``."""
    prefix = f"dec{domain.upper()}"
    entries = []
    for block in range(RESIDUALS):
        entries += _residual(f"res{block}", f"{prefix}1.{block}")
    entries += _upsample("up1", f"{prefix}2.0") + _upsample("up2", f"{prefix}3.0")
    return entries + _to_image(f"{prefix}4.0")


def generator_feature_wise_entries(domain):
    """``networks.generator_feature_wise`` (``--concat=0``) from ``G``'s ``mlpA`` and
    ``decA1``-``decA5`` (domain "a") or the B ones."""
    side = domain.upper()
    entries = []
    for index in range(3):
        entries += conv_entries(f"mlp{index}", f"mlp{side}.{2 * index}", "dense")
    for block in range(4):
        inner = f"dec{side}{block + 1}"
        for stage in (1, 2):
            entries += (conv_entries(f"block{block}_conv{stage}", f"{inner}.conv{stage}.0.1")
                        + conv_entries(f"block{block}_mix{stage}a", f"{inner}.blk{stage}.0")
                        + conv_entries(f"block{block}_mix{stage}b", f"{inner}.blk{stage}.2"))
    entries += _upsample("up1", f"dec{side}5.0") + _upsample("up2", f"dec{side}5.1")
    return entries + _to_image(f"dec{side}5.2")


def discriminator_entries(dis_scale, spectral):
    """``[Entry]`` of ``networks.multiscale_discriminator`` (``dis_scale`` > 1, ``MultiScaleDis``)
    or ``single_scale_discriminator`` (``Dis``)."""
    entries = []
    if dis_scale > 1:
        for scale in range(dis_scale):
            for layer in range(MULTISCALE_LAYERS):
                entries += _maybe_spectral(f"scale{scale}_conv{layer}", f"Diss.{scale}.{layer}.model.1", spectral)
            entries += _maybe_spectral(f"scale{scale}_logit", f"Diss.{scale}.{MULTISCALE_LAYERS}", spectral)
        return entries
    for layer in range(SINGLE_SCALE_LAYERS):
        entries += _maybe_spectral(f"conv{layer}", f"model.{layer}.model.1", spectral)
    return entries + _maybe_spectral("logit", f"model.{SINGLE_SCALE_LAYERS}", spectral)


def spectral_ignored(entries):
    """The ``weight`` buffers (last normalised weights) beside the ``weight_orig`` entries."""
    return tuple(e.key[:-len("_orig")] for e in entries if e.key.endswith(".weight_orig"))


def content_discriminator_entries(n_layer=OFFICIAL_CONTENT_DIS_LAYERS):
    """``networks.content_discriminator`` from ``Dis_content`` (7x7 layers, the 4x4 one, the
    1x1 logit conv)."""
    entries = []
    for layer in range(n_layer + 1):
        entries += conv_entries(f"conv{layer}", f"model.{layer}.model.1")
    return entries + conv_entries("logit", f"model.{n_layer + 1}")


def derive_spectral_v(network):
    """Set every ``SpectralConv2D``'s v to W^T u / |W^T u| (in the layer's (kh, kw, in)
    order): the official files keep u but no v."""
    for layer in network.layers:
        if isinstance(layer, SpectralConv2D):
            matrix = np.reshape(layer.kernel.numpy(), (-1, layer.filters))
            v = matrix @ layer.u.numpy()
            layer.v.assign(v / max(float(np.linalg.norm(v)), layer.epsilon))
