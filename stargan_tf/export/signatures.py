"""The serving functions the exporter builds from a ``ServingBundle``.

Per endpoint ``E`` (the first one also as ``serving_default`` / ``translate_bytes``):

* ``E``: ``image`` float32 [batch, H, W, 3] in [-1, 1] + one float32 [batch, size] input
  per condition -> ``translated`` float32 [batch, H, W, 3] in [-1, 1].
* ``E_bytes``: ``images_bytes`` string [batch] (encoded JPEG/PNG/GIF/BMP, any size, RGB,
  RGBA or grayscale) + the conditions -> ``translated_bytes`` string [batch] (PNG).
  TF Serving's REST API returns tensors named ``*_bytes`` as ``{"b64": ...}``.
* ``metadata`` (no inputs): what a client needs to build a request.

The serving signatures declare ``image`` as [-1, -1, -1, -1] and conditions as [-1, -1]
although only [-1, H, W, 3] and [-1, size] are accepted: with the exact shapes in the
signature a wrong shape is either rejected by the caller without saying which input is at
fault (Python) or fed unchecked into a graph whose shape arithmetic was folded for the
declared shape (TF Serving does not check fed shapes). Loose shapes let the checks below
run and name the input. The true shapes are in the ``metadata`` signature and the messages.

Checks (all raise ``InvalidArgumentError`` naming the input, before any convolution):
image channel count, height and width, values in [-1, 1] (with ``IMAGE_RANGE_SLACK``;
catches clients that send 0..255 pixels); each condition's batch size equal to the image's,
its length, its values in [minimum, maximum]; ``BINARY`` entries must be exactly
``minimum`` or ``maximum`` (a system that wants attribute interpolation declares the
condition ``CONTINUOUS``); ``ONE_HOT`` rows must have exactly one entry at ``maximum`` and
the rest at ``minimum``; ``images_bytes`` elements must start like a JPEG, PNG, GIF or BMP
file (a corrupt file with a valid header still fails, with the decoder's own message).

The TFLite functions have fixed shapes ([1, H, W, 3], [1, size]) and no checks: asserts
are not TFLite builtins, and a phone app builds its inputs itself.
"""

import json

import tensorflow as tf

from stargan_tf.export import spec as spec_lib

IMAGE_INPUT = "image"
BYTES_INPUT = "images_bytes"
OUTPUT = "translated"
BYTES_OUTPUT = "translated_bytes"
METADATA_SIGNATURE = "metadata"
DEFAULT_SIGNATURE = "serving_default"
DEFAULT_BYTES_SIGNATURE = "translate_bytes"
IMAGE_RANGE_SLACK = 1e-3

# The first bytes of the formats tf.io.decode_image reads.
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF8", "gif"), (b"BM", "bmp"))


def bytes_name(endpoint_name):
    return f"{endpoint_name}_bytes"


def signature_names(bundle):
    """{signature name: (endpoint, kind)} with kind "float" or "bytes", plus metadata."""
    first = bundle.endpoints[0]
    names = {DEFAULT_SIGNATURE: (first, "float")}
    for endpoint in bundle.endpoints:
        names[endpoint.name] = (endpoint, "float")
        names[bytes_name(endpoint.name)] = (endpoint, "bytes")
    names.setdefault(DEFAULT_BYTES_SIGNATURE, (first, "bytes"))
    names[METADATA_SIGNATURE] = (None, "metadata")
    return names


