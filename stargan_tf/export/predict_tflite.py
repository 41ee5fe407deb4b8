"""Run an exported .tflite on image files and write the translations as PNGs.

    python -m stargan_tf.export.predict_tflite --tflite=export/stargan/1/tflite/translate_float16.tflite \\
        --images=a.jpg,b.png --target=1,0,1 --output_dir=out

The file's signature says everything needed: its input names (``image`` and the condition
names), H and W, and each condition's length. Images are decoded and resized as the
``*_bytes`` serving signatures do (``images.py``). Uses ``ai_edge_litert`` only; no
TensorFlow needed.
"""

import argparse
import os
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from stargan_tf.export import images as images_lib
from stargan_tf.export.client import parse_conditions

IMAGE_INPUT = "image"
OUTPUT = "translated"


class TFLiteTranslator:
    """One signature of a .tflite generator, callable on batch-1 float arrays."""

    def __init__(self, path, signature=None, num_threads=None):
        self.interpreter = Interpreter(model_path=path, num_threads=num_threads)
        signatures = self.interpreter.get_signature_list()
        if signature is None:
            if len(signatures) != 1:
                raise ValueError(f"{path} has signatures {sorted(signatures)}; pick one with --signature")
            signature = next(iter(signatures))
        self.signature = signature
        self.runner = self.interpreter.get_signature_runner(signature)
        details = self.runner.get_input_details()
        if IMAGE_INPUT not in details:
            raise ValueError(f"signature {signature!r} has no {IMAGE_INPUT!r} input: {sorted(details)}")
        self.image_size = tuple(int(v) for v in details[IMAGE_INPUT]["shape"][1:3])
        self.conditions = {k: int(d["shape"][-1]) for k, d in details.items() if k != IMAGE_INPUT}

    def __call__(self, image, conditions):
        """image float32 [H, W, 3] in [-1, 1], conditions {name: [size]} -> [H, W, 3]."""
        missing = sorted(set(self.conditions) - set(conditions))
        if missing:
            raise ValueError(f"missing conditions {missing}; this model needs "
                             + ", ".join(f"--condition {k}=<{n} values>" for k, n in self.conditions.items()))
        feeds = {IMAGE_INPUT: np.asarray(image, np.float32)[None]}
        for name, size in self.conditions.items():
            values = np.asarray(conditions[name], np.float32).reshape(-1)
            if values.size != size:
                raise ValueError(f"condition {name!r} needs {size} values, got {values.size}")
            feeds[name] = values[None]
        return self.runner(**feeds)[OUTPUT][0]


def translate_files(tflite, paths, conditions, output_dir, signature=None, num_threads=None):
    """Translate each image file; returns the written PNG paths."""
    model = TFLiteTranslator(tflite, signature, num_threads)
    os.makedirs(output_dir, exist_ok=True)
    written = []
    for i, path in enumerate(paths):
        image = images_lib.load_image(path, model.image_size)
        per_image = {k: (v[i] if np.ndim(v) == 2 else v) for k, v in conditions.items()}
        translated = model(image, per_image)
        stem = os.path.splitext(os.path.basename(path))[0]
        out = os.path.join(output_dir, f"{stem}_{model.signature}.png")
        with open(out, "wb") as f:
            f.write(images_lib.encode_png(images_lib.to_pixels(translated)))
        written.append(out)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m stargan_tf.export.predict_tflite",
                                     description="Translate image files with a .tflite generator.")
    parser.add_argument("--tflite", required=True, help="the .tflite file")
    parser.add_argument("--images", required=True, help="comma-separated image files")
    parser.add_argument("--output_dir", required=True, help="where the PNGs go")
    parser.add_argument("--target", help="shortcut for --condition target=...")
    parser.add_argument("--condition", action="append", default=[],
                        help="NAME=v1,v2,... (repeatable; ';' separates per-image vectors)")
    parser.add_argument("--signature", help="signature key if the file has several")
    parser.add_argument("--num_threads", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        written = translate_files(args.tflite, [p for p in args.images.split(",") if p],
                                  parse_conditions(args.condition, args.target), args.output_dir,
                                  args.signature, args.num_threads)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
