"""Contextual GAN's configuration: the paper's settings (Lu et al., ECCV 2018, Sec. 3-4) and
the completion's, where the paper is silent the choices of its reimplementations (research
notes, section 3)."""

import dataclasses

from stargan_tf.models.config import ConfigError, DecayingAdamConfig, option, require_multiple

UPSAMPLINGS = 4  # stride-2 transposed convolutions from the (S/16, S/8) map to the (S, 2S) joint image
DIRECTIONS = ("sketch2photo", "photo2sketch")


@dataclasses.dataclass(frozen=True)
class ContextualGANConfig(DecayingAdamConfig):
    """Contextual GAN's hyper-parameters.

    ``image_size`` is the side of one half: the joint image is ``image_size`` x
    ``2 * image_size`` (sketch left, photo right; 64 x 128 in the paper). One iteration is
    one D update and one G update, each with its own z (DCGAN, as the paper's code base).
    The default length is 50 epochs of CelebA's 202,599 images at batch 64.
    """

    image_size: int = 64
    batch_size: int = 64
    num_iters: int = 158_000
    log_step: int = 100
    z_dim: int = option(100, "Length of the latent code z, uniform in [-1, 1].", architecture=True, minimum=1)
    gf_dim: int = option(64, "Generator channels of its last hidden layer (x 8 at the first, 512 in the paper).",
                         architecture=True, minimum=1)
    df_dim: int = option(64, "Discriminator channels of its first layer (x 8 at the last, 512 in the paper).",
                         architecture=True, minimum=1)
    r1_gamma: float = option(0.0, "Weight gamma of the R1 penalty gamma/2 ||grad D(real)||^2 in D's loss "
                                  "(Mescheder et al. 2018); 0: the paper's plain loss.", minimum=0.0)
    direction: str = option("sketch2photo", "Completion: the known half is the sketch (sketch2photo) or the photo "
                                            "(photo2sketch); the same model does both.", choices=DIRECTIONS)
    completion_candidates: int = option(10, "Completion: random z drawn per input; the one whose known half is "
                                            "closest to the input starts the optimisation.", minimum=1)
    completion_iters: int = option(500, "Completion: gradient steps on z.", minimum=0)
    completion_lambda: float = option(0.01, "Completion: weight of the perceptual loss log(1 - D(G(z))).",
                                      minimum=0.0)
    completion_lr: float = option(0.01, "Completion: step size of the momentum descent on z.", minimum=0.0)
    completion_momentum: float = option(0.9, "Completion: momentum of the descent on z.", minimum=0.0)
    completion_scales: int = option(1, "Completion: scales of the contextual loss: 1 is the mean squared "
                                       "difference on the known half; each more adds it over 2x2, 4x4, ... "
                                       "block means, which pulls thin sketch lines to their place (README).",
                                    minimum=1)

    def __post_init__(self):
        super().__post_init__()
        require_multiple("image_size", self.image_size, 2 ** UPSAMPLINGS,
                         "the generator starts from an (image_size/16, image_size/8) map and doubles it four times.")
        if self.completion_scales > UPSAMPLINGS + 1:
            raise ConfigError(f"--completion_scales={self.completion_scales} is more than {UPSAMPLINGS + 1}: its "
                              f"blocks of {2 ** (self.completion_scales - 1)} pixels need not divide --image_size "
                              f"(a multiple of {2 ** UPSAMPLINGS}); use 1 to {UPSAMPLINGS + 1}.")
