"""Every endpoint of a trained run through ``Translator`` in its three forms (the run
directory, its exported SavedModel, the endpoint's float32 .tflite file), on the same images
with the same conditions, and the bounds the forms must agree within: the export's own
verification bounds (``export.verify.DEFAULT_TOLERANCES``)."""

import json
import os

import numpy as np

from stargan_tf import Translator
from stargan_tf.export.contract import METADATA_ASSET
from stargan_tf.export.verify import DEFAULT_TOLERANCES

RUN_VS_SAVED_MODEL = DEFAULT_TOLERANCES["saved_model_max_abs"]  # the same graph, reloaded
TFLITE_VS_SAVED_MODEL = DEFAULT_TOLERANCES["float32_max_abs"]   # float32 TFLite kernels
SEED = 3  # random codes (DRIT's attribute) drawn alike in every form


def conditions_of(endpoint, images):
    """One value of each of the endpoint's other inputs: labels by name (the first at its
    maximum, the rest at their minimum), vectors at their maximum (SaGAN's attribute=1),
    other images the given ones reversed (DRIT's reference); random codes left to ``SEED``."""
    conditions = {}
    for given in endpoint["inputs"][1:]:
        if given["kind"] == "image":
            conditions[given["name"]] = images[::-1]
        elif given["names"]:
            conditions[given["name"]] = {n: given["maximum"] if i == 0 else given["minimum"]
                                         for i, n in enumerate(given["names"])}
        elif given["kind"] != "normal":
            conditions[given["name"]] = np.full(given["shape"], given["maximum"], np.float32)
    return conditions


def outputs_of_every_form(run_dir, version_dir, images, **data_flags):
    """``{endpoint: {form: {output: [array per image]}}}``; the .tflite form only where the
    export wrote the endpoint's file."""
    with open(os.path.join(version_dir, METADATA_ASSET)) as handle:
        endpoints = json.load(handle)["endpoints"]
    forms = {"run": Translator.load(run_dir, **data_flags), "saved_model": Translator.load(version_dir)}
    results = {}
    for endpoint in endpoints:
        name, conditions = endpoint["name"], conditions_of(endpoint, images)
        translators = dict(forms)
        if endpoint["tflite"]["skipped"] is None:
            translators["tflite"] = Translator.load(os.path.join(version_dir, "tflite", f"{name}_float32.tflite"))
        results[name] = {}
        for form, translator in translators.items():
            outputs = translator.translate(images, endpoint=name, as_arrays=True, seed=SEED, **conditions)
            results[name][form] = outputs if isinstance(outputs, dict) else {"translated": outputs}
    return results


def largest_differences(results):
    """``{(endpoint, form, output): max |form - SavedModel|}`` over every image."""
    differences = {}
    for endpoint, forms in results.items():
        for form, outputs in forms.items():
            for output, arrays in outputs.items():
                reference = np.stack(forms["saved_model"][output])
                differences[(endpoint, form, output)] = float(np.max(np.abs(np.stack(arrays) - reference)))
    return differences


def assert_forms_agree(results):
    bounds = {"run": RUN_VS_SAVED_MODEL, "saved_model": 0.0, "tflite": TFLITE_VS_SAVED_MODEL}
    for (endpoint, form, output), difference in largest_differences(results).items():
        assert difference <= bounds[form], (endpoint, form, output, difference)