def validate_bundle(bundle):
    """Raise ValueError if the bundle cannot be exported unambiguously."""
    if not bundle.endpoints:
        raise ValueError("the bundle has no endpoints")
    height, width = bundle.image_size
    if int(height) <= 0 or int(width) <= 0:
        raise ValueError(f"image_size must be positive (height, width), got {bundle.image_size}")
    reserved = {DEFAULT_SIGNATURE, METADATA_SIGNATURE, DEFAULT_BYTES_SIGNATURE}
    seen = set()
    for endpoint in bundle.endpoints:
        for name in (endpoint.name, bytes_name(endpoint.name)):
            if not name.isidentifier():
                raise ValueError(f"endpoint name {endpoint.name!r} is not an identifier")
            if name in seen or (name in reserved and name != DEFAULT_BYTES_SIGNATURE):
                raise ValueError(f"signature name {name!r} of endpoint {endpoint.name!r} is taken")
            seen.add(name)
        condition_names = [c.name for c in endpoint.conditions]
        if len(set(condition_names)) != len(condition_names):
            raise ValueError(f"endpoint {endpoint.name!r} repeats a condition name: {condition_names}")
        for condition in endpoint.conditions:
            if not condition.name.isidentifier() or condition.name in (IMAGE_INPUT, BYTES_INPUT):
                raise ValueError(f"condition name {condition.name!r} of {endpoint.name!r} is not usable")
            if condition.kind not in (spec_lib.BINARY, spec_lib.ONE_HOT, spec_lib.CONTINUOUS):
                raise ValueError(f"condition {condition.name!r} has unknown kind {condition.kind!r}")
            if condition.size <= 0 or not condition.minimum < condition.maximum:
                raise ValueError(f"condition {condition.name!r}: need size > 0 and minimum < maximum")
            if condition.names and len(condition.names) != condition.size:
                raise ValueError(f"condition {condition.name!r}: {len(condition.names)} names for size {condition.size}")
    if DEFAULT_BYTES_SIGNATURE in seen and bundle.endpoints[0].name != "translate":
        raise ValueError(f"{DEFAULT_BYTES_SIGNATURE!r} is reserved for the first endpoint")
    json.dumps(dict(bundle.metadata))  # must be JSON-serialisable


def describe(bundle):
    """The JSON document behind the ``metadata`` signature and ``assets.extra/metadata.json``."""
    height, width = (int(v) for v in bundle.image_size)
    names = signature_names(bundle)
    return {
        "model_name": bundle.model_name,
        "image_size": [height, width],
        "signatures": sorted(names),
        "endpoints": [
            {
                "name": endpoint.name,
                "signatures": sorted(n for n, (e, _) in names.items() if e is endpoint),
                "description": endpoint.description,
                "conditions": [
                    {
                        "name": c.name,
                        "size": int(c.size),
                        "kind": c.kind,
                        "minimum": float(c.minimum),
                        "maximum": float(c.maximum),
                        "names": list(c.names),
                        "description": c.description,
                    }
                    for c in endpoint.conditions
                ],
            }
            for endpoint in bundle.endpoints
        ],
        "metadata": dict(bundle.metadata),
    }


# ---- in-graph checks -----------------------------------------------------------------------
def _run_in_order(checks):
    """Run check-making callables one after the other (so the first failing check is the
    one reported) and return the last op, to be used as a control dependency."""
    ops = []
    for make_check in checks:
        with tf.control_dependencies(ops):
            op = make_check()
        ops = [op] if op is not None else ops
    return ops


def _image_checks(image, height, width):
    shape = tf.shape(image)
    expected = f"float32 [batch, {height}, {width}, 3] in [-1, 1]"
    return [
        lambda: tf.debugging.assert_equal(
            shape[3], 3, message=f"input `image`: wrong channel count, expected 3 (RGB) for {expected}; got shape"),
        lambda: tf.debugging.assert_equal(
            shape[1:3], tf.constant([height, width]),
            message=f"input `image`: wrong height/width, expected {expected}; got [height, width]"),
        lambda: tf.debugging.assert_greater_equal(
            tf.reduce_min(image), -1.0 - IMAGE_RANGE_SLACK,
            message="input `image`: values below -1; send pixels as value / 127.5 - 1 (min found)"),
        lambda: tf.debugging.assert_less_equal(
            tf.reduce_max(image), 1.0 + IMAGE_RANGE_SLACK,
            message="input `image`: values above 1; send pixels as value / 127.5 - 1, not 0..255 (max found)"),
    ]


