"""In-graph input checks of the serving signatures; each failure names the signature input
(and, for encoded images, the element of the batch, counting from 0).

All raise ``InvalidArgumentError`` before any convolution runs, and the first failing check
(in this order) is the one reported:

* every input: its rank, first (a missing batch axis would otherwise surface as a
  ``strided_slice`` error or a misleading channel/batch message).
* IMAGE inputs (float signatures): channel count, height and width, values in [-1, 1] (with
  ``IMAGE_RANGE_SLACK``; catches clients that send 0..255 pixels).
* IMAGE inputs (``*_bytes`` signatures): each element starts like a JPEG, PNG, GIF or BMP file;
  its header can be read; the pixel count it declares is at most the export's
  ``max_image_pixels``: all before any pixel is decoded. Then, once decoded
  (``decoded_images``), an element whose data is truncated or corrupt behind a valid header.
* every input but the first IMAGE input: its batch size equals the first IMAGE input's.
* vectors: the per-example shape; BINARY / ONE_HOT / CONTINUOUS values in [minimum,
  maximum]; BINARY entries exactly ``minimum`` or ``maximum`` (a system that wants attribute
  interpolation declares the input CONTINUOUS); ONE_HOT rows exactly one entry at
  ``maximum``, the rest at ``minimum``; NORMAL values finite (any real value is a valid
  draw, but NaN/inf would only surface as a NaN image).
"""

import tensorflow as tf

from stargan_tf.export import preprocess_graph
from stargan_tf.export import spec as spec_lib

IMAGE_RANGE_SLACK = 1e-3


def _assert_first_failure(checks):
    """One Assert per check ((condition, message data)), each failing only if every check
    before it passed, so the first failing check is the one reported whatever order the
    Asserts run in: ordering them by control dependencies does not survive Grappler, which
    folds the fed shape into shape computations and moves them. Every condition and message is
    therefore computable for any input (``_dims`` never indexes out of range, reductions run on
    all elements)."""
    asserts, earlier_passed = [], tf.constant(True)
    for passed, data in checks:
        asserts.append(tf.debugging.Assert(tf.logical_or(passed, tf.logical_not(earlier_passed)), data, summarize=8))
        earlier_passed = tf.logical_and(earlier_passed, passed)
    return asserts


def _dims(tensor, count):
    """The first ``count`` entries of ``tf.shape(tensor)``, zero-padded (never out of range)."""
    return tf.pad(tf.shape(tensor), [[0, count]])[:count]


def _per_example(shape):
    if len(shape) == 1:
        return f"{shape[0]} values per example"
    return f"per-example shape {list(shape)}"


def _expected(spec, height, width, encoded):
    if spec.kind != spec_lib.IMAGE:
        return f"float32 [batch, {', '.join(str(int(d)) for d in spec.shape)}]"
    if encoded:
        return "string [batch] of encoded images"
    return f"float32 [batch, {height}, {width}, 3] in [-1, 1]"


def _rank_check(name, tensor, rank, expected):
    return tf.equal(tf.rank(tensor), rank), [f"input `{name}`: expected {expected} (rank {rank}); got rank",
                                             tf.rank(tensor)]


def _each_element(name, ok, problem, *details):
    """The check that every element is ``ok`` (bool [batch]). The message names the first
    element that is not and its ``problem``, whose ``{}`` are filled with ``details``
    (functions of that element's index); it is built only when some element is not ok."""
    index = preprocess_graph.first_failure(ok)
    message = tf.cond(tf.reduce_all(ok), lambda: tf.constant(""), lambda: tf.strings.format(
        f"input `{name}`: element {{}} of the batch {problem}", [index] + [detail(index) for detail in details]))
    return tf.reduce_all(ok), [message]


def _image_checks(name, image, height, width):
    expected = f"float32 [batch, {height}, {width}, 3] in [-1, 1]"
    dims = _dims(image, 4)
    return [
        (tf.equal(dims[3], 3),
         [f"input `{name}`: wrong channel count, expected 3 (RGB) for {expected}; got shape", tf.shape(image)]),
        (tf.reduce_all(tf.equal(dims[1:3], [height, width])),
         [f"input `{name}`: wrong height/width, expected {expected}; got [height, width]", dims[1:3]]),
        (tf.reduce_min(image) >= -1.0 - IMAGE_RANGE_SLACK,
         [f"input `{name}`: values below -1; send pixels as value / 127.5 - 1 (min found)", tf.reduce_min(image)]),
        (tf.reduce_max(image) <= 1.0 + IMAGE_RANGE_SLACK,
         [f"input `{name}`: values above 1; send pixels as value / 127.5 - 1, not 0..255 (max found)",
          tf.reduce_max(image)]),
    ]


def _bytes_checks(name, images_bytes, max_pixels):
    """Format, readable header, pixel count: all from the first bytes of each element (any
    rank is flattened here; a wrong one is reported by the rank check, which comes first)."""
    elements = tf.reshape(images_bytes, [-1])
    sizes, readable = preprocess_graph.map_each(preprocess_graph.image_size, elements, tf.TensorSpec([2], tf.int64))
    pixels = sizes[:, 0] * sizes[:, 1]
    return [
        _each_element(name, preprocess_graph.format_index(elements) >= 0,
                      "is not an encoded JPEG, PNG, GIF or BMP image (convert WebP and other formats to PNG; "
                      "stargan_tf.export.client does)"),
        _each_element(name, readable, "has a header that cannot be read (truncated or corrupt file)"),
        _each_element(name, pixels <= max_pixels, f"is {{}}x{{}} = {{}} pixels, above the limit of {max_pixels} "
                      "pixels set at export (max_image_pixels); scale it down before sending it",
                      lambda i: sizes[i, 1], lambda i: sizes[i, 0], lambda i: pixels[i]),
    ]


