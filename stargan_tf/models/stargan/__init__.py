"""StarGAN (Choi et al., CVPR 2018): multi-domain translation with one generator and the
mask vector for training on several datasets."""

from stargan_tf.models.spec import ParameterCount, SystemSpec
from stargan_tf.models.stargan.config import StarGANConfig

_SHAPES_5 = ("Red_Shape", "Green_Shape", "Blue_Shape", "Square", "Large")  # c_dim 5, as CelebA's default


def _build(config, data):
    from stargan_tf.models.stargan.system import DatasetLabels, StarGAN

    return StarGAN(config, [DatasetLabels(key, space) for key, space in zip(data.keys, data.label_spaces)])


SPEC = SystemSpec(
    name="stargan", config=StarGANConfig, data="labeled",
    build=_build,
    presets={
        # 32x32, narrow networks; the paper's architecture stays behind the flags. One G update
        # per D update at twice the paper's learning rates: measured with
        # benchmarks/preset_quality.py, shapes kept in 32% to 66% of the translations over five
        # runs (colour 88-100%) against 41% with the paper's n_critic 5 (colour 93%); G at width
        # 16 trains 1.8 times faster than at 32 with the same figures. The misses are
        # dark-to-dark translations (README, Benchmarks).
        "shapes": {"selected_attrs": ("Red_Shape", "Green_Shape", "Blue_Shape", "Dark_Background"),
                   "image_size": 32, "g_conv_dim": 16, "d_conv_dim": 32, "g_repeat_num": 3, "d_repeat_num": 4,
                   "batch_size": 16, "num_iters": 3000, "num_iters_decay": 1500, "lr_update_step": 100,
                   "n_critic": 1, "g_lr": 2e-4, "d_lr": 2e-4, "log_step": 10, "sample_step": 500,
                   "model_save_step": 500, "cache": True},
        "tiny": {"selected_attrs": ("Red_Shape", "Green_Shape", "Blue_Shape", "Dark_Background"),
                 "image_size": 16, "g_conv_dim": 8, "d_conv_dim": 8, "g_repeat_num": 1, "d_repeat_num": 3,
                 "batch_size": 4, "n_critic": 2, "num_iters": 4, "num_iters_decay": 0, "lr_update_step": 1},
    },
    parameter_counts=(
        ParameterCount({"selected_attrs": _SHAPES_5}, {"generator": 8_430_528, "discriminator": 44_762_048}),
        ParameterCount({"selected_attrs": _SHAPES_5, "image_size": 256}, {"discriminator": 44_884_928}),
    ),
    description="StarGAN: one generator for many domains (CelebA attributes, RaFD classes, both).",
)
