"""StarGAN's configuration: the flags and defaults of the official code (yunjey/stargan,
``main.py``), CelebA settings."""

import dataclasses

from stargan_tf.models.config import TrainingConfig, option, require_multiple


@dataclasses.dataclass(frozen=True)
class StarGANConfig(TrainingConfig):
    """StarGAN's hyper-parameters (paper Sec. 4 and appendix; official ``main.py``).

    One iteration is one D update; G updates every ``n_critic`` iterations. The learning
    rates fall linearly to 0 over the last ``num_iters_decay`` iterations, changing every
    ``lr_update_step`` (the paper's schedule; the official code's decay stops at 0.999e-4).
    """

    g_conv_dim: int = option(64, "Generator channels of the first layer.", architecture=True, minimum=1)
    d_conv_dim: int = option(64, "Discriminator channels of the first layer.", architecture=True, minimum=1)
    g_repeat_num: int = option(6, "Residual blocks in the generator.", architecture=True, minimum=0)
    d_repeat_num: int = option(6, "Stride-2 convolutions in the discriminator.", architecture=True, minimum=1)
    lambda_cls: float = option(1.0, "Weight of the domain classification loss.")
    lambda_rec: float = option(10.0, "Weight of the reconstruction loss.")
    lambda_gp: float = option(10.0, "Weight of the gradient penalty.")
    n_critic: int = option(5, "D updates per G update.", minimum=1)
    g_lr: float = option(1e-4, "Generator learning rate (Adam).", minimum=0.0)
    d_lr: float = option(1e-4, "Discriminator learning rate (Adam).", minimum=0.0)
    beta1: float = option(0.5, "Adam beta1.")
    beta2: float = option(0.999, "Adam beta2.")
    num_iters_decay: int = option(100_000, "Iterations of linear lr decay to 0 at the end of the run.", minimum=0)
    lr_update_step: int = option(1000, "The decaying lr changes every this many iterations.", minimum=1)
    target_attrs: tuple = option((), "Test mode: translate only to these targets (default: every selected "
                                     "attribute).")

    def __post_init__(self):
        super().__post_init__()
        require_multiple("image_size", self.image_size, 4, "the generator halves it twice and doubles it back.")
        require_multiple("image_size", self.image_size, 2 ** self.d_repeat_num,
                         f"2**d_repeat_num (--d_repeat_num={self.d_repeat_num}); the discriminator's classification "
                         "kernel is image_size / 2**d_repeat_num. Change --image_size or --d_repeat_num.")
