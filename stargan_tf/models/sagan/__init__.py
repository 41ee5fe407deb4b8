"""SaGAN (Zhang, Kan, Shan, Chen, ECCV 2018): face attribute editing with spatial attention,
one model per binary attribute (reference implementation elvisyjlin/SpatialAttentionGAN)."""

from stargan_tf.models.sagan.config import SaGANConfig
from stargan_tf.models.spec import ParameterCount, SystemSpec


def _build(config, data):
    from stargan_tf.models.sagan.system import SaGAN

    return SaGAN(config, data.label_spaces[0].names[0])


SPEC = SystemSpec(
    name="sagan", config=SaGANConfig, data="attribute",
    build=_build,
    presets={
        # Spot at 32 px, half the reference's widths, 2 residual blocks, D 4 layers deep (its
        # attribute head then covers 2x2 as at 128 px). One G iteration per D iteration:
        # measured with benchmarks/preset_quality.py --model=sagan, 4,000 iterations edit the spot
        # in 56% of fresh images (the rest untouched in all, the mask's mass on the spot in 67%)
        # against 48% with the reference's n_critic 3 (1,000 G updates) in the same time.
        "shapes": {"target_attr": "Spot", "image_size": 32, "g_conv_dim": 16, "d_conv_dim": 32, "g_repeat_num": 2,
                   "d_repeat_num": 4, "batch_size": 16, "n_critic": 1, "num_iters": 4000, "log_step": 10,
                   "sample_step": 500, "model_save_step": 500, "cache": True},
        "tiny": {"target_attr": "Spot", "image_size": 16, "g_conv_dim": 4, "d_conv_dim": 4, "g_repeat_num": 1,
                 "d_repeat_num": 3, "batch_size": 4, "n_critic": 1, "num_iters": 4},
    },
    # The reference's CelebA preprocessing: centre crop 170 (StarGAN's is 178), then resize.
    data_defaults={"celeba_crop_size": 170},
    parameter_counts=(
        ParameterCount({"target_attr": "Spot"}, {"attribute_manipulation": 6_112_675,
                                                 "spatial_attention": 6_107_969, "discriminator": 11_190_754}),
    ),
    description="SaGAN: add or remove one attribute only where it is (spatial attention).",
)
