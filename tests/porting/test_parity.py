"""Imported official weights give the official networks' outputs: the fixtures are small
networks of each reference code with random weights, saved as that code saves them (PyTorch's
zip format and the legacy format of the 2018 releases) with their outputs on fixed inputs
(``make_parity_fixtures.py``, run once with torch; the suite does not need torch)."""

import os

import numpy as np
import pytest

from stargan_tf.models.stargan import pytorch as stargan_pytorch
from stargan_tf.models.stargan.networks import stargan_discriminator, stargan_generator
from stargan_tf.porting.layout import CheckpointMismatchError, check_and_assign, export_state
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
    for key, array in export_state(generator, g_entries).items():
        np.testing.assert_array_equal(array, g_state[key])


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
