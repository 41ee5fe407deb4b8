"""Which entry of the official checkpoints (junyanz/pytorch-CycleGAN-and-pix2pix
``models/networks.py``, ``--netG resnet_<n>blocks --netD basic --norm instance``, saved by
``BaseModel.save_networks`` as ``<epoch>_net_<name>.pth``: one plain state dict per network)
feeds which variable of ``networks.cyclegan_generator`` / ``patchgan_discriminator``.

``ResnetGenerator.model`` is one ``nn.Sequential``: reflection pad, conv (1), norm, ReLU; two
stride-2 convs (4, 7) each with norm and ReLU; one ``ResnetBlock`` per index from 10 (its
``conv_block``: pad, conv 1, norm, ReLU, pad, conv 5, norm; with dropout, which CycleGAN's
default ``--no_dropout`` leaves out, the second conv would sit at 6); two transposed convs,
each with norm and ReLU; reflection pad, the last conv, tanh. ``NLayerDiscriminator.model``: conv (0),
LeakyReLU, then conv, norm, LeakyReLU per further layer (2, 5, 8), then the logit conv. Every
conv keeps its bias (the official code sets ``bias=True`` next to InstanceNorm2d). The
instance norms have no parameters (``affine=False``); checkpoints of the PyTorch 0.3 era (the
model zoo's) carry their running statistics, which the current code drops when loading, and
so does the importer (``layout.UNUSED_SUFFIXES``).
"""

from stargan_tf.porting.layout import KEYS, conv_entries

STAGE = 3  # nn.Sequential entries per conv -> norm -> ReLU stage
FIRST_CONV = 1  # after ReflectionPad2d(3)
RESIDUAL_CONVS = (1, 5)  # ResnetBlock.conv_block indices of its two convs (without dropout)


def generator_entries(ch, n_res):
    """``[Entry]`` of ``cyclegan_generator(image_size, ch, n_res)``."""
    entries, index = conv_entries("c7s1", f"model.{FIRST_CONV}"), FIRST_CONV + STAGE
    for i in range(2):
        entries += conv_entries(f"d{ch * 2 ** (i + 1)}", f"model.{index}")
        index += STAGE
    for block in range(n_res):
        for conv, position in zip(("conv1", "conv2"), RESIDUAL_CONVS):
            entries += conv_entries(f"r{block}_{conv}", f"model.{index}.conv_block.{position}")
        index += 1
    for i in range(2):
        entries += conv_entries(f"u{ch * 4 // 2 ** (i + 1)}", f"model.{index}")
        index += STAGE
    return entries + conv_entries("c7s1_out", f"model.{index + 1}")  # after ReflectionPad2d(3)


def discriminator_entries(n_layers=3):
    """``[Entry]`` of ``patchgan_discriminator(image_size, ch, n_layers)``."""
    entries, index = conv_entries("conv0", "model.0"), 2
    for layer in range(1, n_layers + 1):
        entries += conv_entries(f"conv{layer}", f"model.{index}")
        index += STAGE
    return entries + conv_entries("patch_logit", f"model.{index}")


def generator_hints(ch, n_res):
    """``{key: text}``: the flag to change when a generator entry's shape does not fit, and
    (``layout.KEYS``) when keys are missing or unexpected: the block count moves every later
    index."""
    channels = (f"--ch={ch} gives the generator's first conv {ch} filters over 3 colour channels; give the "
                "checkpoint's ngf (64 for the official models)")
    return {"model.1.weight": channels, "model.1.bias": channels,
            KEYS: f"If it is: --n_res={n_res} builds {n_res} residual blocks; give the checkpoint's count (9 for "
                  "resnet_9blocks, 6 for resnet_6blocks). A generator trained with dropout (without --no_dropout) "
                  "or another --netG does not import"}


def discriminator_hints(ch):
    """``{key: text}`` for a discriminator that does not fit."""
    channels = f"--ch={ch} gives the discriminator's first conv {ch} filters; give the checkpoint's ndf (64)"
    return {"model.0.weight": channels, "model.0.bias": channels,
            KEYS: "If it is: this project's PatchGAN is --netD basic (n_layers_D 3); other discriminators do not "
                  "import"}
