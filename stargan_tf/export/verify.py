"""Export-time checks: the reloaded SavedModel against the Keras function, the bytes
signature against the float one, and every .tflite file against the SavedModel.

Tolerances (outputs are tanh images in [-1, 1], so 2.0 is peak-to-peak):

* ``saved_model_max_abs`` 1e-4: the reloaded graph runs the same kernels as the eager Keras
  call; only Grappler rewrites (fused ops, reordered sums) separate them, which moves
  float32 results by ~1e-6 (measured 0.0 on toy and paper generators). 1e-4 is two orders above that and still a fortieth of one
  8-bit level (2 / 255 = 7.8e-3), so anything it lets through is invisible in a PNG.
* ``bytes_max_levels`` 1: the ``*_bytes`` signature must give the same 8-bit pixels as the
  float signature on the same (PNG-lossless) input, up to a rounding flip at .5.
* ``float32_max_abs`` 1e-3: TFLite/XNNPACK float32 kernels accumulate in another order
  (and fuse conv + norm arithmetic). Measured: 2e-6 on toy generators, 3.9e-5 on the
  StarGAN paper generator at 128x128 (random weights; instance norm over 6 residual blocks
  amplifies rounding), so 1e-4 would leave trained models only ~2x headroom. 1e-3 is still
  an eighth of one 8-bit level, so whatever passes is invisible in the PNG, while a wrong
  layout, epsilon or missing op gives errors of 1e-2 and more.
* ``float16_min_psnr`` 30 dB: fp16 weights (11-bit mantissa) give 60-80 dB; 30 dB
  (RMS error 0.063, 8 levels) means the model is visibly broken, not merely rounded
  (68 dB measured on the random-weight paper generator).
* ``dynamic_int8``: report only (``None``). Its error depends on each trained layer's
  weight range (per-tensor int8 weights, int8 activations computed on the fly): 25-40 dB
  is normal (37 dB, max error 0.18 on the random-weight paper generator) and whether that
  is acceptable is a product decision, made from the report.
  Non-finite outputs or a wrong output shape still fail.
"""

import math
import os

import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from stargan_tf.export import images as images_lib
from stargan_tf.export import signatures as signatures_lib
from stargan_tf.export import spec as spec_lib

PEAK_TO_PEAK = 2.0
DEFAULT_TOLERANCES = {
    "saved_model_max_abs": 1e-4,
    "bytes_max_levels": 1,
    "float32_max_abs": 1e-3,
    "float16_min_psnr": 30.0,
    "dynamic_int8_min_psnr": None,
}


