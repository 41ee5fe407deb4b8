"""Run an exported .tflite on image files and write every output as a PNG (scores as JSON).

    python -m stargan_tf.export.predict_tflite --tflite=export/stargan/1/tflite/translate_float16.tflite \\
        --images=a.jpg,b.png --target=1,0,1 --output_dir=out
    python -m stargan_tf.export.predict_tflite --tflite=export/drit/1/tflite/translate_float32.tflite \\
        --images=a.jpg --image reference=style.jpg --output_dir=out
    python -m stargan_tf.export.predict_tflite --tflite=export/drit/1/tflite/sample_float32.tflite \\
        --images=a.jpg --random_inputs=attribute --seed=3 --output_dir=out
    python -m stargan_tf.export.predict_tflite --tflite=export/stargan/1/tflite/attributes_float32.tflite \\
        --images=a.jpg --output_dir=out

The file's signature says what is needed, but not the inputs' kinds (a .tflite carries
names and shapes only): inputs shaped [1, H, W, 3] are images, all others vectors of their
per-example shape. ``--images`` feeds the image input named ``image`` (else the first by
name), ``--image NAME=files`` the others; ``--condition NAME=...`` / ``--target`` give
vectors; ``--random_inputs=NAME,...`` draws the named vectors from a standard normal (for
NORMAL-kind codes), one draw per image, seeded by ``--seed``. A missing input is an error
listing what the file needs. Outputs shaped [1, H, W, 1] are masks in [0, 1] and are written
as 8-bit grayscale PNGs of round(mask * 255); [1, H, W, 3] outputs are images in [-1, 1];
[1, n] outputs are scores (StarGAN's ``attributes``), written as a JSON object
``{entry name: score}``, the names read from the export's metadata (``<version>/assets.extra/
metadata.json``, where the exporter puts it beside ``tflite/``), or ``"0"``, ``"1"``, ... for a
file that was moved without it. Output files: ``<stem>_<signature>.png`` for ``translated``,
``<stem>_<signature>_<output>.png`` (``.json`` for scores) for the others, ``<stem>`` being the
``--images`` file's stem, or its name where two files share a stem (``preprocess.output_stems``).

Images are preprocessed as test mode and the ``*_bytes`` serving signatures do
(``preprocess.py``: EXIF orientation, alpha on white, centre crop to the model's aspect ratio,
antialiased bilinear resize, and for a model exported with a ``load_size`` (DRIT) the resize to
it and the centre crop, read from the metadata beside ``tflite/``); files above ``--max_pixels`` (default 4096 * 4096, the exporter's
default ``max_image_pixels``) are refused. Uses ``ai_edge_litert`` only; no TensorFlow needed.
"""

import argparse
import json
import os
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from stargan_tf.export import contract
from stargan_tf.export import images as images_lib
from stargan_tf.export import preprocess
from stargan_tf.export.client import parse_conditions, parse_named_files

MAIN_OUTPUT = "translated"


class TFLiteSignature:
    """One signature of a .tflite file, called on one example at a time.

    Attributes:
        signature: its key.
        inputs: {name: per-example shape (tuple)}.
        image_inputs: names of the inputs shaped [1, H, W, 3], ``image`` first if present.
        image_size: (H, W) of the first image input.
        outputs: output names.
    """

    def __init__(self, path, signature=None, num_threads=None):
        self.interpreter = Interpreter(model_path=path, num_threads=num_threads)
        signatures = self.interpreter.get_signature_list()
        if signature is None:
            if len(signatures) != 1:
                raise ValueError(f"{path} has signatures {sorted(signatures)}; pick one with --signature")
            signature = next(iter(signatures))
        if signature not in signatures:
            raise ValueError(f"{path} has no signature {signature!r}; it has {sorted(signatures)}")
        self.signature = signature
        self.runner = self.interpreter.get_signature_runner(signature)
        details = self.runner.get_input_details()
        self.inputs = {k: tuple(int(d) for d in v["shape"][1:]) for k, v in details.items()}
        images = [k for k, shape in self.inputs.items() if len(shape) == 3 and shape[-1] == 3]
        if not images:
            raise ValueError(f"signature {signature!r} has no image input ([1, H, W, 3]): {self.inputs}")
        self.image_inputs = sorted(images, key=lambda k: (k != contract.IMAGE_INPUT, k))
        self.image_size = self.inputs[self.image_inputs[0]][:2]
        self.outputs = sorted(self.runner.get_output_details())

    def __call__(self, feeds):
        """{input name: one example, without or with a batch axis of 1} -> {output name: one
        example}. Shapes are checked here: the interpreter would resize its input to whatever
        it is given and fail with "XNNPack delegate failed to reshape", naming nothing."""
        missing = sorted(set(self.inputs) - set(feeds))
        if missing:
            raise ValueError(f"missing inputs {missing}; signature {self.signature!r} needs "
                             + ", ".join(f"{k} {list(s)}" for k, s in self.inputs.items()))
        batch = {}
        for name, shape in self.inputs.items():
            values = np.asarray(feeds[name], np.float32)
            if values.shape not in (shape, (1,) + shape):
                raise ValueError(f"input {name!r} of signature {self.signature!r} needs shape {list(shape)} "
                                 f"per example ([1, {', '.join(map(str, shape))}] with the batch axis), "
                                 f"got {list(values.shape)}")
            batch[name] = values.reshape((1,) + shape)
        return {k: v[0] for k, v in self.runner(**batch).items()}