def _condition_checks(condition, values, batch_size):
    name, size = condition.name, int(condition.size)
    low, high = float(condition.minimum), float(condition.maximum)
    shape = tf.shape(values)
    checks = [
        lambda: tf.debugging.assert_equal(
            shape[0], batch_size,
            message=f"input `{name}`: batch size differs from the image batch size (x: condition "
                    "rows, y: images)"),
        lambda: tf.debugging.assert_equal(
            shape[1], size, message=f"input `{name}`: wrong length, expected {size} values per example; got"),
        lambda: tf.debugging.assert_greater_equal(
            tf.reduce_min(values), low, message=f"input `{name}`: values below the minimum {low} (min found)"),
        lambda: tf.debugging.assert_less_equal(
            tf.reduce_max(values), high, message=f"input `{name}`: values above the maximum {high} (max found)"),
    ]
    at_bounds = tf.logical_or(tf.equal(values, low), tf.equal(values, high))
    if condition.kind in (spec_lib.BINARY, spec_lib.ONE_HOT):
        checks.append(lambda: tf.debugging.assert_equal(
            tf.reduce_all(at_bounds), True,
            message=f"input `{name}`: {condition.kind} values must each be {low:g} or {high:g}"))
    if condition.kind == spec_lib.ONE_HOT:
        checks.append(lambda: tf.debugging.assert_equal(
            tf.reduce_sum(tf.cast(tf.equal(values, high), tf.int32), axis=1), 1,
            message=f"input `{name}`: one_hot rows must have exactly one entry equal to {high:g}; "
                    "entries at the maximum per row"))
    return checks


def _bytes_checks(images_bytes):
    known = tf.zeros(tf.shape(images_bytes), tf.bool)
    for magic, _ in _MAGIC:
        known = tf.logical_or(known, tf.equal(tf.strings.substr(images_bytes, 0, len(magic)), magic))
    return [lambda: tf.debugging.assert_equal(
        known, True, message=f"input `{BYTES_INPUT}`: not an encoded JPEG, PNG, GIF or BMP image "
                             "(false = rejected element)")]


def _checked(tensor, deps, static_shape):
    with tf.control_dependencies(deps):
        return tf.ensure_shape(tf.identity(tensor), static_shape)


# ---- serving functions ---------------------------------------------------------------------
def _translate(endpoint, image, conditions):
    translated = endpoint.translate(image, **conditions)
    return tf.cast(translated, tf.float32)


def _check_conditions(endpoint, values, batch_size, deps):
    checks = []
    for condition, tensor in zip(endpoint.conditions, values):
        checks += _condition_checks(condition, tensor, batch_size)
    deps = deps + _run_in_order(checks)
    return {c.name: _checked(t, deps, [None, int(c.size)]) for c, t in zip(endpoint.conditions, values)}


def float_function(endpoint, image_size):
    """tf.function (with input signature) of the ``<endpoint>`` signature."""
    height, width = (int(v) for v in image_size)
    specs = [tf.TensorSpec([None, None, None, None], tf.float32, name=IMAGE_INPUT)] + [
        tf.TensorSpec([None, None], tf.float32, name=c.name) for c in endpoint.conditions
    ]

    def serve(image, *condition_values):
        deps = _run_in_order(_image_checks(image, height, width))
        image = _checked(image, deps, [None, height, width, 3])
        conditions = _check_conditions(endpoint, condition_values, tf.shape(image)[0], deps)
        return {OUTPUT: _translate(endpoint, image, conditions)}

    return tf.function(serve, input_signature=specs, autograph=False)


def decode_images(images_bytes, image_size):
    """string [batch] -> float32 [batch, H, W, 3] in [-1, 1], as ``*_bytes`` signatures do."""
    height, width = (int(v) for v in image_size)

    def decode(data):
        pixels = tf.io.decode_image(data, channels=3, dtype=tf.uint8, expand_animations=False)
        pixels = tf.image.resize(tf.cast(pixels, tf.float32), (height, width), method="bilinear",
                                 antialias=True)
        return pixels / 127.5 - 1.0

    return tf.map_fn(decode, images_bytes, fn_output_signature=tf.TensorSpec([height, width, 3], tf.float32))


def encode_images(translated):
    """float32 [batch, H, W, 3] in [-1, 1] -> PNG strings [batch]."""
    pixels = tf.cast(tf.round(tf.clip_by_value((translated + 1.0) * 127.5, 0.0, 255.0)), tf.uint8)
    return tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.TensorSpec([], tf.string))


