"""CycleGAN's configuration: the official defaults of junyanz/pytorch-CycleGAN-and-pix2pix
(``--netG resnet_9blocks --netD basic --norm instance``), under this project's flag names."""

import dataclasses

from stargan_tf.models.config import ConfigError, TwoDomainConfig, option, require_multiple


def patchgan_output_size(image_size, n_layers=3):
    """Side of the 70x70 PatchGAN's logit map: ``n_layers`` stride-2 4x4 convolutions with
    padding 1, then two stride-1 ones (30 at 256 px)."""
    size = image_size
    for _ in range(n_layers):
        size = size // 2
    return size - 2


@dataclasses.dataclass(frozen=True)
class CycleGANConfig(TwoDomainConfig):
    """CycleGAN's hyper-parameters (paper Sec. 4 and appendix 7.1).

    The identity loss weight is ``lambda_identity * cycle_weight`` (official
    ``--lambda_identity 0.5``, an effective weight of 5). The lr is constant for the first
    half of ``num_iters`` (the official 100 + 100 epochs) and then falls linearly to 0.
    """

    num_iters: int = 200_000
    ch: int = option(64, "Base channel count of generators and discriminators (official ngf/ndf).",
                     architecture=True, minimum=1)
    n_res: int = option(9, "Residual blocks in the generators (9: resnet_9blocks; 6: resnet_6blocks).",
                        architecture=True, minimum=0)
    cycle_weight: float = option(10.0, "Weight of the cycle-consistency L1 loss (official lambda_A/B).")
    lambda_identity: float = option(0.5, "Identity loss weight as a fraction of --cycle_weight.")
    pool_size: int = option(50, "Image pool of generated images shown to the discriminators.", minimum=0)

    def __post_init__(self):
        super().__post_init__()
        require_multiple("image_size", self.image_size, 4, "the generator halves it twice and doubles it back.")
        if patchgan_output_size(self.image_size) < 1:
            raise ConfigError(f"--image_size={self.image_size} is too small for the 70x70 PatchGAN "
                              "discriminator; use at least 24.")