def max_abs_error(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def psnr(a, b, peak_to_peak=PEAK_TO_PEAK):
    """PSNR in dB; None when the arrays are identical (infinite PSNR)."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return None if mse == 0.0 else 10.0 * math.log10(peak_to_peak ** 2 / mse)


def sample_conditions(condition, count, rng):
    """``count`` valid vectors for a condition, drawn as its kind says."""
    low, high, size = float(condition.minimum), float(condition.maximum), int(condition.size)
    if condition.kind == spec_lib.ONE_HOT:
        values = np.full((count, size), low, np.float32)
        values[np.arange(count), rng.integers(0, size, count)] = high
        return values
    if condition.kind == spec_lib.BINARY:
        return np.where(rng.integers(0, 2, (count, size)) == 1, high, low).astype(np.float32)
    return rng.uniform(low, high, (count, size)).astype(np.float32)


def sample_inputs(bundle, sample_images=None, count=2, seed=0):
    """Images float32 [N, H, W, 3] in [-1, 1] and, per endpoint, its condition arrays.

    ``sample_images``: None (seeded uniform noise in [-1, 1]), an array [N, H, W, 3] in
    [-1, 1], or a list of image file paths / encoded bytes (read like ``*_bytes`` does).
    """
    rng = np.random.default_rng(seed)
    size = tuple(int(v) for v in bundle.image_size)
    if sample_images is None:
        images = rng.uniform(-1.0, 1.0, (count,) + size + (3,)).astype(np.float32)
        source = f"uniform noise in [-1, 1], seed {seed}"
    elif isinstance(sample_images, (list, tuple)) and all(
            isinstance(s, (str, bytes, bytearray, os.PathLike)) for s in sample_images):
        images = np.stack([images_lib.load_image(s, size) for s in sample_images])
        source = f"{len(sample_images)} image files"
    else:
        images = np.asarray(sample_images, np.float32)
        if images.ndim != 4 or images.shape[1:] != size + (3,):
            raise ValueError(f"sample_images must be [N, {size[0]}, {size[1]}, 3], got {images.shape}")
        source = "sample_images array"
    conditions = {
        e.name: {c.name: sample_conditions(c, len(images), rng) for c in e.conditions}
        for e in bundle.endpoints
    }
    return images, conditions, source


def keras_outputs(endpoint, images, conditions):
    """The endpoint's translate function called eagerly (the reference)."""
    out = endpoint.translate(tf.constant(images), **{k: tf.constant(v) for k, v in conditions.items()})
    return np.asarray(out, np.float32)


def check_saved_model(loaded, bundle, images, conditions, tolerances):
    """Per endpoint: reloaded SavedModel vs Keras, and bytes vs float signature.

    Returns ({endpoint: check dict}, {endpoint: SavedModel outputs}).
    """
    checks, outputs = {}, {}
    for endpoint in bundle.endpoints:
        conds = conditions[endpoint.name]
        reference = keras_outputs(endpoint, images, conds)
        signature = loaded.signatures[endpoint.name]
        served = signature(image=tf.constant(images), **conds)[signatures_lib.OUTPUT].numpy()
        outputs[endpoint.name] = served
        error = max_abs_error(served, reference)

        # Bytes path: lossless PNG of the 8-bit version of the images, so both signatures
        # see identical pixels.
        pixels = images_lib.to_pixels(images)
        encoded = [images_lib.encode_png(p) for p in pixels]
        from_bytes = loaded.signatures[signatures_lib.bytes_name(endpoint.name)](
            images_bytes=tf.constant(encoded), **conds)[signatures_lib.BYTES_OUTPUT].numpy()
        decoded = np.stack([images_lib.decode_rgb(b) for b in from_bytes]).astype(np.int32)
        from_float = signature(image=tf.constant(images_lib.to_model_range(pixels)), **conds)
        expected = images_lib.to_pixels(from_float[signatures_lib.OUTPUT].numpy()).astype(np.int32)
        levels = int(np.max(np.abs(decoded - expected))) if decoded.size else 0

        checks[endpoint.name] = {
            "max_abs_error_vs_keras": error,
            "tolerance": tolerances["saved_model_max_abs"],
            "bytes_vs_float_max_levels": levels,
            "bytes_tolerance_levels": tolerances["bytes_max_levels"],
            "passed": bool(error <= tolerances["saved_model_max_abs"]
                           and levels <= tolerances["bytes_max_levels"]),
        }
    return checks, outputs


def run_tflite(path, signature_key, images, conditions, num_threads=None):
    """Run a batch-1 .tflite signature on each example; returns [N, H, W, 3]."""
    interpreter = Interpreter(model_path=path, num_threads=num_threads)
    runner = interpreter.get_signature_runner(signature_key)
    outputs = []
    for i in range(len(images)):
        feeds = {signatures_lib.IMAGE_INPUT: images[i:i + 1]}
        feeds.update({k: v[i:i + 1] for k, v in conditions.items()})
        outputs.append(runner(**feeds)[signatures_lib.OUTPUT][0])
    return np.stack(outputs)


def check_tflite(path, endpoint, precision, images, conditions, reference, tolerances):
    """One .tflite file vs the SavedModel outputs ``reference``."""
    result = run_tflite(path, endpoint.name, images, conditions)
    finite = bool(np.all(np.isfinite(result)))
    shape_ok = result.shape == reference.shape
    error = max_abs_error(result, reference) if finite and shape_ok else float("nan")
    quality = psnr(result, reference) if finite and shape_ok else float("nan")
    bound_max = tolerances.get(f"{precision}_max_abs")
    bound_psnr = tolerances.get(f"{precision}_min_psnr")
    passed = finite and shape_ok
    if passed and bound_max is not None:
        passed = error <= bound_max
    if passed and bound_psnr is not None:
        passed = quality is None or quality >= bound_psnr
    return {
        "max_abs_error": error,
        "psnr_db": quality,
        "tolerance": {"max_abs": bound_max, "min_psnr_db": bound_psnr},
        "finite": finite,
        "passed": bool(passed),
    }
