"""TFLite (LiteRT) files for phones: one per endpoint and precision, builtin ops only.

Each file has one signature named after the endpoint, with the float signature's input
names (float32 [1, H, W, 3] per image input, [1, *shape] per vector input) and every
declared output; inputs and outputs stay float32 for every precision (only weights/compute
change):

* ``float32``: plain conversion.
* ``float16``: weights stored as float16 (``optimizations=[DEFAULT]``,
  ``supported_types=[float16]``); half the size, GPU delegates run it in fp16.
* ``dynamic_int8``: dynamic-range quantization (``optimizations=[DEFAULT]``): int8 weights,
  activations quantized on the fly; a quarter of the size.

``supported_ops=[TFLITE_BUILTINS]`` only, so conversion fails if an op would need the Flex
(select TF ops) runtime, which phone apps do not ship. The written file is checked again by
reading the operators of every subgraph from the flatbuffer itself: control flow (WHILE, IF)
keeps its bodies in separate subgraphs, and ``Interpreter._get_ops_details()`` lists only
the primary one, so an op inside a loop body would be invisible to it.
"""

import os
import tempfile

import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter
from tensorflow.lite.python import schema_py_generated as schema

from stargan_tf.export import signatures as signatures_lib
from stargan_tf.export.errors import ExportError

PRECISIONS = ("float32", "float16", "dynamic_int8")
# Builtins that would mean the weights were not frozen into constants (see
# signatures.model_variables): the file would compute with uninitialised variables.
_VARIABLE_OPS = {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"}
_BUILTIN_NAMES = {code: name for name, code in vars(schema.BuiltinOperator).items()
                  if not name.startswith("_") and name != "CUSTOM"}
CUSTOM_PREFIX = "custom:"


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


def _op_name(operator_code):
    # Builtin codes above 127 live in BuiltinCode, older ones in DeprecatedBuiltinCode too;
    # the larger of the two is the real one (as tflite's schema_util reads it).
    code = max(operator_code.BuiltinCode(), operator_code.DeprecatedBuiltinCode())
    if code == schema.BuiltinOperator.CUSTOM:
        return CUSTOM_PREFIX + (operator_code.CustomCode() or b"?").decode("utf-8", "replace")
    return _BUILTIN_NAMES.get(code, f"{CUSTOM_PREFIX}unknown builtin code {code}")


def subgraph_ops(flatbuffer):
    """{subgraph name: sorted distinct op names} of every subgraph of a .tflite model.

    Builtins by their schema name (``CONV_2D``, ``WHILE``); custom ops (Flex ops included)
    as ``custom:<custom code>``.
    """
    model = schema.Model.GetRootAs(flatbuffer, 0)
    names = [_op_name(model.OperatorCodes(i)) for i in range(model.OperatorCodesLength())]
    result = {}
    for index in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(index)
        label = (subgraph.Name() or b"").decode("utf-8", "replace") or f"subgraph_{index}"
        result[label] = sorted({names[subgraph.Operators(i).OpcodeIndex()]
                                for i in range(subgraph.OperatorsLength())})
    return result


def non_builtin_ops(names):
    """The op names a plain LiteRT runtime could not run from frozen weights: custom/Flex
    ops, names the schema does not know, and variable ops."""
    known = set(_BUILTIN_NAMES.values()) - _VARIABLE_OPS
    return [n for n in names if n not in known]


def convert_endpoint(bundle, endpoint, out_dir, precisions=PRECISIONS):
    """Write ``<out_dir>/<endpoint>_<precision>.tflite`` for each precision.

    Returns {precision: {"path", "size_bytes", "ops", "ops_by_subgraph", "signature"}}.
    Raises ExportError if the converter rejects an op, the file contains a non-builtin op
    in any subgraph, or its signature does not have the declared input/output names.
    """
    results = {}
    if not precisions:
        return results
    function = signatures_lib.tflite_function(endpoint, bundle.image_size)
    expected = {"inputs": sorted(i.name for i in endpoint.inputs),
                "outputs": sorted(o.name for o in endpoint.outputs)}
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
                    f"builtin ops only (no Flex/select TF ops allowed): {error}; if the endpoint "
                    "cannot be converted, declare it with tflite='<reason>'") from error
            path = os.path.join(out_dir, file_name(endpoint.name, precision))
            with open(path, "wb") as f:
                f.write(flatbuffer)
            by_subgraph = subgraph_ops(flatbuffer)
            names = sorted({n for ops in by_subgraph.values() for n in ops})
            bad = non_builtin_ops(names)
            if bad:
                raise ExportError(f"{path} contains non-builtin or variable ops {bad} (ops by subgraph: {by_subgraph})")
            signature = Interpreter(model_content=flatbuffer).get_signature_list().get(endpoint.name)
            if signature is None or {k: sorted(v) for k, v in signature.items()} != expected:
                raise ExportError(f"{path}: signature {endpoint.name!r} is {signature}, expected {expected}")
            results[precision] = {"path": path, "size_bytes": len(flatbuffer), "ops": names,
                                  "ops_by_subgraph": by_subgraph, "signature": expected}
    return results
