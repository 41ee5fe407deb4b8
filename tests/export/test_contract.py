"""The declarations (spec.py) and what a client sees of them (contract.py): names of the
bytes signature, validation messages, the metadata document. No TensorFlow needed."""

import pytest

from stargan_tf.export import (BINARY, CONTINUOUS, IMAGE, MASK, NORMAL, ONE_HOT, SCORES, Condition, ServingBundle,
                               ServingEndpoint, ServingInput, ServingOutput, contract)


def translate(**inputs):
    return inputs["image"]


def bundle_of(*endpoints):
    return ServingBundle("m", (8, 8), endpoints, {})


def endpoint(inputs=(ServingInput("image"),), outputs=(ServingOutput("translated"),), name="translate", **kwargs):
    return ServingEndpoint(name, translate, inputs, outputs, **kwargs)


def test_condition_is_a_vector_input():
    target = Condition("target", 3, ONE_HOT, names=["a", "b", "c"])
    assert target == ServingInput("target", ONE_HOT, (3,), 0.0, 1.0, ("a", "b", "c"))
    assert target.size == 3


def test_bytes_names():
    e = endpoint((ServingInput("reference"), ServingInput("code", NORMAL, (2, 5)), ServingInput("image")))
    assert contract.bytes_input_names(e) == {"reference": "images_bytes", "code": "code",
                                             "image": "image_bytes"}
    names = contract.signature_names(bundle_of(endpoint(name="a2b"), endpoint(name="b2a")))
    assert sorted(names) == ["a2b", "a2b_bytes", "b2a", "b2a_bytes", "metadata", "serving_default",
                             "translate_bytes"]
    assert names["translate_bytes"][0].name == "a2b"


@pytest.mark.parametrize("bad, message", [
    (endpoint(inputs=(Condition("target", 3),)), "has no IMAGE input"),
    (endpoint(outputs=()), "has no outputs"),
    (endpoint(inputs=(ServingInput("image"), ServingInput("image"))), "names repeat: \\['image'\\]"),
    (endpoint(outputs=(ServingOutput("image"),)), "names repeat"),
    (endpoint(inputs=(ServingInput("my image"),)), "'my image' is not an identifier"),
    (endpoint(inputs=(ServingInput("image", MASK),)), "'mask' is not an input kind"),
    (endpoint(outputs=(ServingOutput("translated", BINARY),)), "'binary' is not an output kind"),
    (endpoint(inputs=(ServingInput("image", shape=(8, 8, 3)),)), "leave shape and names empty"),
    (endpoint(inputs=(ServingInput("image", minimum=-1.0),)), "not checked for image inputs"),
    (endpoint(inputs=(ServingInput("image"), ServingInput("z", NORMAL, (4,), maximum=3.0))), "not checked for normal"),
    (endpoint(inputs=(ServingInput("image"), ServingInput("z", NORMAL))), "positive ints"),
    (endpoint(inputs=(ServingInput("image"), ServingInput("z", NORMAL, (0,)))), "positive ints"),
    (endpoint(inputs=(ServingInput("image"), ServingInput("t", BINARY, (2, 3)))), "binary inputs are 1-D"),
    (endpoint(inputs=(ServingInput("image"), Condition("t", 3, CONTINUOUS, 1.0, 1.0))), "minimum < maximum"),
    (endpoint(inputs=(ServingInput("image"), Condition("t", 3, names=("a",)))), "1 entry names for shape"),
    (endpoint(inputs=(ServingInput("image"), Condition("images_bytes", 3))), "bytes-signature input names repeat"),
    (endpoint(inputs=(ServingInput("image"), ServingInput("ref"), Condition("ref_bytes", 3))),
     "bytes-signature input names repeat"),
    (endpoint(tflite=""), "tflite must be True, False or a non-empty reason"),
    (endpoint(outputs=(ServingOutput("scores", SCORES),)), "scores need entry names"),
    (endpoint(outputs=(ServingOutput("scores", SCORES, names=("a", "")),)), "scores need entry names"),
    (endpoint(outputs=(ServingOutput("scores", SCORES, names=("a", "b", "a")),)), "entry names repeat: \\['a'\\]"),
    (endpoint(outputs=(ServingOutput("translated", names=("a",)),)), "only scores outputs have entry names"),
    (endpoint(outputs=(ServingOutput("s"), ServingOutput("s_bytes", SCORES, names=("a",)))),
     "bytes-signature output names repeat: \\['s_bytes'\\]"),
])
def test_bad_endpoints_rejected(bad, message):
    with pytest.raises(ValueError, match=message):
        contract.validate_bundle(bundle_of(bad))


def test_multi_axis_codes_and_skipped_tflite_accepted():
    candidates = ServingInput("candidates", NORMAL, (16, 8), description="random completion candidates")
    e = endpoint((ServingInput("image"), candidates),
                 (ServingOutput("translated"), ServingOutput("heatmap", MASK)), tflite=False)
    contract.validate_bundle(bundle_of(e))
    described = contract.describe(bundle_of(e), 100)["endpoints"][0]
    assert described["inputs"][1]["shape"] == [16, 8]
    assert described["outputs"][1] == {"name": "heatmap", "kind": MASK, "names": [], "description": "",
                                       "bytes_name": "heatmap_bytes"}
    assert described["tflite"]["skipped"] == "disabled by the endpoint (no reason given)"
    assert endpoint().inputs[0].kind == IMAGE


def test_scores_outputs_keep_their_name_and_list_their_entries():
    """Scores stay floats in the bytes signature, so they keep their name there (a ``*_bytes``
    name would tell TF Serving's REST API to expect base64 strings)."""
    scores = ServingOutput("scores", SCORES, names=("Black_Hair", "is male?"))  # entries: any strings
    e = endpoint(outputs=(scores,), name="attributes")
    contract.validate_bundle(bundle_of(endpoint(), e))
    assert contract.bytes_output_name(scores) == "scores"
    assert contract.bytes_output_name(ServingOutput("mask", MASK)) == "mask_bytes"
    described = contract.describe(bundle_of(endpoint(), e), 100)["endpoints"][1]
    assert described["outputs"] == [{"name": "scores", "kind": SCORES, "names": ["Black_Hair", "is male?"],
                                     "description": "", "bytes_name": "scores"}]
    assert described["signatures"] == ["attributes", "attributes_bytes"]
