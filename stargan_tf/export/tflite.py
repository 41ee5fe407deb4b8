"""TFLite (LiteRT) files for phones: one per endpoint and precision, builtin ops only.

Each file has one signature named after the endpoint, inputs ``image`` float32
[1, H, W, 3] and one float32 [1, size] per condition, output ``translated``; inputs and
outputs stay float32 for every precision (only weights/compute change):

* ``float32``: plain conversion.
* ``float16``: weights stored as float16 (``optimizations=[DEFAULT]``,
  ``supported_types=[float16]``); half the size, GPU delegates run it in fp16.
* ``dynamic_int8``: dynamic-range quantization (``optimizations=[DEFAULT]``): int8 weights,
  activations quantized on the fly; a quarter of the size.

``supported_ops=[TFLITE_BUILTINS]`` only, so conversion fails if an op would need the Flex
(select TF ops) runtime, which phone apps do not ship; the result is checked again by
reading its op list with ``ai_edge_litert``.
"""

import os
import tempfile

import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from stargan_tf.export import signatures as signatures_lib
from stargan_tf.export.errors import ExportError

PRECISIONS = ("float32", "float16", "dynamic_int8")
# Builtins that would mean the weights were not frozen into constants (see
# signatures.model_variables): the file would compute with uninitialised variables.
_VARIABLE_OPS = {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"}


def file_name(endpoint_name, precision):
    return f"{endpoint_name}_{precision}.tflite"


def _configure(converter, precision):
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if precision == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif precision == "dynamic_int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif precision != "float32":
        raise ExportError(f"unknown TFLite precision {precision!r}; choose from {PRECISIONS}")


def op_names(model_path):
    """Sorted distinct op names of a .tflite file (custom/Flex ops appear by their name)."""
    interpreter = Interpreter(model_path=model_path)
    return sorted({op["op_name"] for op in interpreter._get_ops_details()})


def non_builtin_ops(names):
    return [n for n in names if n.startswith("Flex") or n == "CUSTOM" or not n.isupper()
            or n in _VARIABLE_OPS]


def convert_endpoint(bundle, endpoint, out_dir, precisions=PRECISIONS):
    """Write ``<out_dir>/<endpoint>_<precision>.tflite`` for each precision.

    Returns {precision: {"path", "size_bytes", "ops"}}. Raises ExportError if the
    converter rejects an op or the file contains a non-builtin op.
    """
    results = {}
    if not precisions:
        return results
    function = signatures_lib.tflite_function(endpoint, bundle.image_size)
    with tempfile.TemporaryDirectory(prefix="tflite-src-") as source:
        # The converter freezes variables reliably from a SavedModel holding only the
        # plain tf.Variables and this one signature.
        root = tf.Module()
        root.model_variables = signatures_lib.model_variables(bundle)
        tf.saved_model.save(root, source, signatures={endpoint.name: function})
        os.makedirs(out_dir, exist_ok=True)
        for precision in precisions:
            converter = tf.lite.TFLiteConverter.from_saved_model(source, signature_keys=[endpoint.name])
            _configure(converter, precision)
            try:
                flatbuffer = converter.convert()
            except Exception as error:  # ConverterError and friends; message has the op names
                raise ExportError(
                    f"TFLite conversion of endpoint {endpoint.name!r} ({precision}) failed with "
                    f"builtin ops only (no Flex/select TF ops allowed): {error}") from error
            path = os.path.join(out_dir, file_name(endpoint.name, precision))
            with open(path, "wb") as f:
                f.write(flatbuffer)
            names = op_names(path)
            bad = non_builtin_ops(names)
            if bad:
                raise ExportError(f"{path} contains non-builtin or variable ops {bad}")
            results[precision] = {"path": path, "size_bytes": len(flatbuffer), "ops": names}
    return results
