"""SavedModel writing and the TF Serving directory layout.

``<export_dir>/<model_name>/<version>/`` holds one SavedModel (integer versions, as TF
Serving expects); ``<export_dir>/models.config`` lists every model found under
``export_dir`` for ``tensorflow_model_server --model_config_file=``. A version is written
into a hidden sibling (``.tmp-<version>-<random>``, which TF Serving ignores since its name
is not a number) and renamed into place, so a crash never leaves a half-written version.
"""

import json
import os
import shutil
import tempfile

import tensorflow as tf

from stargan_tf.export import contract
from stargan_tf.export import signatures as signatures_lib
from stargan_tf.export.errors import ExportError

CONFIG_NAME = "models.config"
METADATA_ASSET = os.path.join("assets.extra", "metadata.json")


def versions(model_dir):
    """The integer versions present in ``model_dir`` (sorted), [] if none or no dir."""
    if not os.path.isdir(model_dir):
        return []
    return sorted(int(n) for n in os.listdir(model_dir)
                  if n.isdigit() and os.path.isdir(os.path.join(model_dir, n)))


def choose_version(model_dir, version=None):
    """The version to write: the given one (must be new) or one past the highest."""
    existing = versions(model_dir)
    next_version = existing[-1] + 1 if existing else 1
    if version is None:
        return next_version
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ExportError(f"version must be a positive integer, got {version!r}")
    if version in existing or os.path.exists(os.path.join(model_dir, str(version))):
        raise ExportError(
            f"version {version} already exists in {model_dir}; versions are never overwritten "
            f"(existing: {existing}); pass version=None for the next one ({next_version})")
    return version


def make_staging_dir(model_dir, version):
    os.makedirs(model_dir, exist_ok=True)
    return tempfile.mkdtemp(prefix=f".tmp-{version}-", dir=model_dir)


def publish(staging_dir, model_dir, version):
    """Rename the finished staging dir to ``<model_dir>/<version>`` (atomic on one disk)."""
    final = os.path.join(model_dir, str(version))
    if os.path.exists(final):  # another exporter won the race
        raise ExportError(f"{final} appeared while exporting; not overwriting it")
    os.rename(staging_dir, final)
    return final


def discard(staging_dir):
    shutil.rmtree(staging_dir, ignore_errors=True)


def write_saved_model(bundle, path):
    """Write the bundle's SavedModel (all signatures) and its metadata asset to ``path``."""
    root = tf.Module()
    root.model_variables = signatures_lib.model_variables(bundle)
    signatures = signatures_lib.serving_signatures(bundle)
    try:
        tf.saved_model.save(root, path, signatures=signatures)
    except (AssertionError, ValueError) as error:
        raise ExportError(
            f"tf.saved_model.save failed ({error}); if a variable is reported untracked, add "
            "the Keras model that owns it to ServingBundle.trackables") from error
    asset = os.path.join(path, METADATA_ASSET)
    os.makedirs(os.path.dirname(asset), exist_ok=True)
    with open(asset, "w") as f:
        json.dump(contract.describe(bundle), f, indent=2, sort_keys=True)
    return signatures


def signature_summary(signatures):
    """{name: {"inputs": {name: {dtype, shape}}, "outputs": {...}}} of concrete functions."""
    def spec(s):
        return {"dtype": s.dtype.name, "shape": [-1 if d is None else int(d) for d in s.shape.as_list()]}

    summary = {}
    for name, function in sorted(signatures.items()):
        args, kwargs = function.structured_input_signature
        inputs = {s.name: s for s in list(args) + list(kwargs.values())}
        summary[name] = {
            "inputs": {k: spec(v) for k, v in sorted(inputs.items())},
            "outputs": {k: spec(v) for k, v in sorted(function.structured_outputs.items())},
        }
    return summary


def model_config_text(export_dir):
    """TF Serving ``model_config_list`` for every model dir under ``export_dir`` that holds
    at least one integer version (absolute base paths)."""
    export_dir = os.path.abspath(export_dir)
    names = sorted(n for n in os.listdir(export_dir)
                   if not n.startswith(".") and versions(os.path.join(export_dir, n)))
    lines = [
        "# TF Serving model config, written by stargan_tf.export (rewritten on every export).",
        "# tensorflow_model_server --model_config_file=" + os.path.join(export_dir, CONFIG_NAME),
        "model_config_list {",
    ]
    for name in names:
        lines += [
            "  config {",
            f'    name: "{name}"',
            f'    base_path: "{os.path.join(export_dir, name)}"',
            '    model_platform: "tensorflow"',
            "  }",
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_model_config(export_dir):
    """(Re)write ``<export_dir>/models.config`` atomically; returns its path."""
    path = os.path.join(os.path.abspath(export_dir), CONFIG_NAME)
    text = model_config_text(export_dir)
    fd, tmp = tempfile.mkstemp(prefix=".models.config-", dir=os.path.dirname(path))
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path
