"""``export_report.json`` and the table printed after an export."""

import json
import math
import os

REPORT_NAME = "export_report.json"


def _json_safe(value):
    """NaN/inf are not JSON: write them as null (PSNR of identical outputs is null too)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write(report, directory):
    path = os.path.join(directory, REPORT_NAME)
    with open(path, "w") as f:
        json.dump(_json_safe(report), f, indent=2, sort_keys=True)
        f.write("\n")
    return path


def _number(value, spec):
    if value is None:
        return "inf" if spec == "psnr" else "-"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return f"{value:.1f}" if spec == "psnr" else f"{value:.2e}"


def bytes_difference(result, check=None):
    """A SavedModel output check's bytes-vs-float difference (8-bit levels for the PNG outputs,
    max abs for SCORES: ``verify.check_saved_model``), with its tolerance from ``check``."""
    if "bytes_vs_float_max_abs" in result:
        text, bound = f"{result['bytes_vs_float_max_abs']:.2e} abs", check and f"{check['tolerance']:g}"
    else:
        text, bound = f"{result['bytes_vs_float_max_levels']} lvl", check and check["bytes_tolerance_levels"]
    return f"{text} (tolerance {bound})" if check else text


def _result(passed):
    return "ok" if passed else "FAIL"


def table(report):
    """A plain-text summary: one row per (SavedModel endpoint, output), per (.tflite file,
    output) followed by its stand-in's check where the endpoint is ``verified_as`` one, and
    per endpoint whose TFLite conversion was skipped, with the reason."""
    rows = [("artifact", "output", "size", "max abs err", "PSNR dB", "result")]
    size = f"{report['saved_model']['size_bytes']:,} B"
    for name, check in sorted(report["saved_model"].get("checks", {}).items()):
        for output, result in check["outputs"].items():
            rows.append((f"saved_model:{name} vs eager", output, size,
                         _number(result["max_abs_error_vs_keras"], "err"), "-",
                         _result(result["passed"]) + f" (bytes sig {bytes_difference(result)})"))
    for entry in report["tflite"]:
        for output in entry["signature"]["outputs"]:
            result = entry.get("outputs", {}).get(output)
            rows.append((entry["file"], output, f"{entry['size_bytes']:,} B",
                         _number(result["max_abs_error"], "err") if result else "-",
                         _number(result["psnr_db"], "psnr") if result else "-",
                         _result(result["passed"]) if result else "not verified"))
            stand_in = entry.get("verified_as")
            if stand_in:
                result = stand_in["outputs"][output]
                rows.append((f"  verified as {stand_in['endpoint']}", output, "-",
                             _number(result["max_abs_error"], "err"), _number(result["psnr_db"], "psnr"),
                             _result(result["passed"])))
    for name, endpoint in sorted(report["endpoints"].items()):
        if endpoint["tflite"]["skipped"]:
            rows.append((f"tflite:{name}", "-", "-", "-", "-", f"skipped: {endpoint['tflite']['skipped']}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    header = f"{report['model_name']} version {report['version']} -> {report['path']}"
    return "\n".join([header] + lines)
