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


def table(report):
    """A plain-text summary: one row per SavedModel endpoint and per .tflite file."""
    rows = [("artifact", "size", "max abs err", "PSNR dB", "result")]
    for name, check in sorted(report["saved_model"].get("checks", {}).items()):
        rows.append((f"saved_model:{name} vs keras", f"{report['saved_model']['size_bytes']:,} B",
                     _number(check["max_abs_error_vs_keras"], "err"), "-",
                     ("ok" if check["passed"] else "FAIL") + f" (bytes sig {check['bytes_vs_float_max_levels']} lvl)"))
    for entry in report["tflite"]:
        verified = "max_abs_error" in entry
        rows.append((entry["file"], f"{entry['size_bytes']:,} B",
                     _number(entry.get("max_abs_error"), "err") if verified else "-",
                     _number(entry.get("psnr_db"), "psnr") if verified else "-",
                     ("ok" if entry["passed"] else "FAIL") if verified else "not verified"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    header = f"{report['model_name']} version {report['version']} -> {report['path']}"
    return "\n".join([header] + lines)
