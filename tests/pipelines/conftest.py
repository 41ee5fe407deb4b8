"""Shared fixtures: one small shapes dataset for the whole pipelines test session."""

import pytest

from stargan_tf.pipelines import write_shapes_dataset

NUM_IMAGES = 60
IMAGE_SIZE = 32


@pytest.fixture(scope="session")
def shapes(tmp_path_factory):
    """Paths of a 60-image, 32-pixel shapes dataset (read-only), plus its `num_images` and `image_size`."""
    paths = write_shapes_dataset(tmp_path_factory.mktemp("shapes"), num_images=NUM_IMAGES, image_size=IMAGE_SIZE, seed=0)
    return dict(paths, num_images=NUM_IMAGES, image_size=IMAGE_SIZE)
