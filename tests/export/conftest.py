"""Session fixtures: the fixture bundles exported once, and real image files."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # --import-mode=importlib: make helpers importable

from export_fixtures import (HEIGHT, WIDTH, conditional_bundle, encoded,  # noqa: E402
                             two_way_bundle, typed_bundle)
from stargan_tf.export import export_bundle  # noqa: E402


@pytest.fixture(scope="session")
def image_files(tmp_path_factory):
    """{name: path} of real files: RGB JPEG, RGBA PNG, grayscale PNG/JPEG, odd sizes."""
    folder = tmp_path_factory.mktemp("images")
    specs = {"rgb.jpg": ("RGB", (37, 23), "JPEG"), "rgba.png": ("RGBA", (20, 31), "PNG"),
             "gray.png": ("L", (15, 15), "PNG"), "gray.jpg": ("L", (50, 41), "JPEG"),
             "exact.png": ("RGB", (WIDTH, HEIGHT), "PNG")}
    paths = {}
    for i, (name, (mode, size, fmt)) in enumerate(specs.items()):
        paths[name] = str(folder / name)
        with open(paths[name], "wb") as f:
            f.write(encoded(mode, size, fmt, seed=i))
    return paths


@pytest.fixture(scope="session")
def stargan_export(tmp_path_factory):
    bundle = conditional_bundle()
    export_dir = str(tmp_path_factory.mktemp("export"))
    report = export_bundle(bundle, export_dir, verbose=False)
    return bundle, export_dir, report


@pytest.fixture(scope="session")
def two_way_export(stargan_export):
    """Exported into the same export dir as the conditional bundle (models.config has both)."""
    bundle = two_way_bundle()
    _, export_dir, _ = stargan_export
    report = export_bundle(bundle, export_dir, verbose=False)
    return bundle, export_dir, report


@pytest.fixture(scope="session")
def typed_export(tmp_path_factory):
    """Two image inputs, a normal code, a mask output, an endpoint without TFLite; float32
    and float16 files (dynamic_int8 is report-only and adds nothing to these checks)."""
    bundle = typed_bundle()
    export_dir = str(tmp_path_factory.mktemp("typed"))
    report = export_bundle(bundle, export_dir, tflite_quantizations=("float32", "float16"), verbose=False)
    return bundle, export_dir, report
