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


def apply_preset(flag_values, preset):
    """Set each preset flag that was not given on the command line; return the names set."""
    applied = []
    for name, value in preset.items():
        if not flag_values[name].present:
            flag_values[name].value = value
            applied.append(name)
    return applied
