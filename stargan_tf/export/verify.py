"""Export-time checks, for every endpoint and every output: the reloaded SavedModel against
the eager ``translate``, the bytes signature against the float one, and every .tflite file
against the SavedModel.

Tolerances: ``DEFAULT_TOLERANCES``, overridden by the exporter's ``tolerances`` argument, then
by the endpoint's own ``tolerances``. They are stated for IMAGE outputs (tanh images in
[-1, 1], so 2.0 is peak-to-peak); MASK outputs ([0, 1]) use the same numbers, with PSNR
computed over their peak-to-peak of 1.0, so a dB bound means the same number of 8-bit levels
of RMS error for both kinds and the max-abs bounds are twice as strict in levels for masks.
SCORES outputs (probabilities in [0, 1]) use them as masks do; what matters there is a score
crossing 0.5, which float32's 1e-3 allows only for scores already within 1e-3 of it:

* ``saved_model_max_abs`` 1e-4: the reloaded graph runs the same kernels as the eager Keras
  call; only Grappler rewrites (fused ops, reordered sums) separate them, which moves
  float32 results by ~1e-6 (measured 0.0 on toy and paper generators). 1e-4 is two orders
  above that and still a fortieth of one 8-bit level (2 / 255 = 7.8e-3), so anything it
  lets through is invisible in a PNG.
* ``bytes_max_levels`` 1: the ``*_bytes`` signature must give the same 8-bit pixels as the
  float signature on the same (PNG-lossless) input, up to a rounding flip at .5. SCORES come
  back as floats from both signatures: bound by ``saved_model_max_abs`` instead.
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

Sample inputs: every IMAGE input gets the sample images (seeded noise or the given ones),
rolled by its position among the image inputs so that a second image (``reference``) differs
from the first; vectors are drawn by kind from one seeded generator (NORMAL: standard normal).
"""

import math
import os

import numpy as np
import tensorflow as tf

from stargan_tf.export import contract
from stargan_tf.export import images as images_lib
from stargan_tf.export import preprocess
from stargan_tf.export import signatures as signatures_lib
from stargan_tf.export import spec as spec_lib
from stargan_tf.export.predict_tflite import TFLiteSignature

PEAK_TO_PEAK = {spec_lib.IMAGE: 2.0, spec_lib.MASK: 1.0, spec_lib.SCORES: 1.0}
DEFAULT_TOLERANCES = {
    "saved_model_max_abs": 1e-4,
    "bytes_max_levels": 1,
    "float32_max_abs": 1e-3,
    "float16_min_psnr": 30.0,
    "dynamic_int8_min_psnr": None,
}


def endpoint_tolerances(endpoint, overrides=None):
    """DEFAULT_TOLERANCES, then the exporter's ``overrides``, then the endpoint's own."""
    merged = {**DEFAULT_TOLERANCES, **(overrides or {}), **dict(endpoint.tolerances)}
    unknown = sorted(set(merged) - set(DEFAULT_TOLERANCES))
    if unknown:
        raise ValueError(f"unknown tolerances {unknown} for endpoint {endpoint.name!r}; "
                         f"choose from {sorted(DEFAULT_TOLERANCES)}")
    return merged


