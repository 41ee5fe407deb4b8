"""benchmarks/contextual_gan_halves.py's measures: real sketch/photo pairs are fully coherent
and a generator that draws one sketch for every z has no sketch spread and no coherence."""

import numpy as np
import pytest

from benchmarks import contextual_gan_halves, shape_measures
from stargan_tf.cli import config_flags
from stargan_tf.models import contextual_gan
from stargan_tf.pipelines.sketches import xdog_sketch

SIZE, COUNT = 32, 12
PRESET_XDOG = config_flags.resolve(contextual_gan.SPEC, {}).data.xdog_parameters()  # the CPU preset's


@pytest.fixture(scope="module")
def pairs():
    """``(sketches, photos)`` [COUNT, S, S, 3] in [-1, 1]: fresh built-in shapes and their XDoG."""
    examples = shape_measures.labelled_examples(COUNT, 3, 64, SIZE)
    photos = np.stack([e.pixels for e in examples]).astype(np.float32) / 127.5 - 1.0
    sketches = np.repeat(xdog_sketch(photos, PRESET_XDOG).numpy(), 3, axis=-1)
    return sketches, photos


def test_real_pairs_are_coherent_and_a_collapsed_sketch_half_is_not(pairs):
    sketches, photos = pairs
    matched, shuffled = contextual_gan_halves.coherence(sketches, photos, PRESET_XDOG)
    assert matched < 1e-6 < 0.05 < shuffled
    collapsed = np.repeat(sketches[:1], COUNT, axis=0)  # one sketch whatever z
    assert contextual_gan_halves.spread(collapsed) < 1e-6 < 0.05 < contextual_gan_halves.spread(sketches)
    matched, shuffled = contextual_gan_halves.coherence(collapsed, photos, PRESET_XDOG)
    assert abs(1.0 - matched / shuffled) < 0.2

