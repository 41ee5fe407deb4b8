"""Fresh images of the built-in shapes world with their ground truth, and what a translation
of one did, read from its pixels alone (no model, no TensorFlow graph here).

An image is drawn as the dataset writer draws it (``stargan_tf.pipelines.shapes``: same
distributions, JPEG as stored, at the stored size) and read as a served model reads it
(``stargan_tf.export.preprocess``: the antialiased resize of test mode and the ``*_bytes``
signatures). Its ground-truth mask is the drawn mask resized the same way, kept where it
covers at least half a pixel.

A translation is measured against the description it should have (``changed``):

* foreground: pixels whose saturation (max - min channel) is at least
  ``FOREGROUND_SATURATION`` = 80, half the least saturated fill (one channel 200-255, the
  others 0-40: 160); grey backgrounds have equal channels (after JPEG, at most 10 apart off
  the shape's edge). A closing and hole filling then take in the (200, 200, 255) texture of
  red2blue's domain B (saturation 55), which the threshold leaves as holes and notches.
* colour: the target channel dominates the foreground's mean colour and at least half of its
  pixels (noise has a random dominant channel per pixel: a noisy output with a tinted mean is
  no hit); not read (a miss) when the foreground is under a quarter of the expected shape.
* background: the mean grey of the other pixels is dark below 128 (the dark levels are
  25-70, the light ones 185-230).
* shape kept: foreground IoU with the input's mask >= ``SHAPE_IOU`` = 0.5 (issue 11).
* form (circle <-> square): the foreground is compared with the square and the circle at the
  input's centre, each at the radius (input's x 0.8 to 1.25, 11 steps) that fits it best, as
  ``foreground`` would find them in ideal renders (``form_mask``: edge pixels included): the
  target form must fit with IoU >= ``FORM_IOU`` = 0.6 and by ``FORM_MARGIN`` = 0.03 better than
  the source form. Fitting the radius keeps size out of the form: at the input's radius a blob
  a third too large overlaps the larger form, the square, more whatever its corners. Over 2,000
  draws at 32 px, ideal translations pass in 1,995 (the 5 misses are small shapes, 8-11 px
  across, where the two forms differ by a few pixels) and the input returned unchanged in none.
* size: foreground area within ``SIZE_FACTOR`` = 1.5 of the ideal target form's (``form_mask``);
  large and small shapes differ 2.4- to 7.7-fold in area (radii 28-36% against 13-18% of the
  image), so a change of size class always fails.
"""

import copy
import dataclasses

import numpy as np

from stargan_tf.export import images as images_lib
from stargan_tf.export import preprocess
from stargan_tf.pipelines import shapes

FOREGROUND_SATURATION = 80
SHAPE_IOU = 0.5
FORM_IOU = 0.6
FORM_MARGIN = 0.03
FORM_SCALES = np.geomspace(1 / 1.25, 1.25, 11)  # radius factors: areas within about SIZE_FACTOR
SIZE_FACTOR = 1.5
DARK_BELOW = 128
MIN_FOREGROUND = 0.25  # of the expected shape's area, for the colour to be read
SPOT_MARGIN = 2.0  # model pixels around the spot an edit may touch
SPOT_DARKNESS = 0.67  # 400 fresh images at 32 px: at most 0.57 with a spot, at least 0.76 without
KEPT_CHANGE = 6.0  # grey levels (of 255), mean over the pixels outside the spot's neighbourhood
MASK_ON_SPOT = 0.5


@dataclasses.dataclass(frozen=True)
class Example:
    """One drawn image.

    Attributes:
        shape: its description (``shapes.sample_shape``), in pixels of the drawn size.
        textured: whether the shape carries the texture.
        data: the JPEG bytes, as the dataset stores them (what a client sends).
        pixels: uint8 [S, S, 3], the image as a model of size S reads it.
        mask: bool [S, S], the shape's pixels at that size.
    """

    shape: dict
    textured: bool
    data: bytes
    pixels: np.ndarray
    mask: np.ndarray


def model_mask(shape, source_size, model_size, load_size=None):
    """The mask of ``shape`` drawn at ``source_size``, resized as the image is to
    ``model_size`` (or to ``load_size`` and centre-cropped, as an export with one frames its
    images), where it covers at least half a pixel."""
    load_size = model_size if load_size is None else load_size
    mask = preprocess.resize(shapes.shape_mask(shape, source_size).astype(np.float32)[..., None], (load_size,) * 2)
    top, left = preprocess.centre_offsets((load_size,) * 2, (model_size,) * 2)
    return mask[top:top + model_size, left:left + model_size, 0] >= 0.5