def max_abs_error(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def psnr(a, b, peak_to_peak):
    """PSNR in dB; None when the arrays are identical (infinite PSNR)."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return None if mse == 0.0 else 10.0 * math.log10(peak_to_peak ** 2 / mse)


def sample_vectors(spec, count, rng):
    """``count`` valid values [count, *shape] for a vector input, drawn as its kind says."""
    low, high = float(spec.minimum), float(spec.maximum)
    shape = (count,) + tuple(int(d) for d in spec.shape)
    if spec.kind == spec_lib.ONE_HOT:
        values = np.full(shape, low, np.float32)
        values[np.arange(count), rng.integers(0, spec.size, count)] = high
        return values
    if spec.kind == spec_lib.BINARY:
        return np.where(rng.integers(0, 2, shape) == 1, high, low).astype(np.float32)
    if spec.kind == spec_lib.NORMAL:
        return rng.standard_normal(shape).astype(np.float32)
    return rng.uniform(low, high, shape).astype(np.float32)


def _sample_images(bundle, sample_images, count, rng, seed):
    size = tuple(int(v) for v in bundle.image_size)
    if sample_images is None:
        images = rng.uniform(-1.0, 1.0, (count,) + size + (3,)).astype(np.float32)
        return images, f"uniform noise in [-1, 1], seed {seed}"
    if isinstance(sample_images, (list, tuple)) and all(
            isinstance(s, (str, bytes, bytearray, os.PathLike)) for s in sample_images):
        sources = [(f"sample image {i}", bytes(s)) if isinstance(s, (bytes, bytearray)) else s
                   for i, s in enumerate(sample_images)]
        images = [preprocess.load_image(s, size, load_size=bundle.load_size) for s in sources]
        return np.stack(images), f"{len(sample_images)} image files"
    images = np.asarray(sample_images, np.float32)
    if images.ndim != 4 or images.shape[1:] != size + (3,):
        raise ValueError(f"sample_images must be [N, {size[0]}, {size[1]}, 3], got {images.shape}")
    return images, "sample_images array"


def sample_inputs(bundle, sample_images=None, count=2, seed=0):
    """({endpoint: {input name: array [N, ...]}}, {"source": of the images, "count": N}).

    ``sample_images``: None (seeded uniform noise in [-1, 1]), an array [N, H, W, 3] in
    [-1, 1], or a list of image file paths / encoded bytes (``preprocess.load_image``).
    """
    rng = np.random.default_rng(seed)
    images, source = _sample_images(bundle, sample_images, count, rng, seed)
    inputs = {}
    for endpoint in bundle.endpoints:
        feeds = {spec.name: np.roll(images, shift, axis=0) for shift, spec in enumerate(endpoint.image_inputs)}
        feeds.update({spec.name: sample_vectors(spec, len(images), rng) for spec in endpoint.vector_inputs})
        inputs[endpoint.name] = {spec.name: feeds[spec.name] for spec in endpoint.inputs}
    return inputs, {"source": source, "count": int(len(images))}


def reference_outputs(endpoint, feeds, image_size):
    """The endpoint's translate called eagerly (the reference): {output name: array}."""
    result = endpoint.translate(**{k: tf.constant(v) for k, v in feeds.items()})
    return {k: v.numpy() for k, v in signatures_lib.outputs_of(endpoint, result, image_size).items()}


def _bytes_check(output):
    """(report key, tolerance name) of an output's bytes-vs-float check."""
    if output.kind == spec_lib.SCORES:
        return "bytes_vs_float_max_abs", "saved_model_max_abs"
    return "bytes_vs_float_max_levels", "bytes_max_levels"


def _framed(pixels, load_size):
    """uint8 [N, H, W, 3] -> [N, *load_size, 3]: each image placed where the bundle's centre crop
    cuts its window (edges repeated around it), so the bytes signature's resize to ``load_size``
    is the identity and its crop gives the image back."""
    if load_size is None:
        return pixels
    size = pixels.shape[1:3]
    (top, left), (height, width) = preprocess.centre_offsets(load_size, size), size
    margins = ((0, 0), (top, load_size[0] - height - top), (left, load_size[1] - width - left), (0, 0))
    return np.pad(pixels, margins, mode="edge")


def _bytes_vs_float(loaded, bundle, endpoint, feeds):
    """{output: difference} between the bytes and the float signature on lossless PNGs of the
    8-bit version of the images (at the bundle's load size, ``_framed``), so both see identical
    pixels: the max 8-bit level difference of the PNG outputs, the max abs difference of SCORES
    (floats in both signatures)."""
    float_feeds, bytes_feeds = dict(feeds), dict(feeds)
    names = contract.bytes_input_names(endpoint)
    for spec in endpoint.image_inputs:
        pixels = images_lib.to_pixels(feeds[spec.name])
        float_feeds[spec.name] = images_lib.to_model_range(pixels)
        bytes_feeds[spec.name] = [images_lib.encode_png(p) for p in _framed(pixels, bundle.load_size)]
    from_float = loaded.signatures[endpoint.name](**{k: tf.constant(v) for k, v in float_feeds.items()})
    from_bytes = loaded.signatures[contract.bytes_name(endpoint.name)](
        **{names[k]: tf.constant(v) for k, v in bytes_feeds.items()})
    differences = {}
    for output in endpoint.outputs:
        returned = from_bytes[contract.bytes_output_name(output)].numpy()
        if output.kind == spec_lib.SCORES:
            differences[output.name] = max_abs_error(returned, from_float[output.name].numpy())
            continue
        decoded = np.stack([images_lib.decode_output(b) for b in returned]).astype(np.int32)
        expected = images_lib.output_pixels(from_float[output.name].numpy()).astype(np.int32)
        differences[output.name] = int(np.max(np.abs(decoded - expected))) if decoded.size else 0
    return differences


def check_saved_model(loaded, bundle, inputs, tolerances):
    """Per endpoint and output: reloaded SavedModel vs eager translate, bytes vs float signature.

    ``tolerances``: {endpoint: merged tolerances}. Returns ({endpoint: check dict},
    {endpoint: {output: SavedModel outputs}}).
    """
    checks, outputs = {}, {}
    for endpoint in bundle.endpoints:
        feeds, bounds = inputs[endpoint.name], tolerances[endpoint.name]
        reference = reference_outputs(endpoint, feeds, bundle.image_size)
        served = loaded.signatures[endpoint.name](**{k: tf.constant(v) for k, v in feeds.items()})
        outputs[endpoint.name] = {k: v.numpy() for k, v in served.items()}
        differences = _bytes_vs_float(loaded, bundle, endpoint, feeds)
        per_output = {}
        for output in endpoint.outputs:
            error = max_abs_error(outputs[endpoint.name][output.name], reference[output.name])
            key, bound = _bytes_check(output)
            per_output[output.name] = {
                "max_abs_error_vs_keras": error,
                key: differences[output.name],
                "passed": bool(error <= bounds["saved_model_max_abs"] and differences[output.name] <= bounds[bound]),
            }
        checks[endpoint.name] = {
            "tolerance": bounds["saved_model_max_abs"],
            "bytes_tolerance_levels": bounds["bytes_max_levels"],
            "outputs": per_output,
            "passed": all(c["passed"] for c in per_output.values()),
        }
    return checks, outputs


def run_tflite(path, signature_key, feeds, num_threads=None):
    """Run a batch-1 .tflite signature on each example; returns {output: [N, ...]}."""
    model = TFLiteSignature(path, signature_key, num_threads)
    count = len(next(iter(feeds.values())))
    results = [model({k: v[i] for k, v in feeds.items()}) for i in range(count)]
    return {name: np.stack([r[name] for r in results]) for name in model.outputs}


def check_tflite(path, endpoint, precision, feeds, reference, tolerances):
    """One .tflite file vs the SavedModel outputs ``reference`` ({output: array})."""
    results = run_tflite(path, endpoint.name, feeds)
    bound_max = tolerances.get(f"{precision}_max_abs")
    bound_psnr = tolerances.get(f"{precision}_min_psnr")
    per_output = {}
    for output in endpoint.outputs:
        result, expected = results[output.name], reference[output.name]
        finite = bool(np.all(np.isfinite(result)))
        comparable = finite and result.shape == expected.shape
        error = max_abs_error(result, expected) if comparable else float("nan")
        quality = psnr(result, expected, PEAK_TO_PEAK[output.kind]) if comparable else float("nan")
        passed = comparable
        if passed and bound_max is not None:
            passed = error <= bound_max
        if passed and bound_psnr is not None:
            passed = quality is None or quality >= bound_psnr
        per_output[output.name] = {"max_abs_error": error, "psnr_db": quality, "finite": finite,
                                   "shape_ok": result.shape == expected.shape, "passed": bool(passed)}
    return {
        "tolerance": {"max_abs": bound_max, "min_psnr_db": bound_psnr},
        "outputs": per_output,
        "passed": all(o["passed"] for o in per_output.values()),
    }
