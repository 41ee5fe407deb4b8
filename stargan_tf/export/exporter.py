"""``export_bundle``: a system's ``ServingBundle`` -> a TF Serving version dir with TFLite
files, verified, or nothing at all."""

import datetime
import os
import tempfile
import time

import tensorflow as tf

import stargan_tf
from stargan_tf.export import contract
from stargan_tf.export import report as report_lib
from stargan_tf.export import saved_model as saved_model_lib
from stargan_tf.export import tflite as tflite_lib
from stargan_tf.export import verify as verify_lib
from stargan_tf.export.errors import ExportError

TFLITE_DIR = "tflite"


def _dir_size(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)


def export_bundle(bundle, export_dir, version=None,
                  tflite_quantizations=tflite_lib.PRECISIONS, verify=True, sample_images=None,
                  tolerances=None, verbose=True, max_image_pixels=contract.DEFAULT_MAX_IMAGE_PIXELS):
    """Export ``bundle`` to ``<export_dir>/<model_name>/<version>/`` and update models.config.

    Args:
        bundle: a ``ServingBundle``.
        export_dir: the TF Serving model base directory (created if missing).
        version: positive int, or None for one past the highest existing version. An
            existing version is never overwritten (ExportError).
        tflite_quantizations: precisions among "float32", "float16", "dynamic_int8"; one
            .tflite per endpoint (unless it declares ``tflite=False``/a reason) and precision
            in ``<version>/tflite/``. () for none.
        verify: compare the reloaded SavedModel with the eager functions and each .tflite
            with the SavedModel; a failed check raises ExportError and leaves no version.
        sample_images: image inputs for verification: None (seeded noise), an array
            [N, H, W, 3] in [-1, 1], or a list of image paths.
        tolerances: overrides of ``verify.DEFAULT_TOLERANCES`` entries for every endpoint
            (an endpoint's own ``tolerances`` override these in turn).
        verbose: print the result table.
        max_image_pixels: the ``*_bytes`` signatures refuse an image whose header declares
            more pixels, before decoding it (``contract.DEFAULT_MAX_IMAGE_PIXELS`` says why
            4096 * 4096); in the metadata and the report.

    Returns:
        The report dict, also written as ``<version>/export_report.json``.
    """
    try:
        contract.validate_bundle(bundle)
        bounds = {e.name: verify_lib.endpoint_tolerances(e, tolerances) for e in bundle.endpoints}
        # A stand-in's bounds, under the name of the endpoint it verifies.
        stand_in_bounds = {e.name: verify_lib.endpoint_tolerances(e.verified_as, tolerances)
                           for e in bundle.endpoints if e.verified_as is not None}
    except ValueError as error:
        raise ExportError(f"cannot export bundle {bundle.model_name!r}: {error}") from error
    if isinstance(max_image_pixels, bool) or not isinstance(max_image_pixels, int) or max_image_pixels < 1:
        raise ExportError(f"max_image_pixels must be a positive integer, got {max_image_pixels!r}")
    unknown = set(tflite_quantizations) - set(tflite_lib.PRECISIONS)
    if unknown:
        raise ExportError(f"unknown TFLite precisions {sorted(unknown)}; choose from {tflite_lib.PRECISIONS}")
    export_dir = os.path.abspath(export_dir)
    model_dir = os.path.join(export_dir, bundle.model_name)
    version = saved_model_lib.choose_version(model_dir, version)
    final_path = os.path.join(model_dir, str(version))
    removed = [os.path.join(d, n) for d in (model_dir, export_dir) for n in saved_model_lib.remove_abandoned(d)]
    if removed and verbose:
        print(f"Removed what killed exports left behind: {', '.join(removed)}")
    staging = saved_model_lib.make_staging_dir(model_dir, version)
    started = time.time()
    try:
        report = _build(bundle, staging, version, final_path, tflite_quantizations, verify, sample_images,
                        {**verify_lib.DEFAULT_TOLERANCES, **(tolerances or {})}, bounds, stand_in_bounds,
                        max_image_pixels)
        report["removed_abandoned_staging"] = removed
        report["seconds"] = round(time.time() - started, 2)
        report_lib.write(report, staging)
        if verbose:
            print(report_lib.table(report))
        if not report["passed"]:
            raise ExportError(
                f"export verification failed for {bundle.model_name} version {version} (no version written): "
                + "; ".join(f"{k}: {v}" for k, v in report["failures"].items()), report=report)
        saved_model_lib.publish(staging, model_dir, version)
    except BaseException:
        saved_model_lib.discard(staging)
        raise
    report["models_config"] = saved_model_lib.write_model_config(export_dir)
    return report


def _convert(bundle, staging, precisions, report):
    """Write the TFLite files into the report; returns {(endpoint, precision): path}."""
    paths = {}
    for endpoint in bundle.endpoints:
        if endpoint.tflite_skipped:
            continue
        files = tflite_lib.convert_endpoint(bundle, endpoint, os.path.join(staging, TFLITE_DIR), precisions)
        for precision, info in files.items():
            paths[(endpoint.name, precision)] = info["path"]
            report["tflite"].append({
                "endpoint": endpoint.name,
                "precision": precision,
                "file": os.path.relpath(info["path"], staging),
                "size_bytes": info["size_bytes"],
                "ops": info["ops"],
                "ops_by_subgraph": info["ops_by_subgraph"],
                "signature": {"name": endpoint.name, **info["signature"]},
                "passed": True,
            })
    return paths


