"""Imported official weights give the official networks' outputs: the fixtures are small
networks of each reference code with random weights, saved as that code saves them (PyTorch's
zip format and the legacy format of the 2018 releases) with their outputs on fixed inputs
(``make_parity_fixtures.py``, run once with torch; the suite does not need torch)."""

import os

import numpy as np
import pytest

from stargan_tf.models.stargan import pytorch as stargan_pytorch
from stargan_tf.models.stargan.networks import stargan_discriminator, stargan_generator
from stargan_tf.porting.layout import CheckpointMismatchError, check_and_assign, round_trip_difference
from stargan_tf.porting.torch_files import read_torch_file

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
# The bound, in [-1, 1] units; float32 reassociation between the two frameworks is
# about 1e-6 at these sizes.
PARITY = 1e-4


def stargan_fixture(*parts):
    return os.path.join(FIXTURES, "stargan", *parts)


@pytest.mark.parametrize("form", ["legacy", "zip"])
def test_stargan_imported_networks_reproduce_the_official_outputs(form):
    reference = np.load(stargan_fixture("reference.npz"))
    generator, discriminator = stargan_generator(4, 3, 1), stargan_discriminator(32, 8, 3, 3)
    g_state = read_torch_file(stargan_fixture(form, "9-G.ckpt"))
    d_state = read_torch_file(stargan_fixture(form, "9-D.ckpt"))
    g_entries, d_entries = stargan_pytorch.generator_entries(4, 1), stargan_pytorch.discriminator_entries(3)
    assert check_and_assign(generator, g_state, g_entries, "G") == len(generator.weights)
    assert check_and_assign(discriminator, d_state, d_entries, "D") == len(discriminator.weights)
    translated = generator([reference["image"], reference["label"]], training=False).numpy()
    src, cls = (t.numpy() for t in discriminator(reference["image"], training=False))
    for name, ours in (("translated", translated), ("src", src), ("cls", cls)):
        assert np.max(np.abs(ours - reference[name])) <= PARITY, name
    # Back to PyTorch's layout: the same arrays the file holds.
    assert round_trip_difference(generator, g_state, g_entries) == 0.0
    assert round_trip_difference(discriminator, d_state, d_entries) == 0.0


def test_stargan_checkpoint_that_does_not_fit_the_flags_is_explained_and_nothing_written():
    generator = stargan_generator(4, 5, 1)  # five labels; the checkpoint's G has three
    before = [w.numpy() for w in generator.weights]
    with pytest.raises(CheckpointMismatchError, match=r"main\.0\.weight has shape \(4, 6, 7, 7\).*\(4, 8, 7, 7\)"):
        check_and_assign(generator, read_torch_file(stargan_fixture("legacy", "9-G.ckpt")),
                         stargan_pytorch.generator_entries(4, 1), "9-G.ckpt")
    with pytest.raises(CheckpointMismatchError, match="missing main.1.weight.*unexpected main.0.bias"):
        check_and_assign(stargan_generator(4, 3, 1), read_torch_file(stargan_fixture("legacy", "9-D.ckpt")),
                         stargan_pytorch.generator_entries(4, 1), "9-D.ckpt")
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, generator.weights))


