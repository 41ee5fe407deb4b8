"""The two implementations of the one preprocessing agree: ``preprocess`` (PIL: test mode, the
client, predict_tflite) and ``preprocess_graph`` (the ``*_bytes`` signatures), on every format
and mode the graph reads, for square, wide and tall models, with and without a load size (resize,
then the centred window); the graph reads sizes from headers;
the PIL paths refuse images above the pixel limit from the header too."""

import io
import struct

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from export_fixtures import png16, with_declared_size
from stargan_tf.export import preprocess, preprocess_graph

# Measured at most 1.1e-5 (1-bit PNG upsampled 37x53 -> 64x80), 1e-6 for most files: float
# rounding of PIL's and TF's resampling weights (the decoded 8-bit pixels are equal).
AGREEMENT = 5e-5  # in model units: a 160th of an 8-bit level


def _smooth(height, width, channels, seed=0):
    ys, xs = np.mgrid[0:height, 0:width]
    phase = np.random.default_rng(seed).uniform(0, 6, channels)
    return np.stack([127 + 100 * np.sin(xs / (3 + c) + ys / (5 + c) + phase[c]) for c in range(channels)],
                    -1).astype(np.uint8)


def _encode(image, fmt, **kwargs):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _files():
    """{name: bytes}: the modes the two decoders handle differently unless told otherwise."""
    rgba = _smooth(37, 53, 4)
    rgba[..., 3] = np.clip(np.arange(53) * 6, 0, 255)[None]
    rgb, grey = Image.fromarray(rgba[..., :3]), Image.fromarray(rgba[..., 0])
    palette = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return {
        "rgba.png": _encode(Image.fromarray(rgba, "RGBA"), "PNG"),
        "la.png": _encode(Image.fromarray(rgba[..., [0, 3]], "LA"), "PNG"),
        "grey_keyed.png": _encode(grey, "PNG", transparency=int(rgba[5, 5, 0])),
        "palette_keyed.png": _encode(palette, "PNG", transparency=3),
        "palette_4bit.png": _encode(palette, "PNG", bits=4),  # TF fills its alpha with 15
        "bilevel.png": _encode(grey.convert("1"), "PNG"),  # TF fills its alpha with 1
        "grey16.png": png16(_smooth(37, 53, 1)[..., 0].astype(np.uint16) * 257 + 100),
        "rgb16.png": png16(_smooth(37, 53, 3).astype(np.uint16) * 251),
        "rgb.jpg": _encode(rgb, "JPEG", quality=90),  # decode_image's fast IDCT: 6 levels off
        "progressive.jpg": _encode(rgb, "JPEG", quality=80, progressive=True, subsampling=0),
        "grey.jpg": _encode(grey, "JPEG"),
        "cmyk.jpg": _encode(rgb.convert("CMYK"), "JPEG"),
        "palette.gif": _encode(palette, "GIF"),
        "rgb.bmp": _encode(rgb, "BMP"),
        "rgba32.bmp": _encode(Image.fromarray(rgba, "RGBA"), "BMP"),  # 4th byte: padding
    }


FILES = _files()


@pytest.mark.parametrize("size, load_size", [((16, 24), None), ((24, 16), None), ((16, 16), None),
                                             ((64, 80), None), ((16, 16), (19, 19)), ((16, 24), (20, 27))])
def test_pil_and_graph_preprocessing_agree(size, load_size):
    graph = tf.function(lambda data: preprocess_graph.preprocess_image(data, size, load_size),
                        input_signature=[tf.TensorSpec([], tf.string)])
    for name, data in FILES.items():
        ours = preprocess.load_image((name, data), size, load_size=load_size)
        assert ours.shape == (*size, 3)
        assert np.max(np.abs(ours - graph(tf.constant(data)).numpy())) < AGREEMENT, (name, size, load_size)


def test_a_load_size_resizes_then_takes_the_centred_window():
    """DRIT's official test framing: Resize(256) then CenterCrop(216); the window's offset
    is torchvision's round((load - size) / 2), halves to even."""
    assert preprocess.centre_offsets((256, 256), (216, 216)) == (20, 20)
    assert preprocess.centre_offsets((37, 39), (32, 32)) == (2, 4)  # 2.5 -> 2, 3.5 -> 4
    assert preprocess.centre_offsets((32, 32), (32, 32)) == (0, 0)
    with pytest.raises(ValueError, match="smaller than the model's size"):
        preprocess.centre_offsets((30, 40), (32, 32))
    rgba = preprocess.read_rgba(("rgba.png", FILES["rgba.png"]))
    whole = preprocess.from_rgba(rgba, (23, 25))
    framed = preprocess.from_rgba(rgba, (16, 16), load_size=(23, 25))
    np.testing.assert_array_equal(framed, whole[4:20, 4:20])  # offsets round(3.5) = 4, round(4.5) = 4


