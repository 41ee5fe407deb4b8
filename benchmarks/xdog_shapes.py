"""Which XDoG parameters (Winnemöller et al. 2012) outline the built-in shapes: the share of
fresh images of the CelebA-style set whose sketch draws the shape's outline and little else,
per fill colour and background, for a grid of (sigma, k, tau, phi, epsilon).

    python benchmarks/xdog_shapes.py                         # 200 images at 64 px
    python benchmarks/xdog_shapes.py --image_size=32 --top=10

The sketch family (``--dataset=shapes`` of ``stargan_tf.pipelines.sketches``) computes its
sketches with ``xdog`` from the photos as training reads them, so the images here are drawn
as the dataset writer draws them (``shape_measures.labelled_examples``: same distributions,
a spot on about half, JPEG as stored at 64 px) and decoded as the pipeline decodes them
(``images.decode_uint8`` at ``--image_size``); each comes with its mask at that size.

An image is outlined when both hold:

* coverage: at least ``MIN_COVERAGE`` of the shape's boundary pixels (mask pixels with a
  4-neighbour outside) have a line pixel (sketch < 0.5) within one pixel (8-neighbourhood).
  XDoG draws on the darker side of an edge, outside a bright shape on a dark background and
  inside it on a light one; both are within that pixel.
* stray: at most ``MAX_STRAY`` of the line pixels lie farther than ``EDGE_MARGIN`` pixels
  from every true edge (the shape's boundary, and the spot's where there is one): background
  noise drawn as speckles, or a filled shape, fails.

Rows are ranked by the share over all images, then the worst colour/background combination,
then the stray share. XDoG sees luma only (ITU-R BT.601), so a combination whose fill and
background have about the same luma cannot be outlined by any parameters: the script first
prints the median luma contrast per combination (blue on a dark background: about 0.05, a
quarter of them under 0.025, against background noise of 4 grey levels, 0.016). Prints only.
"""

import argparse
import functools
import itertools
import os
import sys

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tensorflow as tf  # noqa: E402

from benchmarks import shape_measures  # noqa: E402
from stargan_tf.cli.data import SHAPES_IMAGE_SIZE  # noqa: E402
from stargan_tf.pipelines import images, shapes  # noqa: E402
from stargan_tf.pipelines.xdog import LUMA, XDoGParameters, xdog  # noqa: E402

MIN_COVERAGE = 0.9
MAX_STRAY = 0.1
EDGE_MARGIN = 2
LINE_BELOW = 0.5
GRID = {  # around the public code's defaults (0.8, 1.6, 0.98, 200, -0.1) and the best region found
    "sigma": (0.4, 0.5, 0.6, 0.8),
    "k": (1.6, 2.0, 2.5, 3.0),
    "tau": (0.98, 0.99, 1.0),
    "phi": (20.0, 200.0),
    "epsilon": (-0.1, -0.02, -0.01, 0.0, 0.01, 0.02),
}
COMBINATIONS = [(colour, dark) for dark in (True, False) for colour in range(3)]


def dilate(masks, radius):
    """bool [N, H, W] grown by ``radius`` pixels (square neighbourhood), outside the image False."""
    padded = np.pad(masks, ((0, 0), (radius, radius), (radius, radius)))
    height, width = masks.shape[1:]
    grown = np.zeros_like(masks)
    for dy, dx in itertools.product(range(2 * radius + 1), repeat=2):
        grown |= padded[:, dy:dy + height, dx:dx + width]
    return grown


def boundary(masks):
    """The pixels of ``masks`` [N, H, W] with a 4-neighbour outside them (the image border
    counts as outside)."""
    padded = np.pad(masks, ((0, 0), (1, 1), (1, 1)))
    interior = padded[:, :-2, 1:-1] & padded[:, 2:, 1:-1] & padded[:, 1:-1, :-2] & padded[:, 1:-1, 2:]
    return masks & ~interior


def ground_truth(examples, image_size):
    """(shape boundaries, allowed line region) as bool [N, S, S]: the shape's boundary, and
    the pixels within ``EDGE_MARGIN`` of it or of the spot's boundary."""
    outline = boundary(np.stack([e.mask for e in examples]))
    spots = np.stack([shape_measures.model_mask(dict(e.shape, radius=e.shape["radius"] * shapes.SPOT_RADIUS,
                                                     square=False), SHAPES_IMAGE_SIZE, image_size)
                      & bool(e.shape["spot"]) for e in examples])
    return outline, dilate(outline | boundary(spots), EDGE_MARGIN)


