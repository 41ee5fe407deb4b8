"""In-graph input checks of the serving signatures; each failure names the signature input.

All raise ``InvalidArgumentError`` before any convolution runs, one after the other, so the
first failing check is the one reported:

* IMAGE inputs (float signatures): channel count, height and width, values in [-1, 1] (with
  ``IMAGE_RANGE_SLACK``; catches clients that send 0..255 pixels).
* IMAGE inputs (``*_bytes`` signatures): each element must start like a JPEG, PNG, GIF or BMP
  file (a corrupt file with a valid header still fails, with the decoder's own message).
* every input but the first IMAGE input: its batch size equals the first IMAGE input's.
* vectors: the per-example shape; BINARY / ONE_HOT / CONTINUOUS values in [minimum,
  maximum]; BINARY entries exactly ``minimum`` or ``maximum`` (a system that wants attribute
  interpolation declares the input CONTINUOUS); ONE_HOT rows exactly one entry at
  ``maximum``, the rest at ``minimum``; NORMAL values finite (any real value is a valid
  draw, but NaN/inf would only surface as a NaN image).
"""

import tensorflow as tf

from stargan_tf.export import spec as spec_lib

IMAGE_RANGE_SLACK = 1e-3

# The first bytes of the formats tf.io.decode_image reads.
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"BM", "bmp"))


def _run_in_order(checks):
    """Run check-making callables one after the other (so the first failing check is the
    one reported) and return the last op, to be used as a control dependency."""
    ops = []
    for make_check in checks:
        with tf.control_dependencies(ops):
            op = make_check()
        ops = [op] if op is not None else ops
    return ops


def _per_example(shape):
    if len(shape) == 1:
        return f"{shape[0]} values per example"
    return f"per-example shape {list(shape)}"


def _image_checks(name, image, height, width):
    shape = tf.shape(image)
    expected = f"float32 [batch, {height}, {width}, 3] in [-1, 1]"
    return [
        lambda: tf.debugging.assert_equal(
            shape[3], 3, message=f"input `{name}`: wrong channel count, expected 3 (RGB) for {expected}; got shape"),
        lambda: tf.debugging.assert_equal(
            shape[1:3], tf.constant([height, width]),
            message=f"input `{name}`: wrong height/width, expected {expected}; got [height, width]"),
        lambda: tf.debugging.assert_greater_equal(
            tf.reduce_min(image), -1.0 - IMAGE_RANGE_SLACK,
            message=f"input `{name}`: values below -1; send pixels as value / 127.5 - 1 (min found)"),
        lambda: tf.debugging.assert_less_equal(
            tf.reduce_max(image), 1.0 + IMAGE_RANGE_SLACK,
            message=f"input `{name}`: values above 1; send pixels as value / 127.5 - 1, not 0..255 (max found)"),
    ]


def _bytes_checks(name, images_bytes):
    known = tf.zeros(tf.shape(images_bytes), tf.bool)
    for magic, _ in _MAGIC:
        known = tf.logical_or(known, tf.equal(tf.strings.substr(images_bytes, 0, len(magic)), magic))
    return [lambda: tf.debugging.assert_equal(
        known, True, message=f"input `{name}`: not an encoded JPEG, PNG, GIF or BMP image "
                             "(false = rejected element)")]


def _vector_checks(spec, values):
    name, shape = spec.name, tuple(int(d) for d in spec.shape)
    low, high = float(spec.minimum), float(spec.maximum)
    checks = [lambda: tf.debugging.assert_equal(
        tf.shape(values)[1:], tf.constant(shape),
        message=f"input `{name}`: wrong length, expected {_per_example(shape)}; got")]
    if spec.kind == spec_lib.NORMAL:
        return checks + [lambda: tf.debugging.assert_all_finite(
            values, message=f"input `{name}`: values must be finite (normal draws)")]
    checks += [
        lambda: tf.debugging.assert_greater_equal(
            tf.reduce_min(values), low, message=f"input `{name}`: values below the minimum {low} (min found)"),
        lambda: tf.debugging.assert_less_equal(
            tf.reduce_max(values), high, message=f"input `{name}`: values above the maximum {high} (max found)"),
    ]
    if spec.kind in (spec_lib.BINARY, spec_lib.ONE_HOT):
        at_bounds = tf.logical_or(tf.equal(values, low), tf.equal(values, high))
        checks.append(lambda: tf.debugging.assert_equal(
            tf.reduce_all(at_bounds), True,
            message=f"input `{name}`: {spec.kind} values must each be {low:g} or {high:g}"))
    if spec.kind == spec_lib.ONE_HOT:
        checks.append(lambda: tf.debugging.assert_equal(
            tf.reduce_sum(tf.cast(tf.equal(values, high), tf.int32), axis=-1), 1,
            message=f"input `{name}`: one_hot rows must have exactly one entry equal to {high:g}; "
                    "entries at the maximum per row"))
    return checks


def _batch_check(name, tensor, first_name, batch_size):
    return lambda: tf.debugging.assert_equal(
        tf.shape(tensor)[0], batch_size,
        message=f"input `{name}`: batch size differs from that of `{first_name}` (x: `{name}` rows, "
                f"y: `{first_name}` rows)")


def checked_inputs(endpoint, tensors, tensor_names, image_size, encoded):
    """Check every input of ``endpoint`` and return them with static shapes set.

    Args:
        tensors: {input name: tensor as fed to the signature}.
        tensor_names: {input name: the signature's name for it} (used in the messages).
        image_size: (height, width) of IMAGE inputs.
        encoded: IMAGE inputs are encoded image strings [batch] (``*_bytes`` signatures),
            else float32 NHWC.

    Returns:
        {input name: tensor} depending on all checks.
    """
    height, width = (int(v) for v in image_size)
    first = endpoint.image_inputs[0].name
    batch_size = tf.shape(tensors[first])[0]
    checks, static_shapes = [], {}
    for spec in endpoint.inputs:
        name, tensor = tensor_names[spec.name], tensors[spec.name]
        if spec.name != first:
            checks.append(_batch_check(name, tensor, tensor_names[first], batch_size))
        if spec.kind != spec_lib.IMAGE:
            checks += _vector_checks(spec, tensor)
            static_shapes[spec.name] = [None] + [int(d) for d in spec.shape]
        elif encoded:
            checks += _bytes_checks(name, tensor)
            static_shapes[spec.name] = [None]
        else:
            checks += _image_checks(name, tensor, height, width)
            static_shapes[spec.name] = [None, height, width, 3]
    deps = _run_in_order(checks)
    result = {}
    for name, tensor in tensors.items():
        with tf.control_dependencies(deps):
            result[name] = tf.ensure_shape(tf.identity(tensor), static_shapes[name])
    return result