def _file_name(stem, signature, output, extension=".png"):
    suffix = "" if output == MAIN_OUTPUT else f"_{output}"
    return f"{stem}_{signature}{suffix}{extension}"


def version_folder(tflite):
    """The SavedModel version folder of a .tflite where the exporter puts it (``<version>/tflite/``)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(tflite)))


def export_metadata(tflite):
    """The export's metadata document of a .tflite in ``<version>/tflite/``, or None when the
    file is not where the exporter put it."""
    path = os.path.join(version_folder(tflite), contract.METADATA_ASSET)
    if not os.path.isfile(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def score_names(metadata, signature, output, count):
    """The entry names of a scores output, from the export's metadata where it names them."""
    endpoints = {e["name"]: e for e in (metadata or {}).get("endpoints", [])}
    outputs = {o["name"]: o for o in endpoints.get(signature, {}).get("outputs", [])}
    names = outputs.get(output, {}).get("names") or []
    return list(names) if len(names) == count else [str(i) for i in range(count)]


def _vector(model, name, values):
    """A command-line vector (flat) -> the input's per-example shape."""
    shape = model.inputs[name]
    if np.size(values) != int(np.prod(shape)):
        raise ValueError(f"input {name!r} needs per-example shape {list(shape)} ({int(np.prod(shape))} values), "
                         f"got {np.size(values)}")
    return np.reshape(values, shape)


def metadata_load_size(metadata, image_size):
    """The size the export resizes images to before its centre crop (``preprocess.py``), from
    its metadata; None (resize straight to ``image_size``) for a file moved without it."""
    if metadata is None or tuple(metadata.get("image_size", ())) != tuple(image_size):
        return None
    return tuple(metadata.get("load_size", image_size))


def _feeds(model, paths, images, conditions, random_inputs, seed, max_pixels, load_size):
    """Per image file, {input name: one example}; raises ValueError naming what is missing.
    ``load_size``: the export's (or None)."""
    image_files = {model.image_inputs[0]: list(paths), **images}
    vectors = [k for k in model.inputs if k not in model.image_inputs]
    unknown = sorted((set(image_files) - set(model.image_inputs))
                     | ((set(conditions) | set(random_inputs)) - set(vectors)))
    if unknown:
        raise ValueError(f"{unknown} are not inputs of {model.signature!r}: images {model.image_inputs} "
                         f"(--images feeds {model.image_inputs[0]!r}), vectors {vectors}")
    both = sorted(set(conditions) & set(random_inputs))
    if both:
        raise ValueError(f"{both} given as values and as --random_inputs; choose one")
    missing = [k for k in model.image_inputs if k not in image_files] + [
        k for k in vectors if k not in conditions and k not in random_inputs]
    if missing:
        needs = [f"--image {k}=<files>" for k in model.image_inputs if k in missing] + [
            f"--condition {k}=<{int(np.prod(model.inputs[k]))} values> (or --random_inputs={k})"
            for k in vectors if k in missing]
        raise ValueError(f"missing inputs {missing}; this signature needs " + ", ".join(needs))
    for name, files in image_files.items():
        if len(files) != len(paths):
            raise ValueError(f"input {name!r}: {len(files)} files for {len(paths)} --images")
    for name, values in conditions.items():
        if np.ndim(values) == 2 and len(values) != len(paths):
            raise ValueError(f"input {name!r}: {len(values)} vectors for {len(paths)} --images")
    rng = np.random.default_rng(seed)
    examples = []
    for i in range(len(paths)):
        feeds = {k: preprocess.load_image(files[i], model.image_size, max_pixels, load_size)
                 for k, files in image_files.items()}
        for name, values in conditions.items():
            feeds[name] = _vector(model, name, values[i] if np.ndim(values) == 2 else values)  # ';': one per image
        feeds.update({k: rng.standard_normal(model.inputs[k]) for k in random_inputs})
        examples.append(feeds)
    return examples