def decoded_images(name, images_bytes, image_size, load_size=None):
    """string [batch] (checked by ``checked_inputs``) -> float32 [batch, H, W, 3] in [-1, 1],
    ``preprocess_graph.preprocess_image`` per element (``load_size``: the bundle's); fails
    naming the first element whose data does not decode."""
    size = tuple(int(v) for v in image_size)
    images, decoded = preprocess_graph.map_each(lambda data: preprocess_graph.preprocess_image(data, size, load_size),
                                                images_bytes, tf.TensorSpec([*size, 3], tf.float32))
    passed, data = _each_element(name, decoded, "could not be decoded: its data is truncated or corrupt")
    with tf.control_dependencies([tf.debugging.Assert(passed, data)]):
        return tf.identity(images)


def _vector_checks(spec, values):
    name, shape = spec.name, tuple(int(d) for d in spec.shape)
    low, high = float(spec.minimum), float(spec.maximum)
    checks = [(tf.reduce_all(tf.equal(_dims(values, 1 + len(shape))[1:], shape)),
               [f"input `{name}`: wrong length, expected {_per_example(shape)}; got", tf.shape(values)[1:]])]
    if spec.kind == spec_lib.NORMAL:
        return checks + [(tf.reduce_all(tf.math.is_finite(values)),
                          [f"input `{name}`: values must be finite (normal draws)"])]
    checks += [
        (tf.reduce_min(values) >= low,
         [f"input `{name}`: values below the minimum {low} (min found)", tf.reduce_min(values)]),
        (tf.reduce_max(values) <= high,
         [f"input `{name}`: values above the maximum {high} (max found)", tf.reduce_max(values)]),
    ]
    if spec.kind in (spec_lib.BINARY, spec_lib.ONE_HOT):
        checks.append((tf.reduce_all(tf.logical_or(tf.equal(values, low), tf.equal(values, high))),
                       [f"input `{name}`: {spec.kind} values must each be {low:g} or {high:g}"]))
    if spec.kind == spec_lib.ONE_HOT:
        def one_per_row():
            rows = tf.reshape(values, [-1, shape[-1]])
            return tf.reduce_all(tf.equal(tf.reduce_sum(tf.cast(tf.equal(rows, high), tf.int32), axis=-1), 1))

        rows_fit = tf.equal(tf.size(values) % shape[-1], 0)  # else the length check reports it
        checks.append((tf.cond(rows_fit, one_per_row, lambda: tf.constant(True)),
                       [f"input `{name}`: one_hot rows must have exactly one entry equal to {high:g}"]))
    return checks


def _batch_check(name, tensor, first_name, first):
    rows, first_rows = _dims(tensor, 1)[0], _dims(first, 1)[0]
    return tf.equal(rows, first_rows), [
        f"input `{name}`: batch size differs from that of `{first_name}`: `{name}` rows, `{first_name}` rows",
        rows, first_rows]


def checked_inputs(endpoint, tensors, tensor_names, image_size, encoded, max_pixels=None):
    """Check every input of ``endpoint`` and return them with their static shapes.

    Args:
        tensors: {input name: tensor as fed to the signature (any rank)}.
        tensor_names: {input name: the signature's name for it} (used in the messages).
        image_size: (height, width) of IMAGE inputs.
        encoded: IMAGE inputs are encoded image strings [batch] (``*_bytes`` signatures),
            else float32 NHWC.
        max_pixels: the most pixels an encoded image's header may declare (``encoded`` only).

    Returns:
        {input name: tensor} depending on all checks.
    """
    height, width = (int(v) for v in image_size)
    first = endpoint.image_inputs[0].name
    checks, static_shapes = [], {}
    for spec in endpoint.inputs:
        image = spec.kind == spec_lib.IMAGE
        static_shapes[spec.name] = ([-1] if encoded else [-1, height, width, 3]) if image else (
            [-1] + [int(d) for d in spec.shape])
        checks.append(_rank_check(tensor_names[spec.name], tensors[spec.name], len(static_shapes[spec.name]),
                                  _expected(spec, height, width, encoded and image)))
    for spec in endpoint.inputs:
        name, tensor = tensor_names[spec.name], tensors[spec.name]
        if spec.name != first:
            checks.append(_batch_check(name, tensor, tensor_names[first], tensors[first]))
        if spec.kind != spec_lib.IMAGE:
            checks += _vector_checks(spec, tensor)
        elif encoded:
            checks += _bytes_checks(name, tensor, max_pixels)
        else:
            checks += _image_checks(name, tensor, height, width)
    asserts = _assert_first_failure(checks)
    result = {}
    for name, tensor in tensors.items():
        with tf.control_dependencies(asserts):  # an op made here gets them only if all its inputs come from outside
            checked = tf.identity(tensor)
        # reshape, not ensure_shape: Grappler would read ensure_shape's shape back into the fed
        # tensor and fold the rank check to the expected rank.
        result[name] = tf.reshape(checked, static_shapes[name])
    return result
