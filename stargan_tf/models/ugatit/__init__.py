"""U-GAT-IT (Kim et al., ICLR 2020): unpaired translation with CAM attention and AdaLIN."""

from stargan_tf.models.spec import ParameterCount, SystemSpec, built_from_config
from stargan_tf.models.ugatit.config import UGATITConfig

SPEC = SystemSpec(
    name="ugatit", config=UGATITConfig, data="unpaired",
    build=built_from_config("stargan_tf.models.ugatit.system", "UGATIT"),
    presets={
        # Light U-GAT-IT on circle->square (shape change, the paper's case) at 32x32; the
        # global D is shallower so it fits. lr 2e-4 (twice the official) and 32 channels: at 16
        # channels or 1e-4 the translations stayed round blobs. Batch 4 (the paper's is 1;
        # instance and layer-instance norm are per image, so only the gradient's noise
        # changes) for 2,000 iterations: measured with benchmarks/preset_quality.py, the target
        # form with colour and size kept in 96% of circles and 90% of squares, against 45% and
        # 41% at batch 1 for 3,000 iterations in about the same time.
        "shapes": {"shapes_pair": "circle2square", "image_size": 32, "light": True, "ch": 32,
                   "n_res": 2, "global_n_layers": 5, "local_n_layers": 3, "batch_size": 4, "lr": 2e-4,
                   "num_iters": 2000, "sample_step": 500, "model_save_step": 500, "log_step": 10, "cache": True},
        "tiny": {"image_size": 32, "light": True, "ch": 4, "n_res": 1, "global_n_layers": 5,
                 "local_n_layers": 3, "batch_size": 4, "num_iters": 4},
    },
    parameter_counts=(
        # The full generator (278,959,808) is checked alone in tests/models: two of them
        # take 2.2 GB.
        ParameterCount({"light": True}, {"generator_a2b": 10_589_888, "disc_global_a": 53_130_176,
                                         "disc_local_a": 3_290_560}),
    ),
    description="U-GAT-IT: unpaired translation with CAM attention and AdaLIN (full and --light).",
)
