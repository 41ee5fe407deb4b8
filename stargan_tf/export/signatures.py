"""The serving functions the exporter builds from a ``ServingBundle`` (names: ``contract.py``).

* ``<endpoint>``: one float32 input per ``ServingInput`` -> {output name: float32 tensor}
  (IMAGE outputs [batch, H, W, 3] in [-1, 1], MASK outputs [batch, H, W, 1] in [0, 1], SCORES
  outputs [batch, len(names)] in [0, 1]).
* ``<endpoint>_bytes``: IMAGE inputs as string [batch] (encoded JPEG/PNG/GIF/BMP, any size and
  mode, at most ``max_image_pixels`` each), preprocessed in the graph as
  ``preprocess_graph.preprocess_image`` (= ``preprocess.py``: alpha on white, centre crop to
  the model's aspect ratio, antialiased bilinear resize, then the centre crop of a bundle with a
  ``load_size``; no EXIF), vectors as in the float
  signature -> {``<output>_bytes``: PNG strings [batch]} (RGB for IMAGE outputs, 8-bit
  grayscale of round(mask * 255) for MASK), and SCORES outputs as in the float signature,
  under their own name. TF Serving's REST API returns tensors named ``*_bytes`` as
  ``{"b64": ...}``.
* ``metadata`` (no inputs): what a client needs to build a request.

The serving signatures declare every input with unknown rank although only [-1, H, W, 3],
[-1, *shape] and string [-1] are accepted: with exact shapes a wrong shape is either rejected
by the caller without saying which input is at fault (Python) or fed unchecked into a graph
whose shape arithmetic was folded for the declared shape (TF Serving does not check fed shapes);
even a declared rank is folded into ``tf.rank``, so a missing batch axis could not be caught.
Unknown ranks let the checks (``checks.py``) run and name the input. The true shapes are in the
``metadata`` signature and the messages.

The TFLite functions have fixed shapes ([1, H, W, 3] per image, [1, *shape] per vector) and
no checks: asserts are not TFLite builtins, and a phone app builds its inputs itself.
"""

import json

import tensorflow as tf

from stargan_tf.export import checks as checks_lib
from stargan_tf.export import contract
from stargan_tf.export import spec as spec_lib
from stargan_tf.export.errors import ExportError

_CHANNELS = {spec_lib.IMAGE: 3, spec_lib.MASK: 1}


def _expected_shape(output, height, width):
    """The declared output's shape with a dynamic batch: [None, H, W, C] or [None, n]."""
    if output.kind == spec_lib.SCORES:
        return [None, len(output.names)]
    return [None, height, width, _CHANNELS[output.kind]]


def outputs_of(endpoint, result, image_size):
    """``translate``'s result -> {output name: float32 tensor}, checked against the declared
    outputs (names, and static shapes where known) so a mismatch fails at export time."""
    if not isinstance(result, dict):
        if len(endpoint.outputs) != 1:
            raise ExportError(f"endpoint {endpoint.name!r} declares outputs {[o.name for o in endpoint.outputs]}; "
                              "its translate must return a dict with these keys")
        result = {endpoint.outputs[0].name: result}
    declared = [o.name for o in endpoint.outputs]
    if set(result) != set(declared):
        raise ExportError(f"endpoint {endpoint.name!r}: translate returned outputs {sorted(result)}, "
                          f"declared {sorted(declared)}")
    height, width = (int(v) for v in image_size)
    outputs = {}
    for output in endpoint.outputs:
        tensor = tf.cast(result[output.name], tf.float32)
        expected = _expected_shape(output, height, width)
        if not tensor.shape.is_compatible_with(expected):
            raise ExportError(f"endpoint {endpoint.name!r} output {output.name!r} ({output.kind}) has shape "
                              f"{tensor.shape}, expected [batch, {', '.join(map(str, expected[1:]))}]")
        outputs[output.name] = tensor
    return outputs


def _input_specs(endpoint, encoded=False, exact_size=None):
    """({input name: signature name}, TensorSpecs in declaration order). Serving: unknown rank
    (see the module docstring); TFLite (``exact_size`` = (H, W)): batch 1 and exact shapes."""
    names = contract.bytes_input_names(endpoint) if encoded else {i.name: i.name for i in endpoint.inputs}
    specs = []
    for spec in endpoint.inputs:
        dtype = tf.string if spec.kind == spec_lib.IMAGE and encoded else tf.float32
        if not exact_size:
            specs.append(tf.TensorSpec(None, dtype, name=names[spec.name]))
        elif spec.kind == spec_lib.IMAGE:
            specs.append(tf.TensorSpec([1, *exact_size, 3], dtype, name=spec.name))
        else:
            specs.append(tf.TensorSpec([1] + [int(d) for d in spec.shape], dtype, name=spec.name))
    return names, specs


def float_function(endpoint, image_size):
    """tf.function (with input signature) of the ``<endpoint>`` signature."""
    names, specs = _input_specs(endpoint)

    def serve(*values):
        feeds = checks_lib.checked_inputs(endpoint, dict(zip(names, values)), names, image_size, encoded=False)
        return outputs_of(endpoint, endpoint.translate(**feeds), image_size)

    return tf.function(serve, input_signature=specs, autograph=False)