def test_ugatit_imported_networks_reproduce_the_official_outputs():
    """Every output of each of UGATIT.py's six networks (translation, CAM logits, heatmap;
    patch logits, CAM logits, heatmap), from its one params file; full and light generators."""
    from stargan_tf.models.ugatit import pytorch as ugatit_pytorch
    from stargan_tf.models.ugatit.networks import ugatit_discriminator, ugatit_generator

    folder = os.path.join(FIXTURES, "ugatit")
    reference = np.load(os.path.join(folder, "reference.npz"))
    full, light = (read_torch_file(os.path.join(folder, *parts, "shapes_params_0000007.pt")) for parts in ((), ("light",)))
    checked = []
    for prefix, params, is_light in (("", full, False), ("light_", light, True)):
        for name in ("genA2B", "genB2A"):
            generator = ugatit_generator(32, 4, 1, light=is_light, unbiased_variance=True)  # torch.var
            entries = ugatit_pytorch.generator_entries(32, 4, 1, is_light)
            assert check_and_assign(generator, params[name], entries, name) == len(generator.weights)
            checked.append((prefix + name, generator(reference["small"], training=False), generator, params[name],
                            entries))
    for name, size, ch, layers in (("disGA", 128, 1, 7), ("disGB", 128, 1, 7), ("disLA", 32, 4, 5), ("disLB", 32, 4, 5)):
        discriminator = ugatit_discriminator(size, ch, layers)
        entries = ugatit_pytorch.discriminator_entries(ch, layers)
        check_and_assign(discriminator, full[name], entries, name, ignored=ugatit_pytorch.DISCRIMINATOR_IGNORED)
        inputs = reference["large" if size == 128 else "small"]
        checked.append((name, discriminator(inputs, training=False), discriminator, full[name], entries))
    for name, outputs, network, state, entries in checked:
        for index, ours in enumerate(outputs):
            assert np.max(np.abs(ours.numpy() - reference[f"{name}_{index}"])) <= PARITY, (name, index)
        assert round_trip_difference(network, state, entries) == 0.0, name


def sagan_fixture(*parts):
    return os.path.join(FIXTURES, "sagan", *parts)


def sagan_system(**flags):
    """A SaGAN built as the CLI builds it: the fixture's sizes unless ``flags`` say otherwise."""
    from stargan_tf.models.sagan.config import SaGANConfig
    from stargan_tf.models.sagan.system import SaGAN

    sizes = dict(image_size=128, g_conv_dim=2, d_conv_dim=2, g_repeat_num=4, d_repeat_num=6)
    return SaGAN(SaGANConfig(**{**sizes, **flags}), "Spot")


@pytest.mark.parametrize("form", ["legacy", "zip"])
def test_sagan_imported_networks_reproduce_the_official_outputs(form):
    """sagan.py's G (the blended edit and the SAN's mask, in eval mode, where the residual
    blocks' batch norms use the file's running statistics, and in training mode) and D (the
    critic map and the attribute head, before and after the reference's sigmoid), imported
    through ``SaGAN.torch_layout()`` from train.py's two files."""
    import tensorflow as tf

    from stargan_tf.models.sagan.system import blend
    from stargan_tf.porting.importer import import_networks

    reference = np.load(sagan_fixture("reference.npz"))
    system = sagan_system()
    imported = import_networks(system, [sagan_fixture(form, "0000480.G.pth"), sagan_fixture(form, "0000480.D.pth")])
    assert imported.iteration == 40 and imported.missing == []  # 480 images = 10 cycles of 3 D steps x 16, 4 steps each
    for network, (state, net) in imported.states.items():
        assert round_trip_difference(system.networks()[network], state, net.entries) == 0.0, network
    assert all(len(net.entries) == len(system.networks()[name].weights) for name, (_, net) in imported.states.items())
    image, attribute = reference["small"], reference["attribute"]
    edited = system.amn((image, attribute), training=False)
    mask = system.san(image, training=False)
    src, cls_logit = system.discriminator(reference["large"], training=False)
    ours = {"edited": edited, "mask": mask, "translated": blend(edited, mask, image), "src": src,
            "cls_logit": cls_logit, "cls": tf.sigmoid(cls_logit)}
    # Training mode last: it moves the batch norms' moving statistics.
    train_mask = system.san(image, training=True)
    ours.update(train_mask=train_mask,
                train_translated=blend(system.amn((image, attribute), training=True), train_mask, image))
    worst = {name: float(np.max(np.abs(np.asarray(value) - reference[name]))) for name, value in ours.items()}
    assert max(worst.values()) <= PARITY, worst
    # The running statistics matter: eval and training mode differ far beyond the bound.
    assert np.max(np.abs(reference["translated"] - reference["train_translated"])) > 100 * PARITY


