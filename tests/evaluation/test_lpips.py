"""LPIPS from the user's weight files equals the ``lpips`` package's distance (fixtures made
by tests/porting/make_parity_fixtures.py with the package itself)."""

import os

import numpy as np
import pytest

from stargan_tf.errors import UserError
from stargan_tf.evaluation.lpips import LPIPS

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "porting", "fixtures", "lpips")


def test_lpips_equals_the_reference_package():
    reference = np.load(os.path.join(FIXTURES, "reference.npz"))
    metric = LPIPS([os.path.join(FIXTURES, "lins.pth"), os.path.join(FIXTURES, "alexnet.pth")])
    distance = metric.distance(reference["a"], reference["b"])
    # Distances of about 0.1 here; float32 reassociation between the frameworks is ~1e-7.
    np.testing.assert_allclose(distance, reference["distance"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(metric.distance(reference["a"], reference["a"]), 0.0, atol=1e-7)


def test_lpips_without_both_files_says_which_are_needed():
    with pytest.raises(UserError, match="linear layers.*alex.pth.*AlexNet backbone.*alexnet-owt"):
        LPIPS([os.path.join(FIXTURES, "lins.pth")])
