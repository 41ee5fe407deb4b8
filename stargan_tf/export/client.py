"""TF Serving REST requests for exported models, and an emulation of TF Serving's JSON
conversion for testing the contract without a server.

Build a request body from image files and print it::

    python -m stargan_tf.export.client --signature=translate_bytes --bytes \\
        --images=a.jpg,b.png --target=1,0,1 > body.json
    curl -d @body.json http://localhost:8501/v1/models/stargan:predict

``--images`` feeds the endpoint's first image input (float ``image``, or ``images_bytes``
with ``--bytes``); another image input ``NAME`` is given as ``--image NAME=a.jpg,b.png``
(sent as float ``NAME``, or ``NAME_bytes`` with ``--bytes``; one file per ``--images``
file). Float signatures need the model's image size (``--size=128,128``, or
``--metadata`` = the version's ``assets.extra/metadata.json``, which also gives the size a
model such as DRIT resizes to before its centre crop); images are preprocessed exactly as
test mode and the ``*_bytes`` signatures do (``preprocess.py``). With ``--bytes``
a file is sent as it is, unless the serving graph would read it differently (EXIF
orientation, WebP, BMP, GIF transparency): then as a lossless PNG of the upright first frame.
Every file is read locally first, so a missing, unreadable or too large file (``--max_pixels``,
default the export's ``max_image_pixels`` from ``--metadata``, else 4096 * 4096) is reported
by name before anything is printed. A vector input is given as
``--condition NAME=v1,v2,...`` (repeatable) or ``--target=v1,v2,...`` (shortcut for the
input named ``target``); one vector applies to every image, or give one per image separated
by ``;``.

REST conventions (tensorflow_serving/g3doc/api_rest.md), implemented by ``emulate_predict``:
row format ``{"instances": [{input: value, ...}, ...]}`` (or bare values when the signature
has one input) -> ``{"predictions": [...]}`` (one ``{output: value}`` object per example when
there are several outputs); columnar ``{"inputs": {input: batch}}`` -> ``{"outputs": ...}``
(``{output: batch}`` when there are several); a single output is returned without its name;
``{"b64": ...}`` decodes to bytes for string inputs and string outputs whose name ends in
``_bytes`` come back as ``{"b64": ...}``; errors come back as ``{"error": "..."}``.
``decode_response`` reads images and masks back from a response, ``decode_scores`` the scores of
an estimator endpoint (StarGAN's ``attributes``).

No TensorFlow import here: the client runs anywhere numpy and Pillow do.
"""

import argparse
import base64
import json
import sys

import numpy as np

from stargan_tf.export import contract
from stargan_tf.export import images as images_lib
from stargan_tf.export import preprocess

DEFAULT_OUTPUTS = ("translated_bytes", "translated")
DEFAULT_SCORES = "scores"  # StarGAN's ``attributes`` endpoint


# ---- building requests ---------------------------------------------------------------------
def _b64(data):
    return {"b64": base64.b64encode(data).decode("ascii")}


def build_request(signature_name, inputs, fmt="instances"):
    """REST body from {input name: per-example values (array [N, ...] or list of bytes)}.

    bytes values become ``{"b64": ...}``; arrays become nested lists.
    """
    def jsonable(value):
        if isinstance(value, (bytes, bytearray)):
            return _b64(bytes(value))
        return np.asarray(value).tolist()

    columns = {k: [jsonable(v) for v in values] for k, values in inputs.items()}
    body = {"signature_name": signature_name}
    if fmt == "instances":
        count = {len(v) for v in columns.values()}
        if len(count) > 1:
            raise ValueError(f"inputs have different batch sizes: { {k: len(v) for k, v in columns.items()} }")
        n = count.pop() if count else 0
        body["instances"] = [{k: v[i] for k, v in columns.items()} for i in range(n)]
    elif fmt == "inputs":
        body["inputs"] = columns
    else:
        raise ValueError(f"format must be 'instances' or 'inputs', got {fmt!r}")
    return body