def test_sagan_layout_fits_the_official_full_size_networks():
    """Every key of the official G and D at sagan.py's fixed widths (the shapes its classes
    build, no weights) fits the networks our defaults build."""
    import json

    from stargan_tf.porting.layout import BATCH_COUNT

    with open(sagan_fixture("full_size_shapes.json")) as handle:
        shapes = json.load(handle)
    system = sagan_system(g_conv_dim=32, d_conv_dim=32)
    layout = system.torch_layout()
    assert {net.network for net in layout} == set(system.networks())
    for net in layout:
        state = {key: np.broadcast_to(np.float32(0.5), shape)
                 for key, shape in shapes["D" if net.network == "discriminator" else "G"].items()}
        network = system.networks()[net.network]
        assert check_and_assign(network, state, net.entries, net.file_name, net.hints, net.ignored,
                                net.unused_suffixes) == len(network.weights)
        assert all(key.endswith(BATCH_COUNT) or key in net.ignored or key in {e.key for e in net.entries}
                   for key in state)


def test_sagan_checkpoint_that_does_not_fit_the_flags_is_explained_and_nothing_written():
    from stargan_tf.porting.importer import CheckpointImportError, import_networks

    files = [sagan_fixture("zip", "0000480.G.pth"), sagan_fixture("zip", "0000480.D.pth")]
    system = sagan_system(g_conv_dim=4)
    before = [w.numpy() for w in system.amn.weights]
    with pytest.raises(CheckpointMismatchError, match=r"AMN\.conv\.0\.weight has shape \(2, 4, 7, 7\).*"
                                                      r"\(4, 4, 7, 7\).*--g_conv_dim=32"):
        import_networks(system, files)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, system.amn.weights))
    with pytest.raises(CheckpointMismatchError, match=r"cls\.0\.weight has shape \(1, 64, 2, 2\).*\(1, 64, 1, 1\).*"
                                                      r"--image_size / 2\*\*--d_repeat_num \(64 / 2\*\*6 here\)"):
        import_networks(sagan_system(image_size=64), files)
    with pytest.raises(CheckpointMismatchError, match=r"unexpected AMN\.resblk\.1\.layers\.0\.weight.*"
                                                      r"--g_repeat_num=4 residual blocks \(here 1\)"):
        import_networks(sagan_system(g_repeat_num=1), files[:1])
    # The files count images: a batch size that does not divide them is named.
    with pytest.raises(CheckpointImportError, match=r"--batch_size=7 x --n_critic=3"):
        import_networks(sagan_system(batch_size=7), files)


def cyclegan_fixture(*parts):
    return os.path.join(FIXTURES, "cyclegan", *parts)


def cyclegan_system(**flags):
    """A CycleGAN built as the CLI builds it: the fixture's sizes unless ``flags`` say otherwise."""
    from stargan_tf.models.cyclegan.config import CycleGANConfig
    from stargan_tf.models.cyclegan.system import CycleGAN

    return CycleGAN(CycleGANConfig(**{**dict(image_size=32, ch=4, n_res=2), **flags}))


# Our network: the official one that gives its output on which fixture input.
CYCLEGAN_NETWORKS = {"generator_a2b": ("G_A", "real_a"), "generator_b2a": ("G_B", "real_b"),
                     "disc_b": ("D_A", "real_b"), "disc_a": ("D_B", "real_a")}


@pytest.mark.parametrize("form", ["legacy", "zip"])
def test_cyclegan_imported_networks_reproduce_the_official_outputs(form):
    """networks.py's ResnetGenerator and NLayerDiscriminator, imported through
    ``CycleGAN.torch_layout()`` from save_networks' four files: G_A is our A->B generator,
    D_A (which judges domain B) our disc_b."""
    from stargan_tf.porting.importer import import_networks

    reference = np.load(cyclegan_fixture("reference.npz"))
    system = cyclegan_system()
    imported = import_networks(system, [cyclegan_fixture(form, f"latest_net_{name}.pth")
                                        for name in ("G_A", "G_B", "D_A", "D_B")])
    assert imported.iteration == 0 and imported.missing == []  # "latest" (and epochs) start at 0
    networks = system.networks()
    for ours, (theirs, inputs) in CYCLEGAN_NETWORKS.items():
        assert imported.files[ours].endswith(f"latest_net_{theirs}.pth")
        outputs = networks[ours](reference[inputs], training=False).numpy()
        assert np.max(np.abs(outputs - reference[theirs])) <= PARITY, ours
        state, net = imported.states[ours]
        assert round_trip_difference(networks[ours], state, net.entries) == 0.0, ours


