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
        # 64x64 at batch 4 (the same pixels per batch as 32x32 at 16), narrow networks, D one
        # layer deeper so its patches still cover the image as the paper's 2x2 map does. One G
        # update per D update at twice the paper's learning rates. At 32x32 one kind of
        # translation (light to light, dark to dark, or the background flips: each closed under
        # G's reconstruction) fell in every run into one template shape the reconstruction
        # decodes (shape kept in 32% to 67% of the translations, README Benchmarks); at 64x64,
        # where a residual block sees a quarter of the image instead of half, none did
        # (benchmarks/preset_quality.py).
        "shapes": {"selected_attrs": ("Red_Shape", "Green_Shape", "Blue_Shape", "Dark_Background"),
                   "image_size": 64, "g_conv_dim": 16, "d_conv_dim": 32, "g_repeat_num": 3, "d_repeat_num": 5,
                   "batch_size": 4, "num_iters": 3000, "num_iters_decay": 1500, "lr_update_step": 100,
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
