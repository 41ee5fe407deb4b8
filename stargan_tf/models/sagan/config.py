"""SaGAN's configuration: the options of the reference implementation
(elvisyjlin/SpatialAttentionGAN ``train.py``) in absl style."""

import dataclasses

from stargan_tf.models.config import DecayingAdamConfig, option, require_multiple

DOWNSAMPLINGS = 3  # stride-2 convolutions in the AMN and the SAN (16x16 features at 128 px)


@dataclasses.dataclass(frozen=True)
class SaGANConfig(DecayingAdamConfig):
    """SaGAN's hyper-parameters (paper Sec. 3; reference ``train.py`` defaults).

    An iteration consumes one batch: ``n_critic`` iterations update D, then one updates G
    on a batch of its own, as the reference's loop draws a fresh batch for each of its
    three D steps and for its G step. The default length is the reference's
    ``--total-kimg 1000`` (images seen by D steps): 20,834 cycles of 3 + 1 batches of 16.
    The learning rate is constant (the reference has no decay) unless ``num_iters_decay``
    asks for a linear decay at the end.
    """

    num_iters: int = 83_336
    g_conv_dim: int = option(32, "Channels of the first layer of the AMN and the SAN.", architecture=True, minimum=1)
    d_conv_dim: int = option(32, "Discriminator channels of the first layer.", architecture=True, minimum=1)
    g_repeat_num: int = option(4, "Residual blocks (with batch norm) in the AMN and the SAN.", architecture=True,
                               minimum=0)
    d_repeat_num: int = option(6, "Stride-2 convolutions in the discriminator.", architecture=True, minimum=1)
    lambda_gp: float = option(10.0, "Weight of the gradient penalty (reference --lgp).", minimum=0.0)
    lambda_rec: float = option(20.0, "Weight of the dual reconstruction x -> flipped -> back (reference --l1).",
                               minimum=0.0)
    lambda_id: float = option(100.0, "Weight of the identity reconstruction, x edited to its own label "
                                     "(reference --l2).", minimum=0.0)
    lambda_cls: float = option(1.0, "Weight of the attribute classification losses (1 in the reference).",
                               minimum=0.0)
    n_critic: int = option(3, "D updates per G update (reference --d-iters).", minimum=1)

    def __post_init__(self):
        super().__post_init__()
        require_multiple("image_size", self.image_size, 2 ** DOWNSAMPLINGS,
                         "the AMN and the SAN halve it three times and double it back.")
        require_multiple("image_size", self.image_size, 2 ** self.d_repeat_num,
                         f"2**d_repeat_num (--d_repeat_num={self.d_repeat_num}); the discriminator's attribute "
                         "head's kernel is image_size / 2**d_repeat_num. Change --image_size or --d_repeat_num.")