def test_cyclegan_model_zoo_generator_imports_as_a2b_without_its_running_statistics():
    """A zoo-style ``horse2zebra.pth`` (PyTorch 0.3 era: legacy format, the instance norms'
    running statistics among the keys, which today's code drops): the A->B generator alone."""
    from stargan_tf.porting.importer import import_networks

    reference = np.load(cyclegan_fixture("reference.npz"))
    system = cyclegan_system()
    imported = import_networks(system, [cyclegan_fixture("old", "horse2zebra.pth")])
    assert imported.missing == ["disc_a", "disc_b", "generator_b2a"] and imported.iteration == 0
    outputs = system.generator_a2b(reference["real_a"], training=False).numpy()
    assert np.max(np.abs(outputs - reference["G_A"])) <= PARITY


def test_cyclegan_checkpoint_that_does_not_fit_the_flags_is_explained_and_nothing_written(tmp_path):
    import shutil

    from stargan_tf.porting.importer import CheckpointImportError, import_networks

    files = [cyclegan_fixture("zip", f"latest_net_{name}.pth") for name in ("G_A", "G_B", "D_A", "D_B")]
    system = cyclegan_system(ch=8)
    before = [w.numpy() for w in system.generator_a2b.weights]
    with pytest.raises(CheckpointMismatchError, match=r"model\.1\.weight has shape \(4, 3, 7, 7\).*--ch=8"):
        import_networks(system, files)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, system.generator_a2b.weights))
    # Another block count moves the keys: the flag is named after them.
    with pytest.raises(CheckpointMismatchError, match=r"unexpected model\.11\.conv_block.*--n_res=1 builds 1"):
        import_networks(cyclegan_system(n_res=1), files)
    # Epoch-numbered files import as "latest" does; files of two checkpoints, or two files of
    # one network, are refused.
    for name in ("G_A", "D_A"):
        shutil.copy(cyclegan_fixture("zip", f"latest_net_{name}.pth"), tmp_path / f"200_net_{name}.pth")
    assert import_networks(cyclegan_system(), [str(tmp_path / "200_net_G_A.pth")]).iteration == 0
    with pytest.raises(CheckpointImportError, match=r"different iterations \(200, latest\)"):
        import_networks(cyclegan_system(), [str(tmp_path / "200_net_G_A.pth"), files[2]])
    with pytest.raises(CheckpointImportError, match="both hold the generator_a2b"):
        import_networks(cyclegan_system(), [files[0], cyclegan_fixture("old", "horse2zebra.pth")])


def drit_fixture(*parts):
    return os.path.join(FIXTURES, "drit", *parts)


def drit_system(**flags):
    """A DRIT at the fixture's width (the official 64 at 2) and the official 216 px, which
    its 3-layer content discriminator needs."""
    from stargan_tf.models.drit.config import DRITConfig
    from stargan_tf.models.drit.system import DRIT

    return DRIT(DRITConfig(**{**dict(image_size=216, ch=2, batch_size=2), **flags}))


def _drit_import(system, name, form):
    from stargan_tf.porting.importer import import_networks

    imported = import_networks(system, [drit_fixture(form, name)])
    networks = system.networks()
    assert imported.missing == []
    for network, (state, net) in imported.states.items():
        assert round_trip_difference(networks[network], state, net.entries) == 0.0, network
        # Every variable fed, but spectral norm's v (derived: the files keep none).
        assert len(net.entries) == len([w for w in networks[network].weights if not w.path.endswith("/v")]), network
    return imported