def bytes_function(endpoint, image_size):
    """tf.function (with input signature) of the ``<endpoint>_bytes`` signature."""
    specs = [tf.TensorSpec([None], tf.string, name=BYTES_INPUT)] + [
        tf.TensorSpec([None, None], tf.float32, name=c.name) for c in endpoint.conditions
    ]

    def serve(images_bytes, *condition_values):
        deps = _run_in_order(_bytes_checks(images_bytes))
        images_bytes = _checked(images_bytes, deps, [None])
        conditions = _check_conditions(endpoint, condition_values, tf.shape(images_bytes)[0], deps)
        images = decode_images(images_bytes, image_size)
        return {BYTES_OUTPUT: encode_images(_translate(endpoint, images, conditions))}

    return tf.function(serve, input_signature=specs, autograph=False)


def metadata_function(bundle):
    """tf.function of the ``metadata`` signature: constants only."""
    description = describe(bundle)
    conditions = [(e["name"], c) for e in description["endpoints"] for c in e["conditions"]]

    def strings(values):
        values = list(values)
        return tf.constant(values, dtype=tf.string, shape=[len(values)])

    def serve():
        return {
            "model_name": tf.constant(bundle.model_name),
            "image_size": tf.constant(description["image_size"], tf.int32),
            "endpoint_names": strings(e["name"] for e in description["endpoints"]),
            "signature_names": strings(description["signatures"]),
            # One row per (endpoint, condition); entry names as a JSON list per row.
            "condition_endpoints": strings(e for e, _ in conditions),
            "condition_names": strings(c["name"] for _, c in conditions),
            "condition_kinds": strings(c["kind"] for _, c in conditions),
            "condition_sizes": tf.constant([c["size"] for _, c in conditions], tf.int32, shape=[len(conditions)]),
            "condition_entry_names": strings(json.dumps(c["names"]) for _, c in conditions),
            "metadata_json": tf.constant(json.dumps(description["metadata"], sort_keys=True)),
            "export_json": tf.constant(json.dumps(description, sort_keys=True)),
        }

    return tf.function(serve, input_signature=[], autograph=False)


def tflite_function(endpoint, image_size):
    """Concrete function with fixed batch-1 shapes and no checks, for the TFLite converter."""
    height, width = (int(v) for v in image_size)
    specs = [tf.TensorSpec([1, height, width, 3], tf.float32, name=IMAGE_INPUT)] + [
        tf.TensorSpec([1, int(c.size)], tf.float32, name=c.name) for c in endpoint.conditions
    ]

    def serve(image, *condition_values):
        conditions = {c.name: v for c, v in zip(endpoint.conditions, condition_values)}
        return {OUTPUT: _translate(endpoint, image, conditions)}

    return tf.function(serve, input_signature=specs, autograph=False).get_concrete_function()


def serving_signatures(bundle):
    """{signature name: concrete function} for ``tf.saved_model.save``."""
    functions = {}
    for endpoint in bundle.endpoints:
        functions[(endpoint.name, "float")] = float_function(endpoint, bundle.image_size).get_concrete_function()
        functions[(endpoint.name, "bytes")] = bytes_function(endpoint, bundle.image_size).get_concrete_function()
    metadata = metadata_function(bundle).get_concrete_function()
    return {
        name: metadata if kind == "metadata" else functions[(endpoint.name, kind)]
        for name, (endpoint, kind) in signature_names(bundle).items()
    }


def model_variables(bundle):
    """{trackable name: [tf.Variable]}: the plain TF variables behind the Keras models.

    Keras 3 variables wrap a ``tf.Variable``; tracking the wrapped variable (not the Keras
    object) is what lets the TFLite converter freeze the weights into constants: with the
    Keras objects tracked, the converter keeps VAR_HANDLE/READ_VARIABLE ops whose values are
    never initialised on the device (NaN outputs).
    """
    result = {}
    for name, trackable in bundle.trackables.items():
        result[name] = [v if isinstance(v, tf.Variable) else v.value for v in trackable.variables]
    return result
