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
