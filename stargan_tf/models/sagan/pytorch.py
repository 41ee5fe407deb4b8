"""Which entry of elvisyjlin/SpatialAttentionGAN's checkpoints (``sagan.py``; ``train.py``
saves ``<nimg>.G.pth`` and ``<nimg>.D.pth``, the state dicts of ``Generator`` and
``Discriminator``, beside ``<nimg>.G_opt.pth`` / ``<nimg>.D_opt.pth``, the optimizers',
which an import does not read) feeds which variable of ``networks.attribute_manipulation_network``,
``spatial_attention_network`` and ``sagan_discriminator``.

The generator file holds both networks, ``AMN.`` and ``SAN.``, each a ``_Generator``: ``conv``
is conv, instance norm (no affine, no running statistics), ReLU four times (convs at 0, 3, 6,
9), ``resblk.<i>.layers`` a residual block (conv 0, batch norm 1, ReLU, conv 3, batch norm 4),
``deconv`` transposed conv, instance norm, ReLU three times and the last transposed conv
(at 0, 3, 6, 9). The batch norms' running mean and variance are mapped (``generate.py``
calls ``G.eval()``, so test time normalises with them); only their ``num_batches_tracked``
is dropped (momentum 0.1 never reads it). D's ``conv`` alternates conv and LeakyReLU (convs
at 0, 2, ..., 10); its heads are ``src`` (the critic) and ``cls.0`` (the attribute
convolution before the sigmoid, which ours leaves to the loss).
"""

from stargan_tf.models.sagan.config import DOWNSAMPLINGS
from stargan_tf.porting.layout import Entry, conv_entries

CONV_NORM_RELU = 3  # nn.Sequential entries per conv -> norm -> ReLU stage
DISCRIMINATOR_STAGE = 2  # conv -> LeakyReLU
NETWORK_KEYS = {"attribute_manipulation": "AMN", "spatial_attention": "SAN"}  # prefixes in <nimg>.G.pth


def _batch_norm(name, key):
    return [Entry(f"{name}/gamma", f"{key}.weight"), Entry(f"{name}/beta", f"{key}.bias"),
            Entry(f"{name}/moving_mean", f"{key}.running_mean"),
            Entry(f"{name}/moving_variance", f"{key}.running_var")]


def generator_entries(prefix, conv_dim, repeat_num):
    """``[Entry]`` of ``attribute_manipulation_network(conv_dim, repeat_num)`` (``prefix``
    ``"AMN"``) or ``spatial_attention_network`` (``"SAN"``), from ``<nimg>.G.pth``."""
    entries, dim = conv_entries("c7s1", f"{prefix}.conv.0"), conv_dim
    for stage in range(1, DOWNSAMPLINGS + 1):
        dim *= 2
        entries += conv_entries(f"d{dim}", f"{prefix}.conv.{CONV_NORM_RELU * stage}")
    for block in range(repeat_num):
        inner = f"{prefix}.resblk.{block}.layers"
        for conv, position in (("conv1", 0), ("conv2", 3)):
            entries += conv_entries(f"r{block}_{conv}", f"{inner}.{position}")
            entries += _batch_norm(f"r{block}_{conv}_norm", f"{inner}.{position + 1}")
    for stage in range(DOWNSAMPLINGS):
        dim //= 2
        entries += conv_entries(f"u{dim}", f"{prefix}.deconv.{CONV_NORM_RELU * stage}")
    return entries + conv_entries("c7s1_out", f"{prefix}.deconv.{CONV_NORM_RELU * DOWNSAMPLINGS}")


def generator_ignored(prefix, conv_dim, repeat_num):
    """The keys of ``<nimg>.G.pth`` that feed the other network than ``prefix``'s (its own
    entries check them)."""
    (other,) = (key for key in NETWORK_KEYS.values() if key != prefix)
    entries = generator_entries(other, conv_dim, repeat_num)
    return tuple(entry.key for entry in entries) + tuple(
        entry.key.replace(".running_mean", ".num_batches_tracked") for entry in entries
        if entry.key.endswith(".running_mean"))


def discriminator_entries(repeat_num):
    """``[Entry]`` of ``sagan_discriminator(image_size, conv_dim, repeat_num)``, from
    ``<nimg>.D.pth``."""
    entries = []
    for i in range(repeat_num):
        entries += conv_entries(f"conv{i}", f"conv.{DISCRIMINATOR_STAGE * i}")
    return entries + conv_entries("src", "src") + conv_entries("cls", "cls.0")
