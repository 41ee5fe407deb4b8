"""DRIT's configuration: the official options and the constants of ``HsinYingLee/DRIT``
(``src/options.py``, ``src/model.py``), under their names where the official code has a flag."""

import dataclasses

from stargan_tf.models.config import ConfigError, TwoDomainConfig, option, require_multiple


@dataclasses.dataclass(frozen=True)
class DRITConfig(TwoDomainConfig):
    """DRIT's hyper-parameters (paper Sec. 3.3 and 4; research notes Sec. 1.1 and 1.3).

    A batch holds ``batch_size / 2`` pairs per domain: the first image of a pair is encoded
    (content and attribute codes, cross-cycle and self-reconstruction), the second is the
    real image the random-code discriminators see (the official batch of 2 split by index).
    Iteration ``i`` updates only the content discriminator unless ``(i + 1) % d_iter == 0``;
    then every discriminator, followed by the encoders and generators. The lr is constant
    for the first half of ``num_iters`` and falls linearly to 0 over the second (the
    official 600 + 600 epochs, in iterations).
    """

    image_size: int = 216
    batch_size: int = 2
    lr: float = 1e-4
    num_iters: int = 1_500_000  # the official hard stop of 500,000 full iterations, at d_iter 3
    log_step: int = 10
    model_save_step: int = 30_000
    ch: int = option(64, "Base channel count (official 64, fixed there): the content code has 4 ch channels. "
                         "Narrower networks for small images and CPU presets.", architecture=True, minimum=1)
    content_dis_layers: int = option(3, "7x7 stride-2 layers of the content discriminator (official 3, fixed "
                                        "there; it needs images of at least 212 pixels). Fewer for small images.",
                                     architecture=True, minimum=0)
    nz: int = option(8, "Dimension of the attribute code.", architecture=True, minimum=1)
    concat: int = option(1, "1: the attribute code is concatenated at every generator stage and the attribute "
                            "encoder is the VAE-style one; 0: feature-wise transform generator and a deterministic "
                            "attribute encoder (README: for shape-changing pairs).", architecture=True,
                         choices=(0, 1))
    dis_scale: int = option(3, "Scales of the domain discriminators (1: one 6-layer discriminator).",
                            architecture=True, minimum=1)
    dis_spectral_norm: bool = option(False, "Spectral normalisation on every discriminator convolution.",
                                     architecture=True)
    d_iter: int = option(3, "Every d_iter-th iteration updates all networks; the others only the content "
                            "discriminator.", minimum=1)
    mode_seeking: bool = option(False, "DRIT++'s mode-seeking regulariser: a second random code per example, "
                                       "weight 1 (the official code's default; off here as in the ECCV paper).")
    lr_dcontent: float = option(None, "Learning rate of the content discriminator (default: --lr / 2.5, as the "
                                      "official code derives it: 4e-5).", minimum=0.0)
    content_clip_norm: float = option(5.0, "Norm to which the content discriminator's gradient is clipped.",
                                      minimum=0.0)
    weight_decay: float = option(1e-4, "Adam weight decay of every network (PyTorch's coupled L2 form).",
                                 minimum=0.0)
    lambda_rec: float = option(10.0, "Weight of the cross-cycle and self-reconstruction L1 losses.")
    lambda_kl: float = option(0.01, "Weight of the KL term of the attribute code and of the L2 term of the "
                                    "content code.")
    lambda_latent: float = option(10.0, "Weight of the latent regression L1 loss.")
    num_samples: int = option(5, "Test mode: random-attribute outputs per input image.", minimum=1)
    reference_dir: str = option(None, "Test mode: a folder of reference images of the target domain; one output "
                                      "per reference, with its attribute code.")

    # Each training example holds two images per domain: the encoded one and the real image
    # of the random-code discriminators (read by the unpaired data family).
    images_per_example = 2

    @property
    def content_discriminator_lr(self):
        return self.lr / 2.5 if self.lr_dcontent is None else self.lr_dcontent

    def __post_init__(self):
        super().__post_init__()
        if self.batch_size % 2:
            raise ConfigError(f"--batch_size={self.batch_size} must be even: DRIT's batch is pairs of an encoded "
                              "image and a real image for the random-code discriminators (official: 2).")
        require_multiple("image_size", self.image_size, 4, "the content code is a quarter of the image.")
        layers = self.content_dis_layers
        if content_logits_side(self.image_size, layers) < 1:
            raise ConfigError(f"--image_size={self.image_size} is too small for the content discriminator ({layers} "
                              "7x7 stride-2 convolutions and a 4x4 one on the code of a quarter of the image); use "
                              f"--image_size >= {smallest_image_size(layers)} or fewer --content_dis_layers.")
        # Each reflection-padded stride-2 layer needs a map of 2 pixels: the single-scale
        # discriminator has six, each scale of the multi-scale one four, on a halved image.
        smallest = 64 if self.dis_scale == 1 else 16 * 2 ** (self.dis_scale - 1)
        if self.image_size < smallest:
            raise ConfigError(f"--image_size={self.image_size} is too small for --dis_scale={self.dis_scale} (the "
                              f"smallest scale's stride-2 layers run out of pixels); use --image_size >= {smallest} "
                              "or another --dis_scale.")


def content_logits_side(image_size, n_layer=3):
    """Side of the content discriminator's logit map for ``image_size`` images (1 at the
    official 216): ``n_layer`` 7x7 stride-2 convolutions after a reflection pad of 1 (each
    needs a map of at least 2 pixels to reflect), then a valid 4x4 one, on the code of a
    quarter of the image."""
    size = image_size // 4
    for _ in range(n_layer):
        if size < 2:
            return 0
        size = (size + 2 - 7) // 2 + 1
    return size - 3


def smallest_image_size(n_layer=3):
    """The smallest multiple of 4 the content discriminator accepts (212 at 3 layers)."""
    size = 4
    while content_logits_side(size, n_layer) < 1:
        size += 4
    return size