def test_rgba_is_composited_on_white_and_bmp_alpha_ignored():
    rgba = preprocess.read_rgba(("rgba.png", FILES["rgba.png"]))
    assert rgba[:, 0, 3].max() == 0  # the left column is transparent
    np.testing.assert_array_equal(preprocess.composite_on_white(rgba)[:, 0], 255.0)
    assert preprocess.read_rgba(("rgba32.bmp", FILES["rgba32.bmp"]))[..., 3].min() == 255


def _bmp_top_down(data):
    height = struct.unpack("<i", data[22:26])[0]
    return data[:22] + struct.pack("<i", -height) + data[26:]


def _gif_with_frame_size(data, width, height):
    """The first image descriptor declares width x height, the logical screen stays small."""
    start = data.index(b"\x2c", 13 + 3 * 2 ** ((data[10] & 7) + 1))
    return data[:start + 5] + struct.pack("<HH", width, height) + data[start + 9:]


def test_graph_reads_sizes_from_headers():
    size = tf.function(preprocess_graph.image_size, input_signature=[tf.TensorSpec([], tf.string)])
    for name, data in FILES.items():
        assert size(tf.constant(data)).numpy().tolist() == [37, 53], name
    animated = _encode(Image.new("P", (40, 30)), "GIF", save_all=True, loop=0, comment=b"x" * 600,
                       append_images=[Image.new("P", (40, 30), 1)])
    cases = {
        "top-down bmp": (_bmp_top_down(FILES["rgb.bmp"]), [37, 53]),
        "animated gif with extensions": (animated, [30, 40]),
        # TF's GIF decoder sizes its output by the first frame, not the screen (bytes 6-9).
        "gif frame beyond its screen": (_gif_with_frame_size(FILES["palette.gif"], 60000, 50000), [50000, 60000]),
        "png": (with_declared_size(FILES["rgba.png"], 12000, 9000), [9000, 12000]),
        "jpeg": (with_declared_size(FILES["rgb.jpg"], 5000, 4000), [4000, 5000]),
    }
    for name, (data, expected) in cases.items():
        assert size(tf.constant(data)).numpy().tolist() == expected, name


def test_format_index():
    found = preprocess_graph.format_index(tf.constant([FILES["rgb.jpg"], FILES["rgba.png"], FILES["palette.gif"],
                                                       FILES["rgb.bmp"], _encode(Image.new("RGB", (4, 4)), "WEBP"),
                                                       b"", b"GIF"]))
    assert found.numpy().tolist() == [0, 1, 2, 3, -1, -1, -1]


def test_pil_paths_refuse_too_many_pixels_from_the_header():
    huge = with_declared_size(FILES["rgba.png"], 12000, 12000)  # 144 M pixels; its data is 37 x 53
    with pytest.raises(preprocess.ImageFileError,
                       match="huge.png: 12000x12000 = 144,000,000 pixels, above the limit of 16,777,216 pixels"):
        preprocess.read_rgba(("huge.png", huge), max_pixels=4096 * 4096)
    bomb = with_declared_size(FILES["rgba.png"], 20000, 20000)  # above Pillow's own guard (179 M)
    with pytest.raises(preprocess.ImageFileError, match="bomb.png: too many pixels .*decompression bomb"):
        preprocess.read_rgba(("bomb.png", bomb), max_pixels=4096 * 4096)


def test_crop_box():
    assert preprocess.crop_box(30, 50, (16, 16)) == (0, 10, 30, 30)  # wide photo, square model
    assert preprocess.crop_box(50, 30, (16, 16)) == (10, 0, 30, 30)
    assert preprocess.crop_box(30, 50, (16, 24)) == (0, 2, 30, 45)  # 2:3 model
    assert preprocess.crop_box(1, 50, (24, 16)) == (0, 24, 1, 1)  # never empty