def request_from_files(paths, signature_name, conditions=None, fmt="instances", as_bytes=False,
                       image_size=None, images=None, max_pixels=contract.DEFAULT_MAX_IMAGE_PIXELS, load_size=None):
    """REST body for image files.

    Args:
        paths: image file paths for the first image input.
        conditions: {name: one 1-D vector for all images, or an array [N, *shape] with one
            entry per image}.
        as_bytes: send the files (``images_bytes``, ``<name>_bytes``; for ``*_bytes``
            signatures; ``preprocess.serving_bytes``); else preprocessed float arrays (needs
            image_size).
        images: {other image input: file paths, one per ``paths`` entry}.
        max_pixels: files with more pixels are refused (``preprocess.ImageFileError``).
        load_size: the export's ``load_size`` (float signatures; None: ``image_size``).
    """
    files = {contract.IMAGE_INPUT: list(paths), **(images or {})}
    for name, named_paths in files.items():
        if len(named_paths) != len(paths):
            raise ValueError(f"image input {name!r}: {len(named_paths)} files for {len(paths)} images")
    if not as_bytes and image_size is None:
        raise ValueError("float signatures need the model image size (--size or --metadata)")
    inputs = {}
    for name, named_paths in files.items():
        if as_bytes:
            key = contract.FIRST_IMAGE_BYTES if name == contract.IMAGE_INPUT else contract.bytes_name(name)
            inputs[key] = [preprocess.serving_bytes(p, max_pixels) for p in named_paths]
        else:
            inputs[name] = [preprocess.load_image(p, image_size, max_pixels, load_size) for p in named_paths]
    for name, values in (conditions or {}).items():
        values = np.asarray(values, np.float32)
        if values.ndim == 1:
            values = np.tile(values[None], (len(paths), 1))
        if len(values) != len(paths):
            raise ValueError(f"condition {name!r}: {len(values)} vectors for {len(paths)} images")
        inputs[name] = list(values)
    return build_request(signature_name, inputs, fmt)


# ---- decoding responses --------------------------------------------------------------------
def _examples(response, output_name, defaults):
    """One output's value per example from a REST response (row or columnar, one output
    without its name or several, ``output_name`` or the first of ``defaults`` present)."""
    if "error" in response:
        raise RuntimeError(f"TF Serving error: {response['error']}")

    def pick(value):
        if not (isinstance(value, dict) and "b64" not in value):
            return value  # a single output comes without its name
        name = output_name or next((n for n in defaults if n in value), None)
        if name not in value:
            raise ValueError(f"response has outputs {sorted(value)}; pick one with output_name")
        return value[name]

    if "predictions" in response:
        return [pick(p) for p in response["predictions"]]
    if "outputs" in response:
        return pick(response["outputs"])
    raise ValueError("response has neither 'predictions' nor 'outputs'")


def decode_response(response, output_name=None):
    """REST response -> list of uint8 images of one output, one per example.

    Handles ``predictions`` (row) and ``outputs`` (columnar), one or several outputs (then
    ``output_name`` picks one; default ``translated_bytes`` or ``translated``), PNG bytes as
    ``{"b64": ...}`` or float arrays. IMAGE outputs come back as [H, W, 3]; MASK outputs as
    [H, W, 1] (round(mask * 255), as the grayscale PNG of the ``*_bytes`` signature holds it).
    """
    result = []
    for example in _examples(response, output_name, DEFAULT_OUTPUTS):
        if isinstance(example, dict):
            result.append(images_lib.decode_output(base64.b64decode(example["b64"])))
        else:
            result.append(images_lib.output_pixels(example))
    return result


