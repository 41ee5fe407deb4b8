"""The .tflite files: builtin ops only, named signature, agree with the SavedModel, and the
predict_tflite CLI."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from export_fixtures import HEIGHT, WIDTH
from stargan_tf.export import images as images_lib, predict_tflite, preprocess, tflite

PRECISIONS = ("float32", "float16", "dynamic_int8")


def tflite_path(report, endpoint, precision):
    return os.path.join(report["path"], "tflite", f"{endpoint}_{precision}.tflite")


def test_files_signature_and_builtin_ops(stargan_export, two_way_export):
    for (_, _, report), endpoints, inputs in (
            (stargan_export, ["translate"], {"image": [1, HEIGHT, WIDTH, 3], "target": [1, 3]}),
            (two_way_export, ["a2b", "b2a"], {"image": [1, HEIGHT, WIDTH, 3]})):
        for endpoint in endpoints:
            for precision in PRECISIONS:
                interpreter = Interpreter(model_path=tflite_path(report, endpoint, precision))
                assert interpreter.get_signature_list() == {
                    endpoint: {"inputs": sorted(inputs), "outputs": ["translated"]}}
                details = interpreter.get_signature_runner(endpoint).get_input_details()
                assert {k: list(v["shape"]) for k, v in details.items()} == inputs
                names = {op["op_name"] for op in interpreter._get_ops_details()}
                assert "CONV_2D" in names and "TANH" in names
                assert not tflite.non_builtin_ops(sorted(names)), names  # no Flex/custom/variables


def test_tflite_agrees_with_saved_model(stargan_export):
    bundle, _, report = stargan_export
    loaded = tf.saved_model.load(report["path"])
    rng = np.random.default_rng(3)
    image = rng.uniform(-1, 1, (1, HEIGHT, WIDTH, 3)).astype(np.float32)
    target = np.array([[0, 1, 1]], np.float32)
    expected = loaded.signatures["translate"](image=image, target=target)["translated"].numpy()
    bounds = {"float32": 1e-4, "float16": 0.05, "dynamic_int8": 0.25}
    for precision, bound in bounds.items():
        runner = Interpreter(model_path=tflite_path(report, "translate", precision)).get_signature_runner()
        got = runner(image=image, target=target)["translated"]
        assert np.max(np.abs(got - expected)) <= bound, precision


def test_predict_tflite_cli(stargan_export, image_files, tmp_path):
    bundle, _, report = stargan_export
    files = [image_files["rgb.jpg"], image_files["rgba.png"]]
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(__file__)))}
    done = subprocess.run(
        [sys.executable, "-m", "stargan_tf.export.predict_tflite",
         "--tflite", tflite_path(report, "translate", "float32"), "--images", ",".join(files),
         "--target", "1,0,1", "--output_dir", str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    written = done.stdout.split()
    assert [os.path.basename(p) for p in written] == ["rgb_translate.png", "rgba_translate.png"]
    # Same pixels as Keras on the same preprocessing (which test_preprocess* hold against the
    # bytes signature's); float32 TFLite: at most a rounding flip.
    inputs = np.stack([preprocess.load_image(p, (HEIGHT, WIDTH)) for p in files])
    targets = tf.constant([[1.0, 0.0, 1.0]] * 2)
    expected = images_lib.to_pixels(bundle.endpoints[0].translate(tf.constant(inputs), target=targets))
    for path, want in zip(written, expected):
        got = images_lib.decode_output(open(path, "rb").read())
        assert got.shape == (HEIGHT, WIDTH, 3)
        assert np.max(np.abs(got.astype(int) - want.astype(int))) <= 1


def test_tflite_inputs_are_checked_against_the_signature(stargan_export):
    """A wrong shape is named with the expected one (the interpreter would resize its input to
    it and say only "XNNPack delegate failed to reshape"); also one with the right number of
    values (it used to be reshaped silently)."""
    _, _, report = stargan_export
    model = predict_tflite.TFLiteSignature(tflite_path(report, "translate", "float32"), "translate")
    target = np.zeros(3, np.float32)
    expected = re.escape(f"input 'image' of signature 'translate' needs shape [{HEIGHT}, {WIDTH}, 3] per example "
                         f"([1, {HEIGHT}, {WIDTH}, 3] with the batch axis), got ")
    for shape in ((HEIGHT + 1, WIDTH, 3), (WIDTH, HEIGHT, 3), (2, HEIGHT, WIDTH, 3)):
        with pytest.raises(ValueError, match=expected + re.escape(str(list(shape)))):
            model({"image": np.zeros(shape, np.float32), "target": target})
    with pytest.raises(ValueError, match=re.escape("input 'target' of signature 'translate' needs shape [3]")):
        model({"image": np.zeros((HEIGHT, WIDTH, 3), np.float32), "target": np.zeros((3, 1), np.float32)})
    batched = model({"image": np.zeros((1, HEIGHT, WIDTH, 3), np.float32), "target": target[None]})
    assert batched["translated"].shape == (HEIGHT, WIDTH, 3)


def test_predict_tflite_gives_files_sharing_a_stem_their_own_outputs(stargan_export, image_files, tmp_path):
    _, _, report = stargan_export
    other = tmp_path / "rgb.png"
    other.write_bytes(open(image_files["exact.png"], "rb").read())
    written = predict_tflite.translate_files(tflite_path(report, "translate", "float32"),
                                             [image_files["rgb.jpg"], str(other)], {"target": np.ones(3)},
                                             str(tmp_path / "out"))
    assert [os.path.basename(p) for p in written] == ["rgb.jpg_translate.png", "rgb.png_translate.png"]


def test_predict_tflite_reports_missing_condition(stargan_export, image_files, tmp_path, capsys):
    _, _, report = stargan_export
    code = predict_tflite.main(["--tflite", tflite_path(report, "translate", "float16"),
                                "--images", image_files["rgb.jpg"], "--output_dir", str(tmp_path)])
    assert code == 2 and "target" in capsys.readouterr().err


def _convert_loop(extra=None):
    """A function whose tf.while_loop body convolves (``extra`` applied in the body too),
    converted with builtins only (custom ops allowed, for ``extra``)."""
    kernel = tf.constant(np.random.default_rng(0).normal(size=(3, 3, 3, 3)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 8, 8, 3], tf.float32, name="image")])
    def loop(image):
        def body(i, x):
            x = tf.tanh(tf.nn.conv2d(x, kernel, 1, "SAME"))
            return i + 1, extra(x) if extra else x

        return {"translated": tf.while_loop(lambda i, x: i < 3, body, (tf.constant(0), image))[1]}

    converter = tf.lite.TFLiteConverter.from_concrete_functions([loop.get_concrete_function()], loop)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    converter.allow_custom_ops = extra is not None
    return converter.convert()


def test_op_walker_sees_loop_bodies(tmp_path):
    flatbuffer = _convert_loop()
    by_subgraph = tflite.subgraph_ops(flatbuffer)
    assert by_subgraph["main"] == ["WHILE"]
    assert "CONV_2D" in {op for ops in by_subgraph.values() for op in ops}
    assert not tflite.non_builtin_ops([op for ops in by_subgraph.values() for op in ops])
    # Measured with ai_edge_litert 2.3.0: the interpreter lists the primary subgraph only.
    path = tmp_path / "loop.tflite"
    path.write_bytes(flatbuffer)
    assert {op["op_name"] for op in Interpreter(model_path=str(path))._get_ops_details()} == {"WHILE"}


def test_op_walker_flags_custom_op_in_loop_body():
    by_subgraph = tflite.subgraph_ops(_convert_loop(tf.math.bessel_i0e))  # not a TFLite builtin
    body = next(ops for name, ops in by_subgraph.items() if "CONV_2D" in ops)
    assert "custom:BesselI0e" in body and by_subgraph["main"] == ["WHILE"]
    assert tflite.non_builtin_ops(body) == ["custom:BesselI0e"]


def test_non_builtin_classification():
    names = ["CONV_2D", "WHILE", "custom:FlexConv2D", "custom:MyOp", "READ_VARIABLE", "VAR_HANDLE",
             "NOT_A_SCHEMA_OP", "FlexAddV2"]
    assert tflite.non_builtin_ops(names) == names[2:]
