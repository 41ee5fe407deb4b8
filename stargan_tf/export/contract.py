"""What a client sees of a ``ServingBundle``, without TensorFlow: signature and tensor names,
the bundle's validation, and the document behind the ``metadata`` signature.

Per endpoint ``E`` (the first one also as ``serving_default`` / ``translate_bytes``):

* ``E``: one float32 input per ``ServingInput``, named as declared -> one float32 output per
  ``ServingOutput``, named as declared.
* ``E_bytes``: the first IMAGE input becomes ``images_bytes`` (the name every client of the
  one-image systems already sends), every other IMAGE input ``x`` becomes ``x_bytes``;
  vector inputs keep their names. Each image or mask output ``o`` becomes ``o_bytes`` (PNG
  strings); SCORES outputs stay float32 under their own name (``bytes_output_name``).

The REST client (``client.py``) and the TFLite runner use these names too, so they live here,
in a module that imports neither TensorFlow nor anything that does.
"""

import json
import os

from stargan_tf.export import spec as spec_lib

# Where a version folder holds the ``describe`` document; .tflite files are in ``<version>/tflite/``.
METADATA_ASSET = os.path.join("assets.extra", "metadata.json")
DEFAULT_SIGNATURE = "serving_default"
DEFAULT_BYTES_SIGNATURE = "translate_bytes"
METADATA_SIGNATURE = "metadata"
IMAGE_INPUT = "image"  # what the CLIs' --images feeds: the usual name of the first image input
FIRST_IMAGE_BYTES = "images_bytes"
BYTES_SUFFIX = "_bytes"
IMAGE_RANGE = (-1.0, 1.0)
# The most pixels an image sent to a ``*_bytes`` signature may have (``export_bundle``'s
# ``max_image_pixels``), checked from its header before decoding: 4096 x 4096 takes every
# ordinary camera photo (12 MP 4032 x 3024, 16 MP 4608 x 3456) while one element's decode
# stays under ~0.3 GB (RGBA uint8 plus float32 pixels); a 12000 x 12000 PNG of 419 KB
# took 67 s and 0.8 GB. The client and predict_tflite check the same limit locally.
DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096


def bytes_name(name):
    """``<name>_bytes``: the bytes signature of an endpoint, a bytes input or output."""
    return f"{name}{BYTES_SUFFIX}"


def bytes_input_names(endpoint):
    """{input name: its name in the ``*_bytes`` signature}, in declaration order."""
    first = endpoint.image_inputs[0].name if endpoint.image_inputs else None
    names = {}
    for spec in endpoint.inputs:
        if spec.kind != spec_lib.IMAGE:
            names[spec.name] = spec.name
        else:
            names[spec.name] = FIRST_IMAGE_BYTES if spec.name == first else bytes_name(spec.name)
    return names


def bytes_output_name(output):
    """An output's name in the ``*_bytes`` signature: ``<name>_bytes`` for the PNG-encoded
    image kinds; SCORES keep their name, as they stay floats (TF Serving's REST API would
    otherwise expect base64 strings of a tensor named ``*_bytes``)."""
    return output.name if output.kind == spec_lib.SCORES else bytes_name(output.name)


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


# ---- validation ----------------------------------------------------------------------------
def _unique_identifiers(names, what):
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{what} name {name!r} is not an identifier")
    repeated = sorted({n for n in names if list(names).count(n) > 1})
    if repeated:
        raise ValueError(f"{what} names repeat: {repeated}")


def _validate_input(spec, where):
    what = f"{where} input {spec.name!r}"
    if spec.kind not in spec_lib.INPUT_KINDS:
        raise ValueError(f"{what}: kind {spec.kind!r} is not an input kind; choose from {spec_lib.INPUT_KINDS}")
    if spec.kind not in spec_lib.BOUNDED_KINDS and (spec.minimum, spec.maximum) != (0.0, 1.0):
        raise ValueError(f"{what}: minimum/maximum are not checked for {spec.kind} inputs; leave the defaults")
    if spec.kind == spec_lib.IMAGE:
        if tuple(spec.shape) != () or spec.names:
            raise ValueError(f"{what}: image inputs take the bundle's image_size; leave shape and names empty")
        return
    shape = tuple(spec.shape)
    if not shape or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
        raise ValueError(f"{what}: shape must be a tuple of positive ints (per example), got {spec.shape!r}")
    if len(shape) > 1 and spec.kind not in spec_lib.MULTI_AXIS_KINDS:
        raise ValueError(f"{what}: {spec.kind} inputs are 1-D, got shape {shape}")
    if spec.kind in spec_lib.BOUNDED_KINDS and not spec.minimum < spec.maximum:
        raise ValueError(f"{what}: need minimum < maximum, got {spec.minimum}, {spec.maximum}")
    if spec.names and (len(shape) != 1 or len(spec.names) != shape[0]):
        raise ValueError(f"{what}: {len(spec.names)} entry names for shape {shape}")


def _validate_output(output, where):
    what = f"{where} output {output.name!r}"
    if output.kind not in spec_lib.OUTPUT_KINDS:
        raise ValueError(f"{what}: kind {output.kind!r} is not an output kind; choose from {spec_lib.OUTPUT_KINDS}")
    if output.kind != spec_lib.SCORES:
        if output.names:
            raise ValueError(f"{what}: only scores outputs have entry names")
        return
    names = list(output.names)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"{what}: scores need entry names (non-empty strings), one per score, got {output.names!r}")
    # Clients read scores as {entry name: score}, so a repeated name would hide a score.
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{what}: entry names repeat: {repeated}")


