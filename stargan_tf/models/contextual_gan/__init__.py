"""Contextual GAN (Lu, Wu, Tai, Tang, ECCV 2018): sketch to photo and photo to sketch by
completing a joint image in the latent space of a GAN trained on sketch | photo pairs."""

import dataclasses

from stargan_tf.models.contextual_gan.config import ContextualGANConfig
from stargan_tf.models.spec import ParameterCount, SystemSpec


def _build(config, data):
    from stargan_tf.models.contextual_gan.system import ContextualGAN

    return ContextualGAN(config, dataclasses.asdict(data.xdog) if data.xdog is not None else None)


SPEC = SystemSpec(
    name="contextual_gan", config=ContextualGANConfig, data="sketch",
    build=_build,
    presets={
        # Joint images of 32 x 64, half the paper's widths. XDoG: the public code's values draw
        # no line on the built-in shapes; these draw 2-px outlines on white paper (79% of fresh
        # images outlined, the blue-on-dark ones least: their luma barely differs; measured
        # with benchmarks/xdog_shapes.py). R1 on D: without it D wins from the first hundred
        # iterations and G's sketch half never follows its photo half. Adam 1e-3 (0, 0.99)
        # falling to 0 over the second half: G's halves agree far better in the same 3,000
        # iterations than at the paper's 2e-4 (0.5, 0.999) (coherence 0.39 against 0.24,
        # benchmarks/contextual_gan_halves.py). Completion: the best of 100 candidates and a
        # contextual loss over 4 block scales, so G's sketch half lands on thin outlines
        # instead of drifting to blank paper (README, Contextual GAN). Batch 16: half the
        # time of 32, whose completions follow the sketches as often, with lower SSIM/PSNR.
        "shapes": {"image_size": 32, "gf_dim": 32, "df_dim": 32, "batch_size": 16, "num_iters": 3000,
                   "num_iters_decay": 1500, "lr": 1e-3, "beta1": 0.0, "beta2": 0.99, "r1_gamma": 10.0,
                   "completion_iters": 200, "completion_candidates": 100, "completion_scales": 4, "log_step": 10,
                   "sample_step": 500, "model_save_step": 500, "xdog_sigma": 0.8, "xdog_k": 1.6, "xdog_tau": 1.0,
                   "xdog_phi": 200.0, "xdog_epsilon": -0.005, "cache": True},
        "tiny": {"image_size": 16, "z_dim": 8, "gf_dim": 4, "df_dim": 4, "batch_size": 4, "num_iters": 4,
                 "r1_gamma": 10.0, "completion_iters": 3, "completion_candidates": 3, "completion_scales": 2,
                 "xdog_sigma": 0.5, "xdog_k": 2.0, "xdog_tau": 1.0, "xdog_phi": 20.0, "xdog_epsilon": 0.02},
    },
    parameter_counts=(
        # No official code: the paper's layers (Sec. 3.1) at 64 x 128, z 100, 512 channels at
        # G's first and D's last layer, counted in tests/models/test_contextual_gan.py.
        ParameterCount({"xdog_sigma": 0.6, "xdog_k": 2.0, "xdog_tau": 1.0, "xdog_phi": 20.0, "xdog_epsilon": 0.01},
                       {"generator": 5_962_755, "discriminator": 4_324_737}),
    ),
    description="Contextual GAN: sketch <-> photo by completing a joint image in a GAN's latent space.",
)
