"""CycleGAN (Zhu et al., ICCV 2017): unpaired two-domain translation with cycle consistency."""

from stargan_tf.models.cyclegan.config import CycleGANConfig
from stargan_tf.models.spec import ParameterCount, SystemSpec, built_from_config

SPEC = SystemSpec(
    name="cyclegan", config=CycleGANConfig, data="unpaired",
    build=built_from_config("stargan_tf.models.cyclegan.system", "CycleGAN"),
    presets={
        # red2blue (colour/texture change, what CycleGAN does well; on circle2square this
        # preset collapses to one blob per direction, the failure U-GAT-IT's attention
        # addresses). ~2.5 min on 2 cores.
        "shapes": {"shapes_pair": "red2blue", "image_size": 32, "ch": 16, "n_res": 3,
                   "batch_size": 4, "num_iters": 1500, "sample_step": 250, "model_save_step": 250,
                   "log_step": 10, "cache": True},
        # The real architecture at toy size; a pool smaller than the examples seen, so it
        # fills and starts swapping within two iterations of batch 8.
        "tiny": {"image_size": 32, "ch": 4, "n_res": 1, "batch_size": 4, "pool_size": 6,
                 "num_iters": 4},
    },
    parameter_counts=(
        ParameterCount({}, {"generator_a2b": 11_378_179, "disc_a": 2_764_737}),
        ParameterCount({"n_res": 6}, {"generator_a2b": 7_837_699}),
    ),
    description="CycleGAN: unpaired two-domain translation, ResNet generators, 70x70 PatchGANs.",
)
