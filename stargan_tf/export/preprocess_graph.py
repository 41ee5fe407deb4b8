"""``preprocess.py``'s preprocessing inside the ``*_bytes`` serving signatures (TensorFlow ops
only, so TF Serving runs it), and what must be known before it runs: each element's format
and the pixel count its header declares, read without decoding a pixel.

Decoders differ from PIL where TensorFlow 2.21 measurably does (each is handled here):
``decode_image`` uses the fast IDCT for JPEG (up to 6 levels off Pillow; ``decode_jpeg`` with
``INTEGER_ACCURATE`` gives Pillow's pixels); ``decode_png(channels=4)`` fills the alpha of 1/2/4-bit
PNGs without tRNS with 2**depth - 1 instead of 255; the GIF decoder sizes its output by the first
frame, not the logical screen, so the pixel count is read from the first image descriptor.
What it cannot see: EXIF orientation and GIF transparency (painted black); the REST client
sends such files as PNG (``preprocess.serving_bytes``).

One element's decoder failure would fail the whole call with the decoder's message, which names
neither the input nor the element. ``map_each`` runs a function per element through tf.data's
``ignore_errors`` (the only way a graph survives an op's error) and says which elements failed,
so the caller can name them.
"""

import tensorflow as tf

from stargan_tf.export import preprocess

JPEG, PNG, GIF, BMP = range(4)  # branch of tf.switch_case; preprocess.TF_FORMATS order
_MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"GIF8", GIF), (b"BM", BMP))
_HEADER_BYTES = 32


def format_index(data):
    """string tensor -> int32 of the same shape: JPEG, PNG, GIF, BMP by the first bytes, else -1."""
    index = tf.fill(tf.shape(data), -1)
    for magic, value in _MAGIC:
        index = tf.where(tf.equal(tf.strings.substr(data, 0, len(magic)), magic), value, index)
    return index


def _header(data):
    """int64 [32]: the first 32 bytes of one encoded image, zeros past its end."""
    head = tf.strings.join([tf.strings.substr(data, 0, _HEADER_BYTES), b"\0" * _HEADER_BYTES])
    return tf.cast(tf.io.decode_raw(tf.strings.substr(head, 0, _HEADER_BYTES), tf.uint8), tf.int64)


def _number(head, start, count, big_endian=False, signed=False):
    """The unsigned (or two's complement) integer in ``head[start:start + count]``."""
    places = range(count - 1, -1, -1) if big_endian else range(count)
    value = sum(head[start + i] * (256 ** p) for i, p in zip(range(count), places))
    return tf.where(value >= 2 ** (8 * count - 1), value - 2 ** (8 * count), value) if signed else value


def _gif_frame_size(data, head):
    """(height, width) of a GIF's first frame: the first image descriptor after the global
    colour table and the extension blocks; the logical screen (bytes 6-9) if there is none."""
    length = tf.cast(tf.strings.length(data), tf.int64)

    def byte(position):  # 0 past the end, so every loop below ends
        value = tf.io.decode_raw(tf.strings.substr(data, tf.minimum(position, length - 1), 1), tf.uint8)[0]
        return tf.where(position < length, tf.cast(value, tf.int64), tf.constant(0, tf.int64))

    flags = head[10]
    start = 13 + tf.where(flags >= 128, 3 * tf.bitwise.left_shift(tf.constant(2, tf.int64), flags % 8),
                          tf.constant(0, tf.int64))

    def skip_sub_blocks(position):
        more = lambda p: (p < length) & (byte(p) > 0)  # noqa: E731
        return tf.while_loop(more, lambda p: (p + byte(p) + 1,), (position,))[0] + 1

    descriptor = tf.while_loop(lambda p: tf.equal(byte(p), 0x21), lambda p: (skip_sub_blocks(p + 2),), (start,))[0]
    frame = tf.stack([byte(descriptor + 7) + 256 * byte(descriptor + 8),
                      byte(descriptor + 5) + 256 * byte(descriptor + 6)])
    screen = tf.stack([_number(head, 8, 2), _number(head, 6, 2)])
    return tf.where(tf.equal(byte(descriptor), 0x2C), frame, screen)