def _validate_endpoint(endpoint):
    where = f"endpoint {endpoint.name!r}"
    _unique_identifiers([i.name for i in endpoint.inputs] + [o.name for o in endpoint.outputs],
                        f"{where} input/output")
    for spec in endpoint.inputs:
        _validate_input(spec, where)
    if not endpoint.image_inputs:
        raise ValueError(f"{where} has no IMAGE input (the first one sets the batch size)")
    if not endpoint.outputs:
        raise ValueError(f"{where} has no outputs")
    _unique_identifiers(list(bytes_input_names(endpoint).values()), f"{where} bytes-signature input")
    _unique_identifiers([bytes_output_name(o) for o in endpoint.outputs], f"{where} bytes-signature output")
    for output in endpoint.outputs:
        _validate_output(output, where)
    if not (endpoint.tflite is True or endpoint.tflite is False
            or (isinstance(endpoint.tflite, str) and endpoint.tflite.strip())):
        raise ValueError(f"{where}: tflite must be True, False or a non-empty reason, got {endpoint.tflite!r}")
    stand_in = endpoint.verified_as
    if stand_in is not None:
        _validate_endpoint(stand_in)
        if ([(i.name, i.kind) for i in stand_in.inputs] != [(i.name, i.kind) for i in endpoint.inputs]
                or [(o.name, o.kind) for o in stand_in.outputs] != [(o.name, o.kind) for o in endpoint.outputs]):
            raise ValueError(f"{where} is verified as {stand_in.name!r}, whose inputs or outputs differ")
        if stand_in.verified_as is not None or stand_in.tflite is not True or endpoint.tflite is not True:
            raise ValueError(f"{where} is verified as {stand_in.name!r}: both must convert to TFLite, and the "
                             "stand-in is verified itself")


def validate_bundle(bundle):
    """Raise ValueError if the bundle cannot be exported unambiguously."""
    if not bundle.endpoints:
        raise ValueError("the bundle has no endpoints")
    height, width = bundle.image_size
    if int(height) <= 0 or int(width) <= 0:
        raise ValueError(f"image_size must be positive (height, width), got {bundle.image_size}")
    if bundle.load_size is not None and (len(bundle.load_size) != 2 or any(
            int(load) < int(size) for load, size in zip(bundle.load_size, bundle.image_size))):
        raise ValueError(f"load_size must be (height, width) at least image_size {tuple(bundle.image_size)}, "
                         f"got {bundle.load_size}")
    reserved = {DEFAULT_SIGNATURE, METADATA_SIGNATURE, DEFAULT_BYTES_SIGNATURE}
    seen = set()
    for endpoint in bundle.endpoints:
        for name in (endpoint.name, bytes_name(endpoint.name)):
            if not name.isidentifier():
                raise ValueError(f"endpoint name {endpoint.name!r} is not an identifier")
            if name in seen or (name in reserved and name != DEFAULT_BYTES_SIGNATURE):
                raise ValueError(f"signature name {name!r} of endpoint {endpoint.name!r} is taken")
            seen.add(name)
        _validate_endpoint(endpoint)
    if DEFAULT_BYTES_SIGNATURE in seen and bundle.endpoints[0].name != "translate":
        raise ValueError(f"{DEFAULT_BYTES_SIGNATURE!r} is reserved for the first endpoint")
    json.dumps(dict(bundle.metadata))  # must be JSON-serialisable


# ---- the metadata document -----------------------------------------------------------------
def _describe_input(spec, bytes_input):
    image = spec.kind == spec_lib.IMAGE
    bounded = spec.kind in spec_lib.BOUNDED_KINDS
    return {
        "name": spec.name,
        "kind": spec.kind,
        "shape": [int(d) for d in spec.shape],  # per example; [] for images (see image_size)
        "minimum": IMAGE_RANGE[0] if image else float(spec.minimum) if bounded else None,
        "maximum": IMAGE_RANGE[1] if image else float(spec.maximum) if bounded else None,
        "names": list(spec.names),
        "description": spec.description,
        "bytes_name": bytes_input,
    }


def describe(bundle, max_image_pixels):
    """The JSON document behind the ``metadata`` signature and ``assets.extra/metadata.json``."""
    height, width = (int(v) for v in bundle.image_size)
    names = signature_names(bundle)
    return {
        "model_name": bundle.model_name,
        "image_size": [height, width],
        # What images are resized to before the centre crop to image_size (equal: no crop).
        "load_size": [int(v) for v in bundle.load_size or (height, width)],
        "max_image_pixels": int(max_image_pixels),
        "signatures": sorted(names),
        "endpoints": [
            {
                "name": endpoint.name,
                "signatures": sorted(n for n, (e, _) in names.items() if e is endpoint),
                "description": endpoint.description,
                "inputs": [_describe_input(i, bytes_input_names(endpoint)[i.name]) for i in endpoint.inputs],
                "outputs": [{"name": o.name, "kind": o.kind, "names": list(o.names), "description": o.description,
                             "bytes_name": bytes_output_name(o)} for o in endpoint.outputs],
                "tflite": {"skipped": endpoint.tflite_skipped},
            }
            for endpoint in bundle.endpoints
        ],
        "metadata": dict(bundle.metadata),
    }
