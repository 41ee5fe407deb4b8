"""Stand-in for TF Serving in tests: load a SavedModel in a fresh process (nothing of the
exporting process's Python objects exists here) and answer REST ``:predict`` bodies.

    python fake_serving.py VERSION_DIR requests.json responses.json

requests.json: {case name: REST body with "signature_name"}; responses.json: {case name:
REST response}. The JSON conversion is ``stargan_tf.export.client.emulate_predict``.
"""

import json
import sys

import tensorflow as tf

from stargan_tf.export.client import emulate_predict


def main(version_dir, request_path, response_path):
    loaded = tf.saved_model.load(version_dir)
    with open(request_path) as f:
        requests = json.load(f)
    responses = {}
    for case, body in requests.items():
        name = body.get("signature_name", "serving_default")
        if name not in loaded.signatures:
            responses[case] = {"error": f"Serving signature name: \"{name}\" not found in signature def"}
            continue
        responses[case] = emulate_predict(loaded.signatures[name], body)
    with open(response_path, "w") as f:
        json.dump(responses, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