def image_size(data):
    """int64 [2] (height, width) one encoded image's header declares (JPEG: the SOF segment via
    ``extract_jpeg_shape``, which fails on a corrupt header; PNG: IHDR; GIF: the first frame;
    BMP: the info header, negative height = top-down rows)."""
    head = _header(data)
    return tf.switch_case(format_index(data), [
        lambda: tf.cast(tf.image.extract_jpeg_shape(data)[:2], tf.int64),
        lambda: tf.stack([_number(head, 20, 4, big_endian=True), _number(head, 16, 4, big_endian=True)]),
        lambda: _gif_frame_size(data, head),
        lambda: tf.abs(tf.stack([_number(head, 22, 4, signed=True), _number(head, 18, 4, signed=True)])),
    ])


def _opaque(rgb):
    return tf.concat([rgb, tf.fill(tf.concat([tf.shape(rgb)[:2], [1]], 0), tf.constant(255, tf.uint8))], -1)


def _png_rgba(data, head):
    rgba = tf.io.decode_png(data, channels=4, dtype=tf.uint8)
    before_pixels = tf.strings.split(data, sep="IDAT", maxsplit=1)[0]
    keyed = tf.size(tf.strings.split(before_pixels, sep="tRNS")) > 1
    filled_wrong = (head[24] < 8) & tf.logical_not(keyed)  # see the module docstring
    return tf.concat([rgba[..., :3], tf.where(filled_wrong, tf.constant(255, tf.uint8), rgba[..., 3:])], -1)


def decode_rgba(data):
    """One encoded image -> uint8 RGBA [h, w, 4], as ``preprocess.read_rgba`` (but for EXIF and
    GIF transparency, see the module docstring)."""
    head = _header(data)
    return tf.switch_case(format_index(data), [
        lambda: _opaque(tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_ACCURATE")),
        lambda: _png_rgba(data, head),
        lambda: _opaque(tf.io.decode_image(data, channels=3, expand_animations=False)),
        lambda: _opaque(tf.io.decode_bmp(data, channels=3)),
    ])


def preprocess_image(data, size, load_size=None):
    """One encoded image -> float32 [H, W, 3] in [-1, 1]: ``preprocess.from_rgba`` in the graph
    (resized to ``load_size`` then centre-cropped to ``size`` where a model has one)."""
    load_size = tuple(size) if load_size is None else tuple(load_size)
    rgba = decode_rgba(data)
    shape = tf.shape(rgba, out_type=tf.int64)
    top, left, height, width = preprocess.crop_box(shape[0], shape[1], load_size, tf.minimum, tf.maximum)
    rgba = rgba[top:top + height, left:left + width]
    alpha = tf.cast(rgba[..., 3:], tf.float32) / 255.0
    pixels = tf.cast(rgba[..., :3], tf.float32) * alpha + 255.0 * (1.0 - alpha)
    resized = tf.image.resize(pixels, load_size, method="bilinear", antialias=True)
    (top, left), (height, width) = preprocess.centre_offsets(load_size, size), size
    return tf.ensure_shape(resized[top:top + height, left:left + width] / 127.5 - 1.0, [*size, 3])


def map_each(fn, values, spec):
    """``fn`` on each element of the 1-D ``values``: (stacked results of the elements on which it
    did not fail, in order; bool [n], True where it did not fail)."""
    count = tf.size(values, out_type=tf.int64)
    done = tf.data.Dataset.from_tensor_slices((tf.range(count), values)).map(lambda i, v: (i, fn(v)))
    # The sentinel keeps the batch non-empty when every element fails.
    sentinel = tf.data.Dataset.from_tensors((tf.constant(-1, tf.int64), tf.zeros(spec.shape, spec.dtype)))
    indices, results = done.ignore_errors().concatenate(sentinel).batch(count + 1).get_single_element()
    ok = tf.scatter_nd(indices[:-1, None], tf.ones_like(indices[:-1], tf.bool), [count])
    return results[:-1], ok


def first_failure(ok):
    """Index of the first False in ``ok`` (its length when there is none)."""
    return tf.reduce_min(tf.concat([tf.where(tf.logical_not(ok))[:, 0], tf.shape(ok, out_type=tf.int64)], 0))
