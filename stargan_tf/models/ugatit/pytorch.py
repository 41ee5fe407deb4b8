"""Which entry of znxlwm/UGATIT-pytorch's checkpoints (``networks.py``; ``UGATIT.py`` saves
``<dataset>_params_<iteration>.pt``, a dict of the six networks' state dicts: genA2B, genB2A,
disGA, disGB, disLA, disLB) feeds which variable of ``networks.ugatit_generator`` /
``ugatit_discriminator``.

Generator: ``DownBlock`` is pad, conv, instance norm, ReLU for c7s1 and both down-samplings
(convs at 1, 5, 9), then one ``ResnetBlock`` per index from 12 (its ``conv_block``: convs at
1 and 5); the CAM's ``gap_fc``, ``gmp_fc`` (linear, 1 output) and ``conv1x1``; ``FC`` (linear
at 0 and 2; the full model's first one reads PyTorch's channel-first flatten), ``gamma``,
``beta``; ``UpBlock1_<i>`` (``conv1``, ``norm1.rho``, ``conv2``, ``norm2.rho``); ``UpBlock2``:
upsample, pad, conv, ILN, ReLU twice (convs at 2 and 7, ILNs at 3 and 8), then pad and the
last conv (11). Discriminator: ``model`` is pad, spectral-norm conv, LeakyReLU per layer
(convs at 1, 4, 7, ...), then the CAM and ``conv``. Spectral norm keeps ``weight_orig`` (our
kernel) and its power-iteration vectors ``weight_u``, ``weight_v`` (our u, v); the CAM's
linear layers have one output row, whose spectral norm our layer computes exactly, so their
``weight_u`` / ``weight_v`` are not needed.
"""

from stargan_tf.porting.layout import Entry

DOWN_CONVS = (1, 5, 9)  # DownBlock indices of c7s1 and the two down-samplings' convs
FIRST_DOWN_RESIDUAL = 12
UP_CONVS = ((2, 3), (7, 8))  # UpBlock2 indices of (conv, ILN) per up-sampling
LAST_CONV = 11


def _cam(spectral):
    weight = "weight_orig" if spectral else "weight"
    return [Entry("cam/gap_kernel", f"gap_fc.{weight}", "dense"), Entry("cam/gmp_kernel", f"gmp_fc.{weight}", "dense"),
            Entry("cam/fuse_kernel", "conv1x1.weight", "dense_1x1"), Entry("cam/fuse_bias", "conv1x1.bias")]


def generator_entries(image_size, ch, n_res, light):
    """``[Entry]`` of ``ugatit_generator(image_size, ch, n_res, light)``."""
    width = ch * 4
    names = ["enc_conv0", "enc_down1", "enc_down2"]
    entries = [Entry(f"{name}/kernel", f"DownBlock.{index}.weight", "kernel") for name, index in zip(names, DOWN_CONVS)]
    for block in range(n_res):
        inner = f"DownBlock.{FIRST_DOWN_RESIDUAL + block}.conv_block"
        entries += [Entry(f"enc_res{block}_conv1/kernel", f"{inner}.1.weight", "kernel"),
                    Entry(f"enc_res{block}_conv2/kernel", f"{inner}.5.weight", "kernel")]
    entries += _cam(spectral=False)
    entries += [Entry("mlp_fc0/kernel", "FC.0.weight", "dense" if light else "flatten_dense", () if light else (width,)),
                Entry("mlp_fc1/kernel", "FC.2.weight", "dense"),
                Entry("gamma/kernel", "gamma.weight", "dense"), Entry("beta/kernel", "beta.weight", "dense")]
    for block in range(n_res):
        source = f"UpBlock1_{block + 1}"
        for conv in (1, 2):
            entries += [Entry(f"dec_res{block}_conv{conv}/kernel", f"{source}.conv{conv}.weight", "kernel"),
                        Entry(f"dec_res{block}_conv{conv}_norm/rho", f"{source}.norm{conv}.rho")]
    for up, (conv, norm) in enumerate(UP_CONVS, start=1):
        entries += [Entry(f"dec_up{up}/kernel", f"UpBlock2.{conv}.weight", "kernel")]
        entries += [Entry(f"dec_up{up}_norm/{name}", f"UpBlock2.{norm}.{name}") for name in ("rho", "gamma", "beta")]
    return entries + [Entry("dec_out/kernel", f"UpBlock2.{LAST_CONV}.weight", "kernel")]


def _spectral(name, key, in_channels, kernel=4, bias=True):
    entries = [Entry(f"{name}/kernel", f"{key}.weight_orig", "kernel"), Entry(f"{name}/u", f"{key}.weight_u"),
               Entry(f"{name}/v", f"{key}.weight_v", "spectral_v", (in_channels, kernel, kernel))]
    return entries + ([Entry(f"{name}/bias", f"{key}.bias")] if bias else [])


def discriminator_entries(ch, n_layers):
    """``[Entry]`` of ``ugatit_discriminator(image_size, ch, n_layers)``."""
    entries, channels = [], 3
    for layer in range(n_layers - 1):
        entries += _spectral(f"conv{layer}", f"model.{3 * layer + 1}", channels)
        channels = ch * 2 ** layer
    return entries + _cam(spectral=True) + _spectral("patch_logit", "conv", channels, bias=False)


# The CAM's one-row linear layers: spectral norm's vectors, which our layer does not need.
DISCRIMINATOR_IGNORED = ("gap_fc.weight_u", "gap_fc.weight_v", "gmp_fc.weight_u", "gmp_fc.weight_v")