def draw(shape, textured, source_size, model_size, load_size=None):
    """The ``Example`` of a description: rendered, stored as JPEG, read at ``model_size`` (and
    ``load_size``, see ``model_mask``)."""
    data = shapes.jpeg_bytes(shapes.render_shape(shape, source_size, textured))
    frame = None if load_size is None else (load_size, load_size)
    pixels = images_lib.to_pixels(preprocess.load_image(("shape.jpg", data), (model_size, model_size), load_size=frame))
    return Example(shape, textured, data, pixels, model_mask(shape, source_size, model_size, load_size))


def labelled_examples(count, seed, source_size, model_size, spot=False):
    """``count`` images of the CelebA-style set (colours balanced as the writer does; a spot
    on about half with ``spot=None``, as the dataset draws them)."""
    rng = np.random.default_rng([seed, 0])
    return [draw(shapes.sample_shape(rng, source_size, colour=i % 3, spot=spot), False, source_size, model_size)
            for i in range(count)]


def domain_examples(domain, count, seed, stream, source_size, model_size, load_size=None):
    """``count`` images of an unpaired ``shapes.Domain``; ``stream`` tells domains apart."""
    rng = np.random.default_rng([seed, stream])
    return [draw(domain.sample(rng, source_size), domain.textured, source_size, model_size, load_size)
            for _ in range(count)]


def changed(shape, colour=None, square=None, dark=None):
    """The description of the ideal translation of ``shape``: same place, size and noise;
    a new colour swaps the fill's channels (same intensities), a flipped background
    mirrors its grey level (25-70 <-> 185-230)."""
    result = copy.deepcopy(shape)
    if colour is not None and colour != shape["colour"]:
        rgb = result["rgb"]
        rgb[[shape["colour"], colour]] = rgb[[colour, shape["colour"]]]
        result["colour"] = colour
    if square is not None:
        result["square"] = bool(square)
    if dark is not None and bool(dark) != shape["dark"]:
        result["dark"], result["level"] = bool(dark), 255.0 - shape["level"]
    return result


def _shifted_or(mask):
    """Mask OR its four neighbours (3x3 cross dilation), outside the image False."""
    padded = np.pad(mask, 1)
    return (padded[1:-1, 1:-1] | padded[:-2, 1:-1] | padded[2:, 1:-1]
            | padded[1:-1, :-2] | padded[1:-1, 2:])


def _fill_holes(mask):
    """``mask`` plus every pixel not connected to the border through non-mask pixels."""
    outside = np.zeros_like(mask)
    outside[[0, -1], :], outside[:, [0, -1]] = ~mask[[0, -1], :], ~mask[:, [0, -1]]
    while True:
        grown = _shifted_or(outside) & ~mask
        if np.array_equal(grown, outside):
            return ~outside
        outside = grown


def foreground(pixels):
    """bool [H, W]: the shape's pixels in uint8 RGB ``pixels`` (see the module docstring)."""
    pixels = np.asarray(pixels, dtype=np.int16)
    mask = pixels.max(axis=2) - pixels.min(axis=2) >= FOREGROUND_SATURATION
    closed = ~_shifted_or(~_shifted_or(mask))
    return _fill_holes(mask | closed)


def iou(a, b):
    """Intersection over union of two bool masks (0 when both are empty)."""
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def _dominated(pixels, channel):
    """Whether ``channel`` dominates the mean of uint8 ``pixels`` [N, 3] and half of them."""
    mean_hit = int(np.argmax(pixels.mean(axis=0))) == channel
    return mean_hit and np.mean(np.argmax(pixels, axis=1) == channel) >= 0.5


def form_mask(shape, source_size, model_size):
    """The pixels ``foreground`` would find in an ideal render of ``shape`` (no texture): its
    drawn mask resized as images are, where the fill's coverage makes the saturation reach
    ``FOREGROUND_SATURATION`` (edge pixels included, as in a real output)."""
    cover = preprocess.resize(shapes.shape_mask(shape, source_size).astype(np.float32)[..., None],
                              (model_size, model_size))[..., 0]
    rgb = np.asarray(shape["rgb"], dtype=np.float64)
    return cover >= FOREGROUND_SATURATION / (rgb.max() - rgb.min())


