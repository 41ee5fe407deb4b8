"""Helpers for the exporter tests (conftest puts this folder on sys.path): small real Keras
generators (conv + InstanceNorm + tanh), one conditional (like StarGAN), one two-way without
conditions (like U-GAT-IT) and one typed bundle (like DRIT / SaGAN: a second image input, a
normal code, a mask output, an endpoint without TFLite), a probe bundle that shows how far the
image it is given is from an expected one, encoded test images (also 16-bit PNGs, which
Pillow cannot write in colour), and the fake TF Serving call."""

import io
import os
import struct
import zlib

import keras
import numpy as np
from keras import ops
from PIL import Image

from stargan_tf.export import (BINARY, MASK, NORMAL, Condition, ServingBundle, ServingEndpoint,
                               ServingInput, ServingOutput)
from stargan_tf.export.images import to_model_range
from stargan_tf.layers import InstanceNorm

HEIGHT, WIDTH = 16, 24  # non-square, so a swapped H/W shows up
ATTRIBUTE_SIZE = 4
NO_TFLITE_REASON = "the completion loop needs ops TFLite lacks (test)"


class TinyGenerator(keras.Model):
    """A condition (vector tiled over the image, or a second image) concatenated to the
    image, two convs with instance norm, tanh image output and optionally a sigmoid mask:
    the shape of StarGAN's / SaGAN's generator, at toy size."""

    def __init__(self, c_dim, mask=False, **kwargs):
        super().__init__(**kwargs)
        self.c_dim, self.mask = c_dim, mask
        self.conv1 = keras.layers.Conv2D(8, 3, padding="same")
        self.norm = InstanceNorm()
        self.conv2 = keras.layers.Conv2D(4 if mask else 3, 3, padding="same")

    def call(self, inputs):
        x = image = inputs[0] if self.c_dim else inputs
        if self.c_dim:
            condition = inputs[1]
            if len(condition.shape) == 2:
                shape = ops.shape(image)
                condition = ops.broadcast_to(condition[:, None, None, :], (shape[0], shape[1], shape[2], self.c_dim))
            x = ops.concatenate([image, condition], axis=-1)
        x = self.conv2(ops.relu(self.norm(self.conv1(x)))) * 3.0
        if self.mask:
            return ops.tanh(x[..., :3]), ops.sigmoid(x[..., 3:])
        return ops.tanh(x)


def build_generator(c_dim, seed, mask=False, image_condition=False):
    keras.utils.set_random_seed(seed)
    generator = TinyGenerator(c_dim, mask)
    image = np.zeros((1, HEIGHT, WIDTH, 3), np.float32)
    condition = np.zeros((1, HEIGHT, WIDTH, c_dim) if image_condition else (1, c_dim), np.float32)
    generator([image, condition] if c_dim else image)
    return generator


def conditional_bundle(model_name="tiny_stargan"):
    generator = build_generator(3, seed=1)
    target = Condition("target", 3, BINARY, names=("Black_Hair", "Male", "Young"),
                       description="desired attributes")
    endpoint = ServingEndpoint("translate", lambda image, target: generator([image, target]),
                               (ServingInput("image"), target), description="translate to the target attributes")
    return ServingBundle(model_name, (HEIGHT, WIDTH), (endpoint,), {"generator": generator},
                         {"selected_attrs": ["Black_Hair", "Male", "Young"]})


def two_way_bundle(model_name="tiny_ugatit", tolerances=None):
    """``tolerances``: {endpoint name: its tolerance overrides}."""
    g_ab, g_ba = build_generator(0, seed=2), build_generator(0, seed=3)
    tolerances = tolerances or {}
    return ServingBundle(model_name, (HEIGHT, WIDTH),
                         (ServingEndpoint("a2b", lambda image: g_ab(image), description="domain A to B",
                                          tolerances=tolerances.get("a2b", {})),
                          ServingEndpoint("b2a", lambda image: g_ba(image), description="domain B to A",
                                          tolerances=tolerances.get("b2a", {}))),
                         {"genA2B": g_ab, "genB2A": g_ba}, {"domains": ["A", "B"]})


def typed_bundle(model_name="tiny_drit"):
    """``translate``: image + reference image -> translated + mask; ``sample``: image + a
    normal attribute code -> translated + mask; ``complete``: SavedModel only."""
    by_reference = build_generator(3, seed=4, mask=True, image_condition=True)
    by_code = build_generator(ATTRIBUTE_SIZE, seed=5, mask=True)
    outputs = (ServingOutput("translated", description="translated image"),
               ServingOutput("mask", MASK, description="where the image was changed"))

    def named(result):
        return dict(zip(("translated", "mask"), result))

    endpoints = (
        ServingEndpoint("translate", lambda image, reference: named(by_reference([image, reference])),
                        (ServingInput("image"), ServingInput("reference", description="style source")), outputs),
        ServingEndpoint("sample", lambda image, attribute: named(by_code([image, attribute])),
                        (ServingInput("image"), ServingInput("attribute", NORMAL, (ATTRIBUTE_SIZE,))), outputs),
        ServingEndpoint("complete", lambda image: by_reference([image, image])[0], tflite=NO_TFLITE_REASON),
    )
    return ServingBundle(model_name, (HEIGHT, WIDTH), endpoints,
                         {"by_reference": by_reference, "by_code": by_code}, {"system": "tiny_drit"})


# The probe: translated = PROBE_CENTRE + (image - expected) * PROBE_GAIN. Its 8-bit output is
# PROBE_LEVEL exactly where |image - expected| < 0.5 / (127.5 * PROBE_GAIN) = 3.9e-5 (a 200th
# of an 8-bit level), so PNG outputs (bytes signature, predict_tflite) measure their input.
PROBE_SIZE, PROBE_GAIN, PROBE_LEVEL = 16, 100.0, 100
PROBE_CENTRE = float(to_model_range(PROBE_LEVEL))
PROBE_RESOLUTION = 0.5 / (127.5 * PROBE_GAIN)


def probe_bundle():
    """Endpoint ``probe``: an image and the image expected of it (a NORMAL code laid out
    [3, S, S], so predict_tflite does not take it for an image) -> the amplified difference."""
    import tensorflow as tf

    def translate(image, expected):
        return PROBE_CENTRE + (image - tf.transpose(expected, [0, 2, 3, 1])) * PROBE_GAIN

    expected = ServingInput("expected", NORMAL, (3, PROBE_SIZE, PROBE_SIZE), description="expected image, CHW")
    endpoint = ServingEndpoint("probe", translate, (ServingInput("image"), expected))
    return ServingBundle("probe", (PROBE_SIZE, PROBE_SIZE), (endpoint,), {})


def png16(samples):
    """uint16 [h, w] (grey) or [h, w, 3] (RGB) -> a 16-bit PNG file's bytes."""
    samples = np.asarray(samples, np.uint16)
    height, width = samples.shape[:2]
    colour_type = 0 if samples.ndim == 2 else 2
    rows = b"".join(b"\0" + samples[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def with_declared_size(data, width, height):
    """An encoded PNG or baseline JPEG whose header declares ``width`` x ``height`` instead
    (the pixel data no longer matches: it cannot be decoded)."""
    if data.startswith(b"\x89PNG"):  # IHDR: type at 12, width and height at 16, its CRC at 29
        header = data[12:16] + struct.pack(">II", width, height) + data[24:29]
        return data[:12] + header + struct.pack(">I", zlib.crc32(header)) + data[33:]
    start = data.index(b"\xff\xc0") + 5  # SOF0: precision, then height and width
    return data[:start] + struct.pack(">HH", height, width) + data[start + 4:]


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