def decode_scores(response, names=None, output_name=DEFAULT_SCORES):
    """REST response -> one SCORES output (same name in the float and ``*_bytes`` signatures):
    float32 [N, n], or with ``names`` (the output's entry names in the metadata) a
    ``{name: score}`` dict per example."""
    scores = np.asarray(_examples(response, output_name, ()), np.float32)
    if scores.ndim != 2 or (names is not None and scores.shape[1] != len(names)):
        raise ValueError(f"output {output_name!r} is not scores [batch, {len(names) if names else 'n'}]: "
                         f"shape {list(scores.shape)}")
    return scores if names is None else [dict(zip(names, map(float, row))) for row in scores]


# ---- TF Serving emulation ------------------------------------------------------------------
def _from_json(value, dtype_name):
    """JSON value (nested lists, ``{"b64": ...}``) -> numpy array of the input's dtype."""
    if dtype_name == "string":
        def convert(v):
            if isinstance(v, dict):
                return base64.b64decode(v["b64"])
            if isinstance(v, list):
                return [convert(x) for x in v]
            return v.encode("utf-8") if isinstance(v, str) else v
        return np.array(convert(value), dtype=object)
    return np.asarray(value, dtype=dtype_name)


def _to_json(name, value):
    value = np.asarray(value)
    if value.dtype == object or value.dtype.kind == "S":
        def convert(v):
            if isinstance(v, np.ndarray):
                return [convert(x) for x in v]
            if name.endswith("_bytes"):
                return _b64(v)
            return v.decode("utf-8")
        return convert(value) if value.ndim else convert(value[()])
    return value.tolist()


def _input_specs(signature):
    args, kwargs = signature.structured_input_signature
    return {s.name: s.dtype.name for s in list(args) + list(kwargs.values())}


def emulate_predict(signature, body):
    """Answer a REST ``:predict`` body the way TF Serving would, with a loaded signature
    (``tf.saved_model.load(path).signatures[name]``). Returns the response dict; a failed
    call returns ``{"error": message}`` (TF Serving answers HTTP 400 with that body).

    Emulation, not TF Serving: it follows the documented JSON mapping; HTTP, batching and
    the server's own parsing limits are not reproduced.
    """
    specs = _input_specs(signature)
    try:
        if "instances" in body and "inputs" in body:
            raise ValueError("body has both 'instances' and 'inputs'")
        if "instances" in body:
            rows = body["instances"]
            if not isinstance(rows, list):
                raise ValueError("'instances' must be a list")
            if len(specs) == 1 and not (rows and isinstance(rows[0], dict) and set(rows[0]) == set(specs)):
                name = next(iter(specs))
                rows = [{name: r} for r in rows]
            for row in rows:
                if not isinstance(row, dict) or set(row) != set(specs):
                    raise ValueError(f"each instance must be an object with keys {sorted(specs)}")
            feeds = {k: _from_json([r[k] for r in rows], d) for k, d in specs.items()}
        elif "inputs" in body:
            columns = body["inputs"]
            if len(specs) == 1 and not (isinstance(columns, dict) and set(columns) == set(specs)):
                columns = {next(iter(specs)): columns}
            if set(columns) != set(specs):
                raise ValueError(f"'inputs' must have keys {sorted(specs)}, got {sorted(columns)}")
            feeds = {k: _from_json(columns[k], d) for k, d in specs.items()}
        else:
            raise ValueError("body needs 'instances' or 'inputs'")
        outputs = {k: np.asarray(v) for k, v in signature(**feeds).items()}
    except Exception as error:  # InvalidArgumentError, ValueError, TypeError
        return {"error": getattr(error, "message", None) or str(error)}

    if "instances" in body:
        sizes = {v.shape[0] if v.ndim else None for v in outputs.values()}
        if len(sizes) != 1 or None in sizes:
            return {"error": "row format needs every output to have the same 0th dimension; "
                             "use the columnar 'inputs' format"}
        n = sizes.pop()
        rows = [{k: _to_json(k, v[i]) for k, v in outputs.items()} for i in range(n)]
        if len(outputs) == 1:
            rows = [next(iter(r.values())) for r in rows]
        return {"predictions": rows}
    columns = {k: _to_json(k, v) for k, v in outputs.items()}
    return {"outputs": next(iter(columns.values())) if len(columns) == 1 else columns}