def translate_files(tflite, paths, conditions, output_dir, signature=None, num_threads=None,
                    images=None, random_inputs=(), seed=0, max_pixels=contract.DEFAULT_MAX_IMAGE_PIXELS):
    """Run the signature on each image file; returns the written paths (PNGs; JSON for scores).

    Args:
        paths: files for the first image input (``image``).
        conditions: {vector input: values (one vector for all images, or one row per image)}.
        images: {other image input: files, one per path}.
        random_inputs: vector inputs drawn from a standard normal seeded by ``seed``.
        max_pixels: image files with more pixels are refused (``preprocess.ImageFileError``).
    """
    model = TFLiteSignature(tflite, signature, num_threads)
    metadata = export_metadata(tflite)
    examples = _feeds(model, paths, dict(images or {}), conditions, list(random_inputs), seed, max_pixels,
                      metadata_load_size(metadata, model.image_size))
    os.makedirs(output_dir, exist_ok=True)
    written = []
    for stem, feeds in zip(preprocess.output_stems(paths), examples):
        results = model(feeds)
        for name in model.outputs:
            values = results[name]
            if values.ndim == 1:  # scores [n]; images and masks are [H, W, C]
                out = os.path.join(output_dir, _file_name(stem, model.signature, name, ".json"))
                names = score_names(metadata, model.signature, name, len(values))
                with open(out, "w") as f:
                    json.dump(dict(zip(names, map(float, values))), f, indent=2)
            else:
                out = os.path.join(output_dir, _file_name(stem, model.signature, name))
                with open(out, "wb") as f:
                    f.write(images_lib.encode_png(images_lib.output_pixels(values)))
            written.append(out)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m stargan_tf.export.predict_tflite",
                                     description="Run an exported .tflite on image files.")
    parser.add_argument("--tflite", required=True, help="the .tflite file")
    parser.add_argument("--images", required=True, help="comma-separated image files (the `image` input)")
    parser.add_argument("--image", action="append", default=[],
                        help="NAME=file1,file2 for another image input (repeatable; one file per --images file)")
    parser.add_argument("--output_dir", required=True, help="where the PNGs go")
    parser.add_argument("--target", help="shortcut for --condition target=...")
    parser.add_argument("--condition", action="append", default=[],
                        help="NAME=v1,v2,... (repeatable; ';' separates per-image vectors)")
    parser.add_argument("--random_inputs", default="",
                        help="comma-separated vector inputs to draw from a standard normal (NORMAL codes)")
    parser.add_argument("--seed", type=int, default=0, help="seed of --random_inputs")
    parser.add_argument("--signature", help="signature key if the file has several")
    parser.add_argument("--num_threads", type=int, default=None)
    parser.add_argument("--max_pixels", type=int, default=contract.DEFAULT_MAX_IMAGE_PIXELS,
                        help="refuse images with more pixels (default 4096*4096, as exports)")
    args = parser.parse_args(argv)
    try:
        written = translate_files(
            args.tflite, [p for p in args.images.split(",") if p], parse_conditions(args.condition, args.target),
            args.output_dir, args.signature, args.num_threads, images=parse_named_files(args.image),
            random_inputs=[n for n in args.random_inputs.split(",") if n], seed=args.seed,
            max_pixels=args.max_pixels)
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
