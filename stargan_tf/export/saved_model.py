"""SavedModel writing and the TF Serving directory layout.

``<export_dir>/<model_name>/<version>/`` holds one SavedModel (integer versions, as TF
Serving expects); ``<export_dir>/models.config`` lists every model found under
``export_dir`` for ``tensorflow_model_server --model_config_file=``. A version is written
into a hidden sibling and renamed into place, so a crash never leaves a half-written version.

Staging names say who writes them: ``.tmp-<version>-<host>-<pid>-<random>`` (TF Serving
ignores them: not a number). A process killed mid-export cannot remove its own, so every
export first removes those of this host whose process is gone (``remove_abandoned``); another
host's, or a live process's, are never touched. Same host name is taken to mean the same
process table (containers sharing a host name but not a pid namespace would break this).

Published folders and files get the modes an ordinary ``mkdir`` / ``open`` gives under the
user's umask, so a TF Serving process of another user can read them: staging folders are made
with ``os.mkdir`` (not ``tempfile.mkdtemp``, which makes them 0700), ``models.config`` with
``open`` (not ``mkstemp``: 0600), and the folders TensorFlow itself creates (``variables/``,
``assets/``: 0755 & ~umask) are given the staging folder's mode.
"""

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import stat

import tensorflow as tf

from stargan_tf.export import contract
from stargan_tf.export import signatures as signatures_lib
from stargan_tf.export.errors import ExportError

CONFIG_NAME = "models.config"


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


def _host():
    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())  # no "-": names split on it


_STAGING = re.compile(r"^\.tmp-(?P<label>[^-]+)-(?P<host>[^-]+)-(?P<pid>\d+)-[0-9a-f]{8}$")


def _staging_name(label):
    return f".tmp-{label}-{_host()}-{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_abandoned(directory):
    """Remove the staging folders and files in ``directory`` left by dead processes of this
    host; returns their names."""
    if not os.path.isdir(directory):
        return []
    removed = []
    for name in sorted(os.listdir(directory)):
        match = _STAGING.match(name)
        if not match or match["host"] != _host() or _alive(int(match["pid"])):
            continue
        path = os.path.join(directory, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):  # another exporter cleaned it first
                os.remove(path)
        removed.append(name)
    return removed


def make_staging_dir(model_dir, version):
    os.makedirs(model_dir, exist_ok=True)
    path = os.path.join(model_dir, _staging_name(version))
    os.mkdir(path)
    return path


def _ordinary_modes(staging_dir):
    """Give the sub-folders TensorFlow made (0755 & ~umask) the staging folder's own mode."""
    mode = stat.S_IMODE(os.stat(staging_dir).st_mode)
    for folder, subfolders, _ in os.walk(staging_dir):
        for name in subfolders:
            os.chmod(os.path.join(folder, name), mode)


def publish(staging_dir, model_dir, version):
    """Rename the finished staging dir to ``<model_dir>/<version>`` (atomic on one disk)."""
    final = os.path.join(model_dir, str(version))
    if os.path.exists(final):  # another exporter won the race
        raise ExportError(f"{final} appeared while exporting; not overwriting it")
    _ordinary_modes(staging_dir)
    os.rename(staging_dir, final)
    return final


def discard(staging_dir):
    shutil.rmtree(staging_dir, ignore_errors=True)


def write_saved_model(bundle, path, max_image_pixels):
    """Write the bundle's SavedModel (all signatures) and its metadata asset to ``path``."""
    root = tf.Module()
    root.model_variables = signatures_lib.model_variables(bundle)
    signatures = signatures_lib.serving_signatures(bundle, max_image_pixels)
    try:
        tf.saved_model.save(root, path, signatures=signatures)
    except (AssertionError, ValueError) as error:
        raise ExportError(
            f"tf.saved_model.save failed ({error}); if a variable is reported untracked, add "
            "the Keras model that owns it to ServingBundle.trackables") from error
    asset = os.path.join(path, contract.METADATA_ASSET)
    os.makedirs(os.path.dirname(asset), exist_ok=True)
    with open(asset, "w") as f:
        json.dump(contract.describe(bundle, max_image_pixels), f, indent=2, sort_keys=True)
    return signatures


def signature_summary(signatures):
    """{name: {"inputs": {name: {dtype, shape}}, "outputs": {...}}} of concrete functions; the
    shape is None for an unknown rank."""
    def spec(s):
        shape = None if s.shape.rank is None else [-1 if d is None else int(d) for d in s.shape.as_list()]
        return {"dtype": s.dtype.name, "shape": shape}

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
    tmp = os.path.join(os.path.dirname(path), _staging_name(CONFIG_NAME))
    with open(tmp, "x") as f:
        f.write(text)
    os.replace(tmp, path)
    return path
