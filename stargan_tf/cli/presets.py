"""CPU presets: flag values used with the built-in dataset for every flag the user did not set."""

# StarGAN on shapes: 32x32, narrow networks; the paper's architecture stays behind the flags.
STARGAN_SHAPES = {
    "selected_attrs": ["Red_Shape", "Green_Shape", "Blue_Shape", "Dark_Background"],
    "image_size": 32,
    "g_conv_dim": 32,
    "d_conv_dim": 32,
    "g_repeat_num": 3,
    "d_repeat_num": 4,
    "batch_size": 16,
    "num_iters": 2500,
    "num_iters_decay": 1000,
    "lr_update_step": 100,
    "n_critic": 5,
    "log_step": 10,
    "sample_step": 500,
    "model_save_step": 500,
    "cache": True,
}


# The official defaults of the unpaired systems, where they differ from StarGAN's flags.
UGATIT_DEFAULTS = {"image_size": 256, "batch_size": 1, "num_iters": 1_000_000, "lr": 1e-4,
                   "sample_step": 1000, "model_save_step": 100000, "log_step": 100}
CYCLEGAN_DEFAULTS = {"image_size": 256, "batch_size": 1, "num_iters": 200_000, "n_res": 9, "lr": 2e-4,
                     "sample_step": 1000, "model_save_step": 10000, "log_step": 100}

# U-GAT-IT light on the circle->square pair (shape change, the paper's case) at 32x32; the global
# D is shallower so it fits. Batch 1 as in the paper; lr 2e-4 (twice the official) and 32 channels
# so the shape change shows within 3,000 iterations (~8 min on 2 cores): at 16 channels or 1e-4
# the translations stayed round blobs. load_size 36 keeps the official crop margin (286/256).
UGATIT_SHAPES = {"shapes_pair": "circle2square", "image_size": 32, "load_size": 36, "light": True, "ch": 32,
                 "n_res": 2, "global_n_layers": 5, "local_n_layers": 3, "batch_size": 1, "lr": 2e-4,
                 "num_iters": 3000, "sample_step": 500, "model_save_step": 500, "log_step": 10, "cache": True}
# CycleGAN on the red->blue pair (colour/texture change, what CycleGAN does well; on circle->square
# it collapsed to one blob per direction, the failure U-GAT-IT's attention addresses). ~2.5 min.
CYCLEGAN_SHAPES = {"shapes_pair": "red2blue", "image_size": 32, "load_size": 36, "ch": 16, "n_res": 3,
                   "batch_size": 4, "num_iters": 1500, "sample_step": 250, "model_save_step": 250, "log_step": 10,
                   "cache": True}


def apply_preset(flag_values, preset):
    """Set each preset flag that was not given on the command line; return the names set."""
    applied = []
    for name, value in preset.items():
        if not flag_values[name].present:
            flag_values[name].value = value
            applied.append(name)
    return applied