def encode_output(values, kind):
    """IMAGE float32 [batch, H, W, 3] in [-1, 1] -> RGB PNGs; MASK [batch, H, W, 1] in
    [0, 1] -> 8-bit grayscale PNGs of round(mask * 255), rounded as ``images.output_pixels``;
    SCORES unchanged (a handful of floats gain nothing from an image encoding)."""
    if kind == spec_lib.SCORES:
        return values
    levels = (values + 1.0) * 127.5 if kind == spec_lib.IMAGE else values * 255.0
    pixels = tf.cast(tf.round(tf.clip_by_value(levels, 0.0, 255.0)), tf.uint8)
    return tf.map_fn(tf.io.encode_png, pixels, fn_output_signature=tf.TensorSpec([], tf.string))


def bytes_function(endpoint, image_size, max_image_pixels, load_size=None):
    """tf.function (with input signature) of the ``<endpoint>_bytes`` signature (images
    resized to ``load_size`` and centre-cropped where the bundle has one)."""
    names, specs = _input_specs(endpoint, encoded=True)

    def serve(*values):
        feeds = checks_lib.checked_inputs(endpoint, dict(zip(names, values)), names, image_size, encoded=True,
                                          max_pixels=max_image_pixels)
        for spec in endpoint.image_inputs:
            feeds[spec.name] = checks_lib.decoded_images(names[spec.name], feeds[spec.name], image_size, load_size)
        outputs = outputs_of(endpoint, endpoint.translate(**feeds), image_size)
        return {contract.bytes_output_name(o): encode_output(outputs[o.name], o.kind) for o in endpoint.outputs}

    return tf.function(serve, input_signature=specs, autograph=False)


def metadata_function(bundle, max_image_pixels):
    """tf.function of the ``metadata`` signature: constants only.

    Besides the JSON documents, one row per (endpoint, input) and per (endpoint, output);
    the ``condition_*`` rows are the vector inputs (the keys of the one-image systems).
    """
    description = contract.describe(bundle, max_image_pixels)
    inputs = [(e["name"], i) for e in description["endpoints"] for i in e["inputs"]]
    outputs = [(e["name"], o) for e in description["endpoints"] for o in e["outputs"]]
    conditions = [(e, i) for e, i in inputs if i["kind"] != spec_lib.IMAGE]

    def strings(values):
        values = list(values)
        return tf.constant(values, dtype=tf.string, shape=[len(values)])

    def serve():
        return {
            "model_name": tf.constant(bundle.model_name),
            "image_size": tf.constant(description["image_size"], tf.int32),
            "load_size": tf.constant(description["load_size"], tf.int32),
            "max_image_pixels": tf.constant(max_image_pixels, tf.int64),
            "endpoint_names": strings(e["name"] for e in description["endpoints"]),
            "signature_names": strings(description["signatures"]),
            "input_endpoints": strings(e for e, _ in inputs),
            "input_names": strings(i["name"] for _, i in inputs),
            "input_kinds": strings(i["kind"] for _, i in inputs),
            "output_endpoints": strings(e for e, _ in outputs),
            "output_names": strings(o["name"] for _, o in outputs),
            "output_kinds": strings(o["kind"] for _, o in outputs),
            "output_entry_names": strings(json.dumps(o["names"]) for _, o in outputs),  # SCORES' entries
            # Entry names and per-example shapes as a JSON list per row.
            "condition_endpoints": strings(e for e, _ in conditions),
            "condition_names": strings(c["name"] for _, c in conditions),
            "condition_kinds": strings(c["kind"] for _, c in conditions),
            "condition_sizes": tf.constant([c["shape"][-1] for _, c in conditions], tf.int32,
                                           shape=[len(conditions)]),
            "condition_shapes": strings(json.dumps(c["shape"]) for _, c in conditions),
            "condition_entry_names": strings(json.dumps(c["names"]) for _, c in conditions),
            "metadata_json": tf.constant(json.dumps(description["metadata"], sort_keys=True)),
            "export_json": tf.constant(json.dumps(description, sort_keys=True)),
        }

    return tf.function(serve, input_signature=[], autograph=False)


def tflite_function(endpoint, image_size):
    """Concrete function with fixed batch-1 shapes and no checks, for the TFLite converter."""
    names, specs = _input_specs(endpoint, exact_size=[int(v) for v in image_size])

    def serve(*values):
        return outputs_of(endpoint, endpoint.translate(**dict(zip(names, values))), image_size)

    return tf.function(serve, input_signature=specs, autograph=False).get_concrete_function()


def serving_signatures(bundle, max_image_pixels):
    """{signature name: concrete function} for ``tf.saved_model.save``."""
    functions = {}
    for endpoint in bundle.endpoints:
        functions[(endpoint.name, "float")] = float_function(endpoint, bundle.image_size).get_concrete_function()
        functions[(endpoint.name, "bytes")] = bytes_function(
            endpoint, bundle.image_size, max_image_pixels, bundle.load_size).get_concrete_function()
    metadata = metadata_function(bundle, max_image_pixels).get_concrete_function()
    return {
        name: metadata if kind == "metadata" else functions[(endpoint.name, kind)]
        for name, (endpoint, kind) in contract.signature_names(bundle).items()
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