@pytest.mark.parametrize("form", ["legacy", "zip"])
def test_drit_imported_networks_reproduce_the_official_outputs(form):
    """model.py's save() of a --concat=1, --dis_scale=2, --dis_spectral_norm DRIT, imported
    through ``DRIT.torch_layout()``: content codes (E_content's shared last block included),
    attribute mean and log-variance, both generators (G_concat's shared first block
    included), every scale of the four domain discriminators (eval mode, and training mode:
    one power iteration from the file's u) and the content discriminator."""
    reference = np.load(drit_fixture("reference.npz"))
    system = drit_system(dis_scale=2, dis_spectral_norm=True)
    assert _drit_import(system, "00007.pth", form).iteration == 123 * 3  # total_it full updates x --d_iter
    ours = {
        "concat1_content_a": system.content_share(system.content_encoder_a(reference["image_a"])),
        "concat1_content_b": system.content_share(system.content_encoder_b(reference["image_b"])),
        "concat1_disContent": np.reshape(system.disc_content(reference["code"]), -1),
    }
    for domain in ("a", "b"):
        mean, log_variance = getattr(system, f"attribute_encoder_{domain}")(reference[f"image_{domain}"])
        ours.update({f"concat1_attribute_{domain}_0": mean, f"concat1_attribute_{domain}_1": log_variance})
        content = reference[f"concat1_content_{'b' if domain == 'a' else 'a'}"]
        ours[f"concat1_fake_{domain}"] = getattr(system, f"generator_{domain}")(
            [np.asarray(system.generator_share(content)), reference["z"]])
    for mode in ("eval", "train"):  # training mode last: it moves u and v
        for part, network in (("disA", system.disc_a), ("disA2", system.disc_a2), ("disB", system.disc_b),
                              ("disB2", system.disc_b2)):
            for index, logits in enumerate(network(reference["large"], training=mode == "train")):
                ours[f"concat1_{part}_{mode}_{index}"] = np.reshape(logits, (2, -1))
    worst = {name: float(np.max(np.abs(np.asarray(value) - reference[name]))) for name, value in ours.items()}
    assert max(worst.values()) <= PARITY, worst
    assert len(worst) == len([key for key in reference if key.startswith("concat1_")])


@pytest.mark.parametrize("form", ["legacy", "zip"])
def test_drit_feature_wise_variant_reproduces_the_official_outputs(form):
    """``last.pth`` of a --concat=0, --dis_scale=1 DRIT: E_attr's codes, G's translations and
    the single-scale discriminators."""
    reference = np.load(drit_fixture("reference.npz"))
    system = drit_system(concat=0, dis_scale=1)
    assert _drit_import(system, "last.pth", form).iteration == 50 * 3
    ours = {}
    for domain in ("a", "b"):
        ours[f"concat0_attribute_{domain}_0"] = getattr(system, f"attribute_encoder_{domain}")(
            reference[f"image_{domain}"])
        content = reference[f"concat0_content_{'b' if domain == 'a' else 'a'}"]
        ours[f"concat0_fake_{domain}"] = getattr(system, f"generator_{domain}")([content, reference["z"]])
    for part, network in (("disA", system.disc_a), ("disA2", system.disc_a2), ("disB", system.disc_b),
                          ("disB2", system.disc_b2)):
        ours[f"concat0_{part}_eval_0"] = np.reshape(network(reference["large"], training=False), (2, -1))
    worst = {name: float(np.max(np.abs(np.asarray(value) - reference[name]))) for name, value in ours.items()}
    assert max(worst.values()) <= PARITY, worst


def test_drit_checkpoint_that_does_not_fit_the_flags_is_explained_and_nothing_written():
    from stargan_tf.models.config import ConfigError
    from stargan_tf.porting.importer import import_networks

    system = drit_system(nz=4, dis_scale=2, dis_spectral_norm=True)
    before = [w.numpy() for w in system.attribute_encoder_a.weights]
    with pytest.raises(CheckpointMismatchError, match=r"fc_A\.0\.weight has shape \(8, 8\).*--nz=8 \(here 4\)"):
        import_networks(system, [drit_fixture("zip", "00007.pth")])
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, system.attribute_encoder_a.weights))
    # The structure flags: keys of the other attribute encoder, of another discriminator.
    feature_wise = drit_system(concat=0, dis_scale=2, dis_spectral_norm=True)
    with pytest.raises(CheckpointMismatchError, match=r"missing model_a\.1\.weight.*unexpected fc_A.*--concat=0"):
        import_networks(feature_wise, [drit_fixture("zip", "00007.pth")])
    with pytest.raises(CheckpointMismatchError, match=r"missing Diss\.0\.0\.model\.1\.weight_orig.*--dis_scale=2"):
        import_networks(feature_wise, [drit_fixture("zip", "last.pth")])
    with pytest.raises(ConfigError, match="--content_dis_layers=3"):
        drit_system(content_dis_layers=2).torch_layout()
