"""Helpers for the exporter tests (conftest puts this folder on sys.path): small real Keras
generators (conv + InstanceNorm + tanh), one conditional (like StarGAN) and one two-way
without conditions (like U-GAT-IT), encoded test images, and the fake TF Serving call."""

import io
import os

import keras
import numpy as np
from keras import ops
from PIL import Image

from stargan_tf.export import BINARY, Condition, ServingBundle, ServingEndpoint
from stargan_tf.layers import InstanceNorm

HEIGHT, WIDTH = 16, 24  # non-square, so a swapped H/W shows up


class TinyGenerator(keras.Model):
    """Condition vector tiled and concatenated to the image, two convs with instance norm,
    tanh output: the shape of StarGAN's generator, at toy size."""

    def __init__(self, c_dim, **kwargs):
        super().__init__(**kwargs)
        self.c_dim = c_dim
        self.conv1 = keras.layers.Conv2D(8, 3, padding="same")
        self.norm = InstanceNorm()
        self.conv2 = keras.layers.Conv2D(3, 3, padding="same")

    def call(self, inputs):
        x = image = inputs[0] if self.c_dim else inputs
        if self.c_dim:
            label = inputs[1]
            shape = ops.shape(image)
            x = ops.concatenate(
                [image, ops.broadcast_to(label[:, None, None, :], (shape[0], shape[1], shape[2], self.c_dim))],
                axis=-1)
        x = ops.relu(self.norm(self.conv1(x)))
        return ops.tanh(self.conv2(x) * 3.0)


def build_generator(c_dim, seed):
    keras.utils.set_random_seed(seed)
    generator = TinyGenerator(c_dim)
    image = np.zeros((1, HEIGHT, WIDTH, 3), np.float32)
    generator([image, np.zeros((1, c_dim), np.float32)] if c_dim else image)
    return generator


def conditional_bundle(model_name="tiny_stargan"):
    generator = build_generator(3, seed=1)
    target = Condition("target", 3, BINARY, names=("Black_Hair", "Male", "Young"),
                       description="desired attributes")
    endpoint = ServingEndpoint("translate", lambda image, target: generator([image, target]),
                               (target,), "translate to the target attributes")
    return ServingBundle(model_name, (HEIGHT, WIDTH), (endpoint,), {"generator": generator},
                         {"selected_attrs": ["Black_Hair", "Male", "Young"]})


def two_way_bundle(model_name="tiny_ugatit"):
    g_ab, g_ba = build_generator(0, seed=2), build_generator(0, seed=3)
    return ServingBundle(model_name, (HEIGHT, WIDTH),
                         (ServingEndpoint("a2b", g_ab, description="domain A to B"),
                          ServingEndpoint("b2a", g_ba, description="domain B to A")),
                         {"genA2B": g_ab, "genB2A": g_ba}, {"domains": ["A", "B"]})


def encoded(mode, size, fmt, seed):
    """A real encoded image file's bytes: ``mode`` "RGB"/"RGBA"/"L", ``size`` (w, h)."""
    rng = np.random.default_rng(seed)
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    # Smooth content (JPEG of noise is all artefacts).
    ys, xs = np.mgrid[0:size[1], 0:size[0]]
    base = [127 + 100 * np.sin(xs / (3 + c) + ys / (5 + c) + rng.uniform(0, 6)) for c in range(channels)]
    pixels = np.clip(np.stack(base, -1), 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def serve_requests(version_dir, requests, tmp_path):
    """Answer REST bodies with the SavedModel loaded in a fresh Python (fake_serving.py)."""
    import json
    import subprocess
    import sys

    request_file, response_file = tmp_path / "requests.json", tmp_path / "responses.json"
    request_file.write_text(json.dumps(requests))
    script = os.path.join(os.path.dirname(__file__), "fake_serving.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.dirname(__file__))), os.environ.get("PYTHONPATH", "")]),
        "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, script, version_dir, str(request_file), str(response_file)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(response_file.read_text())