def outlined(sketches, outline, allowed):
    """Per image: (outlined, coverage, stray share), from sketches [N, S, S] in [0, 1]."""
    lines = sketches < LINE_BELOW
    coverage = (dilate(lines, 1) & outline).sum(axis=(1, 2)) / np.maximum(outline.sum(axis=(1, 2)), 1)
    stray = (lines & ~allowed).sum(axis=(1, 2)) / np.maximum(lines.sum(axis=(1, 2)), 1)
    return (coverage >= MIN_COVERAGE) & (stray <= MAX_STRAY), coverage, stray


def measure(parameters, photos, outline, allowed, combination_of):
    """One row: the parameters, the outlined share per combination, overall, and the mean
    coverage and stray share."""
    sketches = xdog(photos, parameters).numpy()[..., 0]
    hits, coverage, stray = outlined(sketches, outline, allowed)
    per_combination = [hits[combination_of == c].mean() for c in range(len(COMBINATIONS))]
    return parameters, per_combination, hits.mean(), coverage.mean(), stray.mean()


def luma_contrast(examples):
    """Per image: |luma of the fill - background level| in [0, 1], from the descriptions."""
    return np.array([abs(float(np.dot(e.shape["rgb"], LUMA)) - e.shape["level"]) / 255.0 for e in examples])


def format_row(row):
    """One printed line: the parameters, the outlined share per combination, the worst and
    overall shares, the mean coverage and stray share."""
    parameters, per_combination, share, coverage, stray = row
    p = parameters
    cells = " ".join(f"{value:5.2f}" for value in per_combination)
    return (f"sigma {p.sigma:3.1f} k {p.k:3.1f} tau {p.tau:4.2f} phi {p.phi:5.1f} eps {p.epsilon:5.2f} | {cells} "
            f"| min {min(per_combination):4.2f} all {share:4.2f} | coverage {coverage:4.2f} stray {stray:4.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num_images", type=int, default=200)
    parser.add_argument("--image_size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1, help="of the drawn images (the dataset is written with 0)")
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--show", default="0.8,1.6,0.98,200,-0.1;0.8,1.6,0.98,200,0",
                        help="';'-separated parameter sets (sigma,k,tau,phi,epsilon) measured and printed too: "
                             "by default the public code's and the same with epsilon 0")
    args = parser.parse_args()

    examples = shape_measures.labelled_examples(args.num_images, args.seed, SHAPES_IMAGE_SIZE, args.image_size,
                                                spot=None)
    photos = tf.stack([images.decode_uint8(tf.constant(e.data), args.image_size, from_bytes=True)
                       for e in examples])
    photos = tf.cast(photos, tf.float32) / 255.0
    outline, allowed = ground_truth(examples, args.image_size)
    combination_of = np.array([COMBINATIONS.index((e.shape["colour"], e.shape["dark"])) for e in examples])
    measured = functools.partial(measure, photos=photos, outline=outline, allowed=allowed,
                                 combination_of=combination_of)
    rows = sorted((measured(XDoGParameters(*values)) for values in itertools.product(*GRID.values())),
                  key=lambda row: (-row[2], -min(row[1]), row[4]))

    heading = " ".join(f"{shapes.COLOUR_NAMES[c][0]}/{'dk' if d else 'lt'}" for c, d in COMBINATIONS)
    contrast = luma_contrast(examples)
    medians = " ".join(f"{np.median(contrast[combination_of == c]):5.3f}" for c in range(len(COMBINATIONS)))
    print(f"median luma contrast per colour/background ({heading}): {medians}")
    print(f"{args.num_images} images at {args.image_size} px: share outlined (coverage >= {MIN_COVERAGE}, "
          f"stray <= {MAX_STRAY}) per colour/background, best {args.top} of {len(rows)}:")
    for row in rows[:args.top]:
        print(format_row(row))
    print("requested (--show):")
    for text in filter(None, args.show.split(";")):
        print(format_row(measured(XDoGParameters(*map(float, text.split(","))))))


if __name__ == "__main__":
    main()