# ---- command line --------------------------------------------------------------------------
def parse_conditions(pairs, target=None):
    """``["target=1,0,1"]`` (``;`` between per-image vectors) -> {name: array}."""
    conditions = {}
    for pair in list(pairs or []) + ([f"target={target}"] if target is not None else []):
        name, sep, text = pair.partition("=")
        if not sep:
            raise ValueError(f"condition must look like NAME=1,0,1, got {pair!r}")
        vectors = [images_lib.parse_vector(t) for t in text.split(";")]
        conditions[name] = vectors[0] if len(vectors) == 1 else np.stack(vectors)
    return conditions


def parse_named_files(pairs):
    """``["reference=a.jpg,b.png"]`` -> {"reference": ["a.jpg", "b.png"]}."""
    files = {}
    for pair in pairs or []:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ValueError(f"image input must look like NAME=a.jpg,b.png, got {pair!r}")
        files[name] = [p for p in text.split(",") if p]
    return files


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m stargan_tf.export.client",
        description="Print a TF Serving REST :predict body for image files.")
    parser.add_argument("--images", required=True, help="comma-separated image files (the first image input)")
    parser.add_argument("--image", action="append", default=[],
                        help="NAME=file1,file2 for another image input (repeatable; one file per --images file)")
    parser.add_argument("--signature", default="serving_default", help="signature_name")
    parser.add_argument("--format", choices=("instances", "inputs"), default="instances",
                        help="row (instances) or columnar (inputs) request format")
    parser.add_argument("--bytes", action="store_true",
                        help="send the encoded files as images_bytes / NAME_bytes (for *_bytes signatures)")
    parser.add_argument("--target", help="shortcut for --condition target=...")
    parser.add_argument("--condition", action="append", default=[],
                        help="NAME=v1,v2,... (repeatable; ';' separates per-image vectors)")
    parser.add_argument("--size", help="H,W (or S for S,S) of the model, for float signatures")
    parser.add_argument("--metadata",
                        help="assets.extra/metadata.json of the export (gives --size and --max_pixels)")
    parser.add_argument("--max_pixels", type=int, default=None,
                        help="refuse larger images (default: the export's, or 4096*4096 without --metadata)")
    parser.add_argument("--indent", type=int, default=None)
    return parser


def parse_size(text):
    """``"128,128"`` or ``"128"`` -> (height, width)."""
    try:
        size = tuple(int(v) for v in text.split(","))
    except ValueError:
        size = ()
    if len(size) not in (1, 2) or min(size) < 1:
        raise ValueError(f"--size must be H,W or S (positive integers, e.g. --size=128,128), got {text!r}")
    return size * 2 if len(size) == 1 else size


def _read_metadata(path):
    """(image size, max_image_pixels, load size) from an export's metadata.json."""
    try:
        with open(path) as f:
            document = json.load(f)
        size = tuple(document["image_size"])
        # Both absent in exports made before they were recorded.
        return size, document.get("max_image_pixels"), tuple(document.get("load_size", size))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"--metadata={path}: not an export's assets.extra/metadata.json "
                         f"({type(error).__name__}: {error})") from error


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        size, max_pixels, load_size = _read_metadata(args.metadata) if args.metadata else (None, None, None)
        if args.size:
            size, load_size = parse_size(args.size), None
        max_pixels = args.max_pixels or max_pixels or contract.DEFAULT_MAX_IMAGE_PIXELS
        body = request_from_files(
            [p for p in args.images.split(",") if p], args.signature,
            parse_conditions(args.condition, args.target), args.format, args.bytes, size,
            images=parse_named_files(args.image), max_pixels=max_pixels, load_size=load_size)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    json.dump(body, sys.stdout, indent=args.indent)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
