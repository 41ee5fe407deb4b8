"""DRIT / DRIT++ (Lee et al., ECCV 2018 / IJCV 2020): diverse unpaired translation from
disentangled content and attribute codes."""

from stargan_tf.models.drit.config import DRITConfig
from stargan_tf.models.spec import ParameterCount, SystemSpec, built_from_config

SPEC = SystemSpec(
    name="drit", config=DRITConfig, data="unpaired",
    build=built_from_config("stargan_tf.models.drit.system", "DRIT"),
    presets={
        # gray2color at 32 px, a quarter of the official widths, no 7x7 stride-2 layer in the
        # content discriminator (the code is 8x8), two discriminator scales; lr 2e-4 (twice
        # the official; the content D's 4e-5 as the official's) and 4 pairs per batch: the best
        # of six settings measured with benchmarks/preset_quality.py (README, DRIT), though
        # the attribute code still changes the colour of only about a third of the inputs.
        "shapes": {"shapes_pair": "gray2color", "image_size": 32, "load_size": 36, "ch": 16,
                   "content_dis_layers": 0, "dis_scale": 2, "batch_size": 8, "lr": 2e-4, "lr_dcontent": 4e-5,
                   "num_iters": 4000, "sample_step": 500, "model_save_step": 500, "log_step": 10, "cache": True},
        "tiny": {"shapes_pair": "gray2color", "image_size": 32, "load_size": 36, "ch": 4, "content_dis_layers": 0,
                 "dis_scale": 2, "batch_size": 4, "d_iter": 2, "num_iters": 4},
    },
    # The official resize before the random crop (--resize_size 256 for --crop_size 216), and
    # its test loader's resize and centre crop.
    data_defaults={"load_size": 256, "test_center_crop": True},
    parameter_counts=(
        # Official per-module totals (research notes 1.5): E_content 9,018,112 = 2 x 3,918,976
        # + 1,180,160 shared; E_attr_concat 2 x 1,344,080; G_concat 1,180,160 shared + 2 x
        # 4,192,275; MultiScaleDis 8,271,171 each; Dis_content 10,683,649.
        ParameterCount({}, {"content_encoder_a": 3_918_976, "content_share": 1_180_160,
                            "attribute_encoder_a": 1_344_080, "generator_share": 1_180_160,
                            "generator_a": 4_192_275, "disc_a": 8_271_171, "disc_a2": 8_271_171,
                            "disc_content": 10_683_649}),
        # --concat=0: E_attr 2 x 2,764,936; G 2 x 8,573,187 (17,146,374, no shared layer).
        ParameterCount({"concat": 0}, {"attribute_encoder_b": 2_764_936, "generator_b": 8_573_187}),
        # --dis_scale=1: the single-scale Dis, 25,149,057.
        ParameterCount({"dis_scale": 1}, {"disc_b2": 25_149_057}),
    ),
    description="DRIT / DRIT++: diverse unpaired translation (random or reference attribute codes).",
)