def form_fit(fg, shape, square, source_size):
    """The best IoU of ``fg`` with the square (or circle) at ``shape``'s centre, its radius
    scaled by each of ``FORM_SCALES``."""
    return max(iou(fg, form_mask(dict(shape, square=square, radius=shape["radius"] * scale), source_size,
                                 fg.shape[0]))
               for scale in FORM_SCALES)


def measure(output, source, target, source_size):
    """What a translation did: {criterion: bool} for ``colour``, ``background``, ``shape``,
    ``form`` and ``size`` (see the module docstring), measured on uint8 ``output`` [S, S, 3]
    of ``source`` (an ``Example``) that should show ``target`` (a description)."""
    output = np.asarray(output)
    fg = foreground(output)
    expected_area = max(int(form_mask(target, source_size, output.shape[0]).sum()), 1)
    area = int(fg.sum())
    colour = area >= MIN_FOREGROUND * expected_area and _dominated(output[fg], target["colour"])
    rest = output[~fg]
    background = rest.size > 0 and bool(rest.mean() < DARK_BELOW) == bool(target["dark"])
    target_fit = form_fit(fg, target, target["square"], source_size)
    source_fit = form_fit(fg, target, source.shape["square"], source_size)
    return {
        "colour": bool(colour),
        "background": bool(background),
        "shape": iou(fg, source.mask) >= SHAPE_IOU,
        "form": target_fit >= FORM_IOU and target_fit >= source_fit + FORM_MARGIN,
        "size": 1 / SIZE_FACTOR <= area / expected_area <= SIZE_FACTOR,
    }


# ---- SaGAN: the spot edited, nothing else --------------------------------------------------------
def spot_neighbourhood(shape, source_size, model_size):
    """bool [S, S] at ``model_size``: the spot's disc widened by ``SPOT_MARGIN`` model pixels,
    where an edit of the spot may change pixels (whether or not the shape has a spot)."""
    scale = model_size / source_size
    radius = shape["radius"] * shapes.SPOT_RADIUS * scale + SPOT_MARGIN
    rows, cols = np.mgrid[0:model_size, 0:model_size] + 0.5
    centre_x, centre_y = np.asarray(shape["centre"]) * scale
    return (rows - centre_y) ** 2 + (cols - centre_x) ** 2 <= radius ** 2


def spot_darkness(pixels, example, source_size):
    """The darkest channel sum of the 3x3 pixels at the shape's centre over the mean channel
    sum of its fill outside the spot's neighbourhood: low with a spot, about 1 without."""
    pixels = np.asarray(pixels, dtype=np.int32)
    size = pixels.shape[0]
    x, y = (np.asarray(example.shape["centre"]) * size / source_size).astype(int)
    darkest = pixels[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2].sum(axis=2).min()
    fill = example.mask & ~spot_neighbourhood(example.shape, source_size, size)
    return darkest / max(pixels[fill].sum(axis=1).mean(), 1.0)


def measure_edit(output, mask, example, add, source_size):
    """What a SaGAN edit of ``example`` did: {criterion: bool} for ``edit`` (the spot is there
    when ``add``, gone otherwise: ``spot_darkness`` below ``SPOT_DARKNESS`` or not), ``kept``
    (outside the spot's neighbourhood the mean absolute change is under ``KEPT_CHANGE`` grey
    levels) and ``mask on spot`` (at least ``MASK_ON_SPOT`` of the attention mask's mass in the
    neighbourhood). ``output`` uint8 [S, S, 3]; ``mask`` [S, S] in [0, 1]."""
    near = spot_neighbourhood(example.shape, source_size, np.asarray(output).shape[0])
    change = np.abs(np.asarray(output, np.int32) - np.asarray(example.pixels, np.int32))[~near].mean()
    mask = np.asarray(mask, np.float64)
    return {"edit": (spot_darkness(output, example, source_size) < SPOT_DARKNESS) == bool(add),
            "kept": bool(change < KEPT_CHANGE),
            "mask on spot": bool(mask[near].sum() >= MASK_ON_SPOT * max(mask.sum(), 1e-9))}
