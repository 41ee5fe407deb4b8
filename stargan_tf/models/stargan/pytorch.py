"""Which entry of the official checkpoints (yunjey/stargan ``model.py``, saved by
``solver.py`` as ``<iteration>-G.ckpt`` / ``<iteration>-D.ckpt``) feeds which variable of
``networks.stargan_generator`` / ``stargan_discriminator``.

G is one ``nn.Sequential`` named ``main``: conv, instance norm, ReLU for c7s1 and the two
down-samplings (indices 0-8), then one ``ResidualBlock`` per index (its own ``main``: conv 0,
norm 1, ReLU, conv 3, norm 4), then transposed conv, norm, ReLU twice, and the last conv.
D's ``main`` alternates conv and LeakyReLU; its heads are ``conv1`` (D_src) and ``conv2``
(D_cls). The instance norms' running statistics are dropped: the official code never reads
them (it never calls ``eval()``).
"""

from stargan_tf.porting.layout import Entry

CONV_NORM_RELU = 3  # nn.Sequential entries per conv -> norm -> ReLU stage


def _conv_norm(name, index):
    return [Entry(f"{name}/kernel", f"main.{index}.weight", "kernel"),
            Entry(f"{name}_norm/gamma", f"main.{index + 1}.weight"),
            Entry(f"{name}_norm/beta", f"main.{index + 1}.bias")]


def generator_entries(conv_dim, repeat_num):
    """``[Entry]`` of the generator ``stargan_generator(conv_dim, c_dim, repeat_num)``."""
    entries, index, dim = _conv_norm("c7s1", 0), CONV_NORM_RELU, conv_dim
    for _ in range(2):
        dim *= 2
        entries += _conv_norm(f"d{dim}", index)
        index += CONV_NORM_RELU
    for block in range(repeat_num):
        inner = f"main.{index}.main"
        for conv, position in (("conv1", 0), ("conv2", 3)):
            entries += [Entry(f"r{block}_{conv}/kernel", f"{inner}.{position}.weight", "kernel"),
                        Entry(f"r{block}_{conv}_norm/gamma", f"{inner}.{position + 1}.weight"),
                        Entry(f"r{block}_{conv}_norm/beta", f"{inner}.{position + 1}.bias")]
        index += 1
    for _ in range(2):
        dim //= 2
        entries += _conv_norm(f"u{dim}", index)
        index += CONV_NORM_RELU
    return entries + [Entry("c7s1_out/kernel", f"main.{index}.weight", "kernel")]


def discriminator_entries(repeat_num):
    """``[Entry]`` of ``stargan_discriminator(image_size, conv_dim, c_dim, repeat_num)``."""
    entries = []
    for i in range(repeat_num):
        entries += [Entry(f"conv{i}/kernel", f"main.{2 * i}.weight", "kernel"),
                    Entry(f"conv{i}/bias", f"main.{2 * i}.bias")]
    return entries + [Entry("src/kernel", "conv1.weight", "kernel"), Entry("cls/kernel", "conv2.weight", "kernel")]