def _convert_stand_ins(bundle, directory, precisions):
    """The TFLite files of the endpoints' ``verified_as`` stand-ins, in ``directory`` (not
    shipped); returns {(endpoint, precision): path}."""
    paths = {}
    for endpoint in bundle.endpoints:
        if endpoint.verified_as is not None:
            files = tflite_lib.convert_endpoint(bundle, endpoint.verified_as, directory, precisions)
            paths.update({(endpoint.name, precision): info["path"] for precision, info in files.items()})
    return paths


def _check_stand_in(bundle, entry, endpoint, feeds, path, bounds, references):
    """Verify the stand-in's file of ``entry``'s precision against its eager call; the result
    goes into ``entry["verified_as"]``, failures are returned."""
    stand_in = endpoint.verified_as
    if endpoint.name not in references:
        references[endpoint.name] = verify_lib.reference_outputs(stand_in, feeds, bundle.image_size)
    result = verify_lib.check_tflite(path, stand_in, entry["precision"], feeds, references[endpoint.name], bounds)
    entry["verified_as"] = {"endpoint": stand_in.name, **result}
    return _tflite_failures(f"{entry['file']} (verified as {stand_in.name})", result, "its eager call")


def _tflite_failures(artifact, result, reference):
    """``{artifact:output: why}`` of the outputs a ``verify.check_tflite`` result fails."""
    return {f"{artifact}:{output}": (
                f"max abs error {check['max_abs_error']:.3g}, PSNR {check['psnr_db']} dB vs {reference} "
                f"(bounds {result['tolerance']}, finite={check['finite']}, shape ok={check['shape_ok']})")
            for output, check in result["outputs"].items() if not check["passed"]}


def _verify(bundle, staging, sample_images, bounds, tflite_paths, report, stand_in_bounds, stand_in_paths):
    """Run the checks of ``verify.py``; results and failures go into the report."""
    inputs, report["samples"] = verify_lib.sample_inputs(bundle, sample_images)
    loaded = tf.saved_model.load(staging)
    checks, outputs = verify_lib.check_saved_model(loaded, bundle, inputs, bounds)
    report["saved_model"]["checks"] = checks
    for name, check in checks.items():
        for output, result in check["outputs"].items():
            if not result["passed"]:
                report["failures"][f"saved_model:{name}:{output}"] = (
                    f"max abs error vs eager translate {result['max_abs_error_vs_keras']:.3g} "
                    f"(tolerance {check['tolerance']:g}), bytes vs float signature "
                    f"{report_lib.bytes_difference(result, check)}")
    endpoints = {e.name: e for e in bundle.endpoints}
    references = {}  # the stand-ins' eager outputs, by endpoint
    for entry in report["tflite"]:
        name = entry["endpoint"]
        result = verify_lib.check_tflite(tflite_paths[(name, entry["precision"])], endpoints[name],
                                         entry["precision"], inputs[name], outputs[name], bounds[name])
        entry.update(result)
        report["failures"].update(_tflite_failures(entry["file"], result, "SavedModel"))
        if (name, entry["precision"]) in stand_in_paths:
            report["failures"].update(_check_stand_in(
                bundle, entry, endpoints[name], inputs[name], stand_in_paths[(name, entry["precision"])],
                stand_in_bounds[name], references))


def _build(bundle, staging, version, final_path, precisions, verify, sample_images, tolerances, bounds,
           stand_in_bounds, max_image_pixels):
    signatures = saved_model_lib.write_saved_model(bundle, staging, max_image_pixels)
    report = {
        "model_name": bundle.model_name,
        "version": version,
        "path": final_path,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"stargan_tf": stargan_tf.__version__, "tensorflow": tf.__version__},
        "image_size": [int(v) for v in bundle.image_size],
        "load_size": [int(v) for v in bundle.load_size or bundle.image_size],
        "max_image_pixels": max_image_pixels,
        "signatures": saved_model_lib.signature_summary(signatures),
        "endpoints": {e.name: {"tolerances": bounds[e.name], "tflite": {"skipped": e.tflite_skipped},
                               **({"verified_as": {"endpoint": e.verified_as.name,
                                                   "tolerances": stand_in_bounds[e.name]}}
                                  if e.verified_as is not None else {})}
                      for e in bundle.endpoints},
        "saved_model": {"size_bytes": _dir_size(staging)},
        "tflite": [],
        "verified": bool(verify),
        "tolerances": tolerances,
        "failures": {},
    }
    tflite_paths = _convert(bundle, staging, precisions, report)
    if verify:
        with tempfile.TemporaryDirectory(prefix="tflite-stand-ins-") as directory:
            stand_in_paths = _convert_stand_ins(bundle, directory, precisions)
            _verify(bundle, staging, sample_images, bounds, tflite_paths, report, stand_in_bounds, stand_in_paths)
    report["passed"] = not report["failures"]
    return report
