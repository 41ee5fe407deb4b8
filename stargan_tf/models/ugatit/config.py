"""U-GAT-IT's configuration: the official flags and defaults (znxlwm/UGATIT-pytorch,
taki0112/UGATIT), under this project's flag names."""

import dataclasses

from stargan_tf.models.config import ConfigError, TwoDomainConfig, option, require_multiple


def discriminator_patch_size(image_size, n_layers):
    """Side of the patch-logit map of a U-GAT-IT discriminator with ``n_layers``:
    ``n_layers - 2`` stride-2 4x4 convolutions after a reflection pad of 1 (each needs at
    least 2 pixels), then two stride-1 4x4 ones (6 at 256 px for 7 layers, 30 for 5)."""
    size = image_size
    for _ in range(n_layers - 2):
        if size < 2:
            return 0
        size //= 2
    return size - 2


@dataclasses.dataclass(frozen=True)
class UGATITConfig(TwoDomainConfig):
    """U-GAT-IT's hyper-parameters (paper Sec. 3 and appendix; research notes Sec. 1.6).

    The global discriminators have ``global_n_layers`` layers (official 7: a 286x286
    receptive field), the local ones ``local_n_layers`` (5: 70x70). ``weight_decay`` is
    PyTorch Adam's coupled L2 term. With ``decay`` the lr falls linearly to 0 over the second
    half of ``num_iters`` (the official ``--iteration``).
    """

    lr: float = 1e-4
    num_iters: int = 1_000_000
    model_save_step: int = 100_000
    ch: int = option(64, "Base channel count of generators and discriminators.", architecture=True, minimum=1)
    n_res: int = option(4, "Residual blocks in each half of the generator.", architecture=True, minimum=0)
    light: bool = option(False, "Light variant: AdaLIN's gamma/beta MLP works on pooled features (the full "
                                "model's flattens the map: 268M weights at 256 px and one fixed image size).",
                         architecture=True)
    global_n_layers: int = option(7, "Layers of the global discriminators.", architecture=True, minimum=3)
    local_n_layers: int = option(5, "Layers of the local discriminators.", architecture=True, minimum=3)
    adv_weight: float = option(1.0, "Weight of the adversarial losses.")
    cycle_weight: float = option(10.0, "Weight of the cycle-consistency L1 loss.")
    identity_weight: float = option(10.0, "Weight of the identity L1 loss.")
    cam_weight: float = option(1000.0, "Weight of the generators' CAM classification loss.")
    weight_decay: float = option(1e-4, "Adam weight decay (PyTorch's coupled L2 form).", minimum=0.0)
    decay: bool = option(True, "Decay the lr linearly to 0 over the second half of --num_iters.")
    unbiased_variance: bool = option(False, "AdaLIN/LIN variances divided by N - 1 as in the official PyTorch "
                                            "code (for its weights); default N, as the TF1 code and the paper.")

    def __post_init__(self):
        super().__post_init__()
        require_multiple("image_size", self.image_size, 4, "the generator halves it twice and doubles it back.")
        for flag in ("global_n_layers", "local_n_layers"):
            n_layers = getattr(self, flag)
            if discriminator_patch_size(self.image_size, n_layers) < 1:
                smallest = 3 * 2 ** (n_layers - 2)
                raise ConfigError(
                    f"--{flag}={n_layers} needs --image_size >= {smallest} (its {n_layers - 2} stride-2 "
                    f"convolutions and two 4x4 ones leave no patch at {self.image_size}); raise --image_size "
                    f"or lower --{flag}.")
